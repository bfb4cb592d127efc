//! Splitting, base64, the header, the version, the signature and the issuer's key kind:
//! `jwt.Decode` of the Go library, and `jwt.ParseDecoratedJWT`.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use nkeys::{KeyPair, KeyPairType};
use serde::Deserialize;

use super::claims::{AccountClaims, ClaimKind, Claims, OperatorClaims, UserClaims};
use super::JwtError;

/// The largest token decoded (`jwt.MaxTokenSize`, 1 MiB).
pub const MAX_TOKEN_SIZE: usize = 1024 * 1024;

/// The newest claims version understood (`libVersion`).
const LIB_VERSION: i64 = 2;

/// Go's `base64.RawURLEncoding`: URL alphabet, no padding (a `=` is an error), trailing bits
/// tolerated. Go's decoder also skips CR and LF, which [`b64`] strips first.
const RAW_URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

fn b64(part: &'static str, s: &str) -> Result<Vec<u8>, JwtError> {
    let decoded = if s.contains(['\r', '\n']) {
        RAW_URL.decode(s.replace(['\r', '\n'], ""))
    } else {
        RAW_URL.decode(s)
    };
    decoded.map_err(|_| JwtError::Base64(part))
}

/// Encodes as a JWT part (for encoders; the tests use it).
pub fn encode_part(bytes: &[u8]) -> String {
    RAW_URL.encode(bytes)
}

/// The JOSE header.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Header {
    /// `typ`: `JWT` (v2) or `jwt` (v1); compared case-insensitively.
    #[serde(default)]
    pub typ: String,
    /// `alg`: `ed25519-nkey` (v2) or `ed25519` (v1); compared case-insensitively.
    #[serde(default)]
    pub alg: String,
}

impl Header {
    /// The Go library's `Header.Valid`. Either algorithm is accepted with either claims
    /// version: the version that decides how the signature is checked is the claims'.
    fn check(&self) -> Result<(), JwtError> {
        if !self.typ.eq_ignore_ascii_case("JWT") {
            return Err(JwtError::HeaderType(self.typ.clone()));
        }
        let alg = self.alg.to_ascii_lowercase();
        if alg != "ed25519" && alg != "ed25519-nkey" {
            return Err(JwtError::Algorithm(self.alg.clone()));
        }
        Ok(())
    }
}

/// A verified JWT: its header and claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The header.
    pub header: Header,
    /// The claims (their [`super::ClaimsData::version`] says v1 or v2).
    pub claims: Claims,
}

/// Which kind and version the claims say they are (Go's `identifier`): a top-level `type`
/// means v1; else `nats.type` and `nats.version`.
fn identify(json: &[u8]) -> Result<(String, i64), JwtError> {
    #[derive(Deserialize, Default)]
    struct Nats {
        #[serde(default, rename = "type")]
        kind: Option<String>,
        #[serde(default)]
        version: Option<i64>,
    }
    #[derive(Deserialize)]
    struct Id {
        #[serde(default, rename = "type")]
        kind: Option<String>,
        #[serde(default)]
        nats: Option<Nats>,
    }
    let id: Id = serde_json::from_slice(json).map_err(JwtError::Json)?;
    match id.kind.filter(|k| !k.is_empty()) {
        Some(kind) => Ok((kind, 1)),
        None => {
            let nats = id.nats.unwrap_or_default();
            Ok((nats.kind.unwrap_or_default(), nats.version.unwrap_or(0)))
        }
    }
}

/// The key kinds that may issue a claim kind. The Go library also takes an account key for
/// account claims (self-signed accounts); nats-server then refuses them as not signed by a
/// trusted operator, so they are refused here at once.
fn issuer_kind_fits(kind: ClaimKind, issuer: &KeyPair) -> bool {
    let want = match kind {
        ClaimKind::Operator | ClaimKind::Account => KeyPairType::Operator,
        ClaimKind::User => KeyPairType::Account,
    };
    issuer.key_pair_type() == want
}

/// Decodes and verifies a JWT: three base64url parts, a valid header, known claims, an
/// Ed25519 signature by the `iss` public nkey (v1: over the encoded claims part; v2: over
/// `header.claims`), and an issuer of the kind that issues such claims (operator and
/// account claims: an operator key; user claims: an account key).
///
/// It does not check times (see [`super::ClaimsData::is_expired`]) nor whether the issuer
/// is trusted: that is the chain's business ([`super::verify_user_chain`]).
pub fn decode(token: &str) -> Result<Decoded, JwtError> {
    if token.len() > MAX_TOKEN_SIZE {
        return Err(JwtError::TooLarge(token.len()));
    }
    let parts: Vec<&str> = token.split('.').collect();
    let [header_b64, claims_b64, sig_b64] = parts[..] else {
        return Err(JwtError::Chunks);
    };
    let header: Header =
        serde_json::from_slice(&b64("header", header_b64)?).map_err(JwtError::Json)?;
    header.check()?;
    let json = b64("claims", claims_b64)?;
    let (kind_name, version) = identify(&json)?;
    if version > LIB_VERSION {
        return Err(JwtError::NewerVersion(version));
    }
    let kind = match kind_name.as_str() {
        "operator" => ClaimKind::Operator,
        "account" => ClaimKind::Account,
        "user" => ClaimKind::User,
        _ => return Err(JwtError::UnsupportedClaimType(kind_name)),
    };
    let version = match version {
        1 => 1,
        2 => 2,
        other => return Err(JwtError::UnsupportedVersion(other)),
    };
    let claims = Claims::from_json(kind, version, &json).map_err(JwtError::Json)?;
    let sig = b64("signature", sig_b64)?;

    let issuer = &claims.data().iss;
    let signed = if version == 1 {
        claims_b64
    } else {
        &token[..header_b64.len() + 1 + claims_b64.len()]
    };
    let key = KeyPair::from_public_key(issuer).map_err(|_| JwtError::BadSignature(version))?;
    if key.verify(signed.as_bytes(), &sig).is_err() {
        return Err(JwtError::BadSignature(version));
    }
    if !issuer_kind_fits(kind, &key) {
        return Err(JwtError::WrongIssuerKind {
            kind,
            issuer: issuer.clone(),
        });
    }
    Ok(Decoded { header, claims })
}

/// [`decode`], for an operator JWT.
pub fn decode_operator(token: &str) -> Result<OperatorClaims, JwtError> {
    match decode(token)?.claims {
        Claims::Operator(c) => Ok(c),
        other => Err(JwtError::WrongClaimType {
            expected: ClaimKind::Operator,
            found: other.kind(),
        }),
    }
}

/// [`decode`], for an account JWT.
pub fn decode_account(token: &str) -> Result<AccountClaims, JwtError> {
    match decode(token)?.claims {
        Claims::Account(c) => Ok(c),
        other => Err(JwtError::WrongClaimType {
            expected: ClaimKind::Account,
            found: other.kind(),
        }),
    }
}

/// [`decode`], for a user JWT.
pub fn decode_user(token: &str) -> Result<UserClaims, JwtError> {
    match decode(token)?.claims {
        Claims::User(c) => Ok(c),
        other => Err(JwtError::WrongClaimType {
            expected: ClaimKind::User,
            found: other.kind(),
        }),
    }
}

/// Whether `line` (without its `\n`) is a marker line of Go's `userConfigRE`: a run of at
/// least three dashes, anything, and at least three dashes ending the line.
fn is_marker(line: &str) -> bool {
    line.len() >= 6 && line.ends_with("---") && line[..line.len() - 3].contains("---")
}

/// Whether `line` is all `[A-Za-z0-9_\-.=]` (the JWT or seed between markers).
fn is_token(line: &str) -> bool {
    !line.is_empty()
        && line
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'='))
}

/// The JWT of a file that holds either a bare JWT or a decorated one (`.creds`, `nsc`
/// operator files):
///
/// ```text
/// -----BEGIN NATS OPERATOR JWT-----
/// eyJ0eXAi...
/// ------END NATS OPERATOR JWT------
/// ```
///
/// As `jwt.ParseDecoratedJWT`: the first block of a marker line, one token line and a
/// marker line; with no such block the whole text is the JWT (here trimmed of surrounding
/// whitespace, where Go would keep it and then ignore line breaks while decoding).
pub fn parse_decorated_jwt(text: &str) -> Result<String, JwtError> {
    let lines: Vec<&str> = text.split('\n').collect();
    for i in 0..lines.len().saturating_sub(2) {
        // The first marker and the token must end in "\r?\n"; the last marker may end the
        // text.
        let first = lines[i].strip_suffix('\r').unwrap_or(lines[i]);
        let token = lines[i + 1].strip_suffix('\r').unwrap_or(lines[i + 1]);
        let last_raw = lines[i + 2];
        let last_is_final = i + 2 == lines.len() - 1;
        let last = if last_is_final {
            last_raw
        } else {
            last_raw.strip_suffix('\r').unwrap_or(last_raw)
        };
        if is_marker(first) && is_token(token) && is_marker(last) {
            return Ok(token.to_string());
        }
    }
    let bare = text.trim();
    if bare.is_empty() {
        return Err(JwtError::NoJwt);
    }
    Ok(bare.to_string())
}

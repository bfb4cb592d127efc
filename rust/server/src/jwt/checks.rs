//! What the server checks beyond the signature: revocations, signing keys, a user's source
//! address and connect times, and the operator → account → user chain.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::claims::{
    AccountClaims, Export, OperatorClaims, SigningKey, UserClaims, UserPermissionLimits, UserScope,
    REVOKE_ALL,
};
use super::decode::decode_user;
use super::JwtError;

/// nats-server's `isRevoked`: `key` issued at `iat` is revoked if the list has it, or `*`,
/// at a time `>= iat` (so a JWT issued in the very second of the revocation is revoked).
fn is_revoked(revocations: &BTreeMap<String, i64>, key: &str, iat: i64) -> bool {
    let hit = |k: &str| revocations.get(k).is_some_and(|&t| t >= iat);
    hit(key) || hit(REVOKE_ALL)
}

impl AccountClaims {
    /// The signing key `pubkey` of this account, if it is one (the account's own key is not
    /// listed here; see [`verify_user_chain`]).
    pub fn find_signing_key(&self, pubkey: &str) -> Option<&SigningKey> {
        self.signing_keys.get(pubkey)
    }

    /// Whether the user `user_pub`, its JWT issued at `user_iat`, is revoked by this account
    /// (nats-server's `checkUserRevoked`; the Go library's `IsClaimRevoked` also counts a
    /// JWT without `iat` or `sub` as revoked, nats-server does not).
    pub fn is_user_revoked(&self, user_pub: &str, user_iat: i64) -> bool {
        is_revoked(&self.revocations, user_pub, user_iat)
    }

    /// Whether nats-server treats the account as expired at `now` (Unix seconds): its
    /// lookup refuses `now > exp` and its expiry timer fires at `exp`, so `exp <= now`.
    pub fn is_expired_for_server(&self, now: i64) -> bool {
        self.claims.exp > 0 && self.claims.exp <= now
    }
}

impl Export {
    /// Whether the activation of `account` issued at `iat` is revoked by this export.
    pub fn is_revoked(&self, account: &str, iat: i64) -> bool {
        is_revoked(&self.revocations, account, iat)
    }
}

/// Where `now` falls with respect to a user's `times`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeWindow {
    /// No `times`: any time.
    Unrestricted,
    /// Inside a window that ends in `valid_for` (the longest, if several hold; nats-server
    /// disconnects the client then).
    Inside {
        /// Time left in the window.
        valid_for: Duration,
    },
    /// Outside every window (`Outside connect times`).
    Outside,
}

const DAY_NS: i128 = 86_400 * 1_000_000_000;
const SEC_NS: i128 = 1_000_000_000;

/// The UTC offset, in seconds, of a `times_location`. Only zones without daylight saving
/// are known here: `""` and `Local` (the caller's `local` offset, as nats-server uses the
/// machine's zone), `UTC` and its aliases, and `Etc/GMT±N` (POSIX sign: `Etc/GMT+5` is
/// UTC−5). Any other IANA name is [`JwtError::UnknownTimeZone`]: there is no zone
/// database here, and the caller should refuse the user with that error rather than guess.
pub fn zone_offset(location: &str, local: i32) -> Result<i32, JwtError> {
    const UTC_NAMES: [&str; 12] = [
        "UTC",
        "UCT",
        "GMT",
        "GMT0",
        "GMT+0",
        "GMT-0",
        "Zulu",
        "Universal",
        "Greenwich",
        "Etc/GMT0",
        "Etc/GMT+0",
        "Etc/GMT-0",
    ];
    if location.is_empty() || location == "Local" {
        return Ok(local);
    }
    let bare = location.strip_prefix("Etc/").unwrap_or(location);
    if UTC_NAMES.contains(&location) || UTC_NAMES.contains(&bare) {
        return Ok(0);
    }
    let unknown = || JwtError::UnknownTimeZone(location.to_string());
    let Some(rest) = location.strip_prefix("Etc/GMT") else {
        return Err(unknown());
    };
    let (sign, hours) = match rest.split_at_checked(1) {
        Some(("+", h)) => (-1, h),
        Some(("-", h)) => (1, h),
        _ => return Err(unknown()),
    };
    if hours.is_empty()
        || hours.len() > 2
        || !hours.bytes().all(|b| b.is_ascii_digit())
        || hours.starts_with('0')
    {
        return Err(unknown());
    }
    let hours: i32 = hours.parse().map_err(|_| unknown())?;
    let max = if sign < 0 { 12 } else { 14 };
    if hours > max {
        return Err(unknown());
    }
    Ok(sign * hours * 3600)
}

/// Seconds since midnight of Go's `time.Parse("15:04:05", s)`: a one- or two-digit hour,
/// two-digit minutes and seconds, optionally a fraction (which the server drops).
fn parse_clock(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let digit = |i: usize| {
        b.get(i)
            .filter(|c| c.is_ascii_digit())
            .map(|c| i64::from(c - b'0'))
    };
    let (hour, mut i) = match (digit(0)?, digit(1)) {
        (h1, Some(h2)) => (h1 * 10 + h2, 2),
        (h, None) => (h, 1),
    };
    let two = |i: &mut usize| -> Option<i64> {
        if b.get(*i) != Some(&b':') {
            return None;
        }
        let v = digit(*i + 1)? * 10 + digit(*i + 2)?;
        *i += 3;
        Some(v)
    };
    let minute = two(&mut i)?;
    let second = two(&mut i)?;
    if matches!(b.get(i), Some(b'.' | b',')) && digit(i + 1).is_some() {
        i += 1;
        while digit(i).is_some() {
            i += 1;
        }
    }
    (i == b.len() && hour < 24 && minute < 60 && second < 60)
        .then_some(hour * 3600 + minute * 60 + second)
}

/// Go's `net.ParseCIDR`, with IPv4-mapped IPv6 networks treated as IPv4 as Go's
/// `IPNet.Contains` does.
fn parse_cidr(cidr: &str) -> Option<(IpAddr, u32)> {
    let (addr, bits) = cidr.split_once('/')?;
    let addr: IpAddr = addr.parse().ok()?;
    if bits.is_empty() || bits.len() > 3 || !bits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let bits: u32 = bits.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((addr, bits))
}

fn cidr_contains((net, bits): (IpAddr, u32), ip: IpAddr) -> bool {
    let canon = |ip: IpAddr| match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    let (net, bits) = match (net, canon(net)) {
        (IpAddr::V6(_), IpAddr::V4(v4)) => (IpAddr::V4(v4), bits.saturating_sub(96)),
        _ => (net, bits),
    };
    match (net, canon(ip)) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(n) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(n) & mask == u128::from(a) & mask
        }
        _ => false,
    }
}

/// nats-server's `validateTimeRangeAt`, in nanoseconds on one clock: inside if strictly
/// after `start` and before `end`; a range with `start > end` crosses midnight.
fn in_range(start: i128, end: i128, now: i128) -> Option<i128> {
    if start < now && end > now {
        return Some(end - now);
    }
    if start > end {
        if end > now {
            return Some(end - now);
        }
        let end = end + DAY_NS;
        if start < now && end > now {
            return Some(end - now);
        }
    }
    None
}

impl UserPermissionLimits {
    /// The Go library's `Limits.Validate`, which nats-server enforces on every user JWT:
    /// every `src` a CIDR, every `times` bound `HH:MM:SS`, a known `times_location`.
    pub fn validate(&self) -> Result<(), JwtError> {
        if let Some(bad) = self.src.iter().find(|c| parse_cidr(c).is_none()) {
            return Err(JwtError::InvalidCidr(bad.clone()));
        }
        for t in &self.times {
            for bound in [&t.start, &t.end] {
                if parse_clock(bound).is_none() {
                    return Err(JwtError::InvalidTimeRange(bound.clone()));
                }
            }
        }
        zone_offset(&self.times_location, 0).map(|_| ())
    }

    /// nats-server's `validateSrc`: with `src` set, the client's address must be in one of
    /// the blocks (a block that does not parse refuses, as in nats-server).
    pub fn check_src(&self, ip: IpAddr) -> bool {
        if self.src.is_empty() {
            return true;
        }
        for cidr in &self.src {
            match parse_cidr(cidr) {
                None => return false,
                Some(net) if cidr_contains(net, ip) => return true,
                Some(_) => {}
            }
        }
        false
    }

    /// nats-server's `validateTimesAt`: whether `now` is inside one of the daily `times`
    /// windows, in `times_location` (see [`zone_offset`]; `local_offset` is the server's
    /// UTC offset in seconds, used when no location is set).
    pub fn check_times(&self, now: SystemTime, local_offset: i32) -> Result<TimeWindow, JwtError> {
        if self.times.is_empty() {
            return Ok(TimeWindow::Unrestricted);
        }
        let offset = i128::from(zone_offset(&self.times_location, local_offset)?) * SEC_NS;
        let now = match now.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_nanos() as i128,
            Err(e) => -(e.duration().as_nanos() as i128),
        } + offset;
        let midnight = now.div_euclid(DAY_NS) * DAY_NS;
        let mut best: Option<i128> = None;
        for t in &self.times {
            let clock = |s: &String| {
                parse_clock(s)
                    .map(|secs| midnight + i128::from(secs) * SEC_NS)
                    .ok_or_else(|| JwtError::InvalidTimeRange(s.clone()))
            };
            if let Some(left) = in_range(clock(&t.start)?, clock(&t.end)?, now) {
                best = Some(best.map_or(left, |b| b.max(left)));
            }
        }
        Ok(match best {
            Some(ns) => TimeWindow::Inside {
                valid_for: Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX)),
            },
            None => TimeWindow::Outside,
        })
    }
}

/// A user that passed [`verify_user_chain`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedUser {
    /// The user's claims.
    pub user: UserClaims,
    /// The scope, when a scoped signing key signed the user: its template replaces the
    /// user's (necessarily empty) permissions and limits. Its `{{name()}}`,
    /// `{{subject()}}`, `{{tag(...)}}`, ... placeholders are not expanded here: see
    /// [`super::expand_template`].
    pub scope: Option<UserScope>,
}

impl VerifiedUser {
    /// The permissions and limits that apply: the scope's template, else the user's own.
    pub fn limits(&self) -> &UserPermissionLimits {
        self.scope
            .as_ref()
            .map_or(&self.user.limits, |s| &s.template)
    }
}

/// The checks nats-server makes on a user JWT at CONNECT that need only the JWTs, in its
/// order (`processClientOrLeafAuthentication`):
///
/// 1. the user JWT decodes and verifies ([`decode_user`]), is not expired nor not yet valid
///    at `now` (Unix seconds), and its limits are well-formed
///    ([`UserPermissionLimits::validate`]);
/// 2. `account` is the user's account ([`UserClaims::account_key`]: the caller looks it up
///    by that key) and was signed by one of `trusted_operators`' keys
///    ([`OperatorClaims::trusted_keys`]);
/// 3. the user's issuer is the account's own key (unless the account was signed by a
///    signing key of a `strict_signing_key_usage` operator) or one of its signing keys; a
///    scoped key's user must carry no permissions or limits of its own;
/// 4. the account is not expired ([`AccountClaims::is_expired_for_server`]) nor not yet
///    valid;
/// 5. a bearer token is allowed by the account (`disallow_bearer`);
/// 6. the user is not revoked ([`AccountClaims::is_user_revoked`]).
///
/// Left to the caller, which has the connection: `allowed_connection_types`, the nonce
/// signature (unless [`UserPermissionLimits::bearer_token`]), [`UserPermissionLimits::check_src`]
/// and [`UserPermissionLimits::check_times`] on [`VerifiedUser::limits`], the scope
/// template's placeholders, and pinned accounts.
pub fn verify_user_chain(
    user_jwt: &str,
    account: &AccountClaims,
    trusted_operators: &[OperatorClaims],
    now: i64,
) -> Result<VerifiedUser, JwtError> {
    let user = decode_user(user_jwt)?;
    if user.claims.is_expired(now) {
        return Err(JwtError::Expired);
    }
    if user.claims.not_yet_valid(now) {
        return Err(JwtError::NotYetValid);
    }
    user.limits.validate()?;

    if user.account_key() != account.claims.sub {
        return Err(JwtError::AccountMismatch {
            user_account: user.account_key().to_string(),
            account: account.claims.sub.clone(),
        });
    }
    let account_issuer = account.claims.iss.as_str();
    if !trusted_operators
        .iter()
        .any(|op| op.trusted_keys().any(|k| k == account_issuer))
    {
        return Err(JwtError::UntrustedAccount(account_issuer.to_string()));
    }
    // nats-server: the account's own key signs users unless its issuer is a signing key
    // of a strict operator.
    let strict = trusted_operators.iter().any(|op| {
        op.strict_signing_key_usage && op.signing_keys.iter().any(|k| k == account_issuer)
    });
    let scope = if user.claims.iss == account.claims.sub && !strict {
        None
    } else {
        match account.find_signing_key(&user.claims.iss) {
            None => return Err(JwtError::UnknownUserIssuer(user.claims.iss.clone())),
            Some(SigningKey::Plain) => None,
            Some(SigningKey::Scoped(scope)) => {
                if !user.limits.is_empty() {
                    return Err(JwtError::ScopedUserHasPermissions);
                }
                Some(UserScope::clone(scope))
            }
        }
    };
    if account.is_expired_for_server(now) {
        return Err(JwtError::AccountExpired);
    }
    if account.claims.not_yet_valid(now) {
        return Err(JwtError::AccountNotYetValid);
    }
    let verified = VerifiedUser { user, scope };
    if verified.limits().bearer_token && account.limits.disallow_bearer {
        return Err(JwtError::BearerNotAllowed);
    }
    if account.is_user_revoked(&verified.user.claims.sub, verified.user.claims.iat) {
        return Err(JwtError::Revoked);
    }
    Ok(verified)
}

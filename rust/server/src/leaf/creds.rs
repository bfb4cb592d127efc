//! A leaf node's credentials: the `.creds` file (a user JWT and its nkey seed, each in a
//! `-----BEGIN ...-----` block) and nonce signatures with a seed, as nats-server's
//! `sendLeafConnect` makes them (Ed25519 over the nonce's bytes, base64url without padding).

use std::path::Path;

use base64::Engine;

/// The user JWT and the seed of a `.creds` file.
pub fn read(path: &Path) -> Result<(String, String), String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("open {}: {e}", path.display()))?;
    let mut blocks = Vec::new();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    for i in 1..lines.len().saturating_sub(1) {
        if lines[i - 1].starts_with("-----BEGIN") && lines[i + 1].starts_with("------END") {
            blocks.push(lines[i].to_string());
        }
    }
    match <[String; 2]>::try_from(blocks) {
        Ok([jwt, seed]) => Ok((jwt, seed)),
        Err(_) => Err("Credentials file malformed".to_string()),
    }
}

/// `nonce` signed with `seed`, as CONNECT's `sig`.
pub fn sign(seed: &str, nonce: &str) -> Result<String, String> {
    let kp = nkeys::KeyPair::from_seed(seed)
        .map_err(|_| "Remote nkey has malformed seed".to_string())?;
    let sig = kp
        .sign(nonce.as_bytes())
        .map_err(|e| format!("Error signing the nonce: {e}"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sig))
}

/// The public key of `seed`, as CONNECT's `nkey`.
pub fn public_key(seed: &str) -> Result<String, String> {
    nkeys::KeyPair::from_seed(seed)
        .map(|kp| kp.public_key())
        .map_err(|_| "Remote nkey has malformed seed".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creds_and_signatures() {
        let kp = nkeys::KeyPair::new_user();
        let seed = kp.seed().unwrap();
        let dir = std::env::temp_dir().join(format!("fastnats-creds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("u.creds");
        std::fs::write(
            &path,
            format!(
                "-----BEGIN NATS USER JWT-----\neyJhbGc.x.y\n------END NATS USER JWT------\n\n\
                 ************************* IMPORTANT *************************\n\n\
                 -----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n"
            ),
        )
        .unwrap();
        let (jwt, read_seed) = read(&path).unwrap();
        assert_eq!(
            (jwt.as_str(), read_seed.as_str()),
            ("eyJhbGc.x.y", seed.as_str())
        );
        let sig = sign(&seed, "nonce").unwrap();
        assert!(crate::auth::verify_nkey(&kp.public_key(), &sig, "nonce"));
        assert_eq!(public_key(&seed).unwrap(), kp.public_key());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

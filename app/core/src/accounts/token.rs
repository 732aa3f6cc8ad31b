//! Secret tokens (session, CSRF, password reset): 32 random bytes from the
//! operating system's generator, shown as 64 hex digits. The database keeps
//! only their SHA-256 hash, so a leaked table or backup opens no session.

use sha2::{Digest, Sha256};

/// A secret token as the client holds it. `Debug` hides the value.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl std::fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretToken(***)")
    }
}

/// Hex digits in a token.
pub const TOKEN_HEX_LEN: usize = 64;

impl SecretToken {
    /// A new token: 256 bits from `rand`'s thread-local CSPRNG (seeded by the OS).
    pub fn random() -> SecretToken {
        let bytes: [u8; 32] = rand::random();
        SecretToken(hex(&bytes))
    }

    /// A token sent by a client: exactly 64 lower-case hex digits, else `None`
    /// (then it cannot be one of ours, and no lookup is needed).
    pub fn from_client(raw: &str) -> Option<SecretToken> {
        (raw.len() == TOKEN_HEX_LEN && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| SecretToken(raw.to_owned()))
    }

    /// The value to hand to the client (cookie, response body, e-mail).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The SHA-256 of the token, as 64 hex digits: what the database stores.
    pub fn hash(&self) -> String {
        sha256_hex(self.0.as_bytes())
    }
}

/// SHA-256 of `bytes` as lower-case hex. Also keys the login limiter, so
/// the limiter's table holds neither e-mails nor client addresses.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_64_hex_digits_and_unique() {
        let a = SecretToken::random();
        assert_eq!(a.expose().len(), TOKEN_HEX_LEN);
        assert_eq!(SecretToken::from_client(a.expose()), Some(a.clone()));
        assert_ne!(a, SecretToken::random());
        assert!(!format!("{a:?}").contains(a.expose()));
    }

    #[test]
    fn only_well_formed_tokens_are_accepted_from_clients() {
        assert!(SecretToken::from_client("").is_none());
        assert!(SecretToken::from_client(&"A".repeat(64)).is_none());
        assert!(SecretToken::from_client(&"a".repeat(63)).is_none());
        assert!(SecretToken::from_client(&"0".repeat(64)).is_some());
    }

    #[test]
    fn the_stored_hash_is_sha256_of_the_token() {
        let t = SecretToken::from_client(&"0".repeat(64)).unwrap();
        assert_eq!(t.hash(), sha256_hex("0".repeat(64).as_bytes()));
        assert_ne!(t.hash(), t.expose());
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

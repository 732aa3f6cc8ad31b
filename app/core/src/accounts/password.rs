//! Passwords: the policy a new password must meet, and how it is stored —
//! an argon2id hash in the PHC string format (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`),
//! which carries its own parameters and salt, so the parameters can be raised
//! later without invalidating stored hashes.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::validation::Invalid;

/// Shortest password, in characters (Unicode scalar values, as JSON Schema counts).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password, in characters: bounds the work one request can ask of the hasher.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// argon2id memory cost, KiB (19 MiB).
pub const ARGON2_M_COST_KIB: u32 = 19_456;
/// argon2id iterations.
pub const ARGON2_T_COST: u32 = 2;
/// argon2id lanes.
pub const ARGON2_P_COST: u32 = 1;

/// A password that meets the policy (field `password`). Never trimmed:
/// every character the user typed counts. Its `Debug` hides the value, so a
/// stray `{:?}` cannot log it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    /// Checks the length: 12–128 characters.
    pub fn parse(raw: &str) -> Result<Password, Invalid> {
        let n = raw.chars().count();
        if n < MIN_PASSWORD_CHARS {
            Err(Invalid::new(
                "password",
                format!("must be at least {MIN_PASSWORD_CHARS} characters"),
            ))
        } else if n > MAX_PASSWORD_CHARS {
            Err(Invalid::new(
                "password",
                format!("must be at most {MAX_PASSWORD_CHARS} characters"),
            ))
        } else {
            Ok(Password(raw.to_owned()))
        }
    }

    /// The password as typed, for the hasher only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The hasher with the shop's parameters.
fn hasher() -> Argon2<'static> {
    let params = Params::new(ARGON2_M_COST_KIB, ARGON2_T_COST, ARGON2_P_COST, None)
        .expect("the argon2 parameters are valid constants");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes `password` with a fresh 16-byte random salt into a PHC string.
/// CPU- and memory-heavy on purpose: call it off the async threads
/// (`tokio::task::spawn_blocking`).
pub fn hash(password: &str) -> String {
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes).expect("16 bytes is a valid salt length");
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .expect("hashing with valid parameters cannot fail")
        .to_string()
}

/// True when `password` matches the stored PHC string. A malformed stored
/// string never matches. Heavy like [`hash`].
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            hasher()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash of a password nobody has, to verify against when the account does
/// not exist: a login for an unknown e-mail then costs as much as one with a
/// wrong password, so response time does not reveal which accounts exist.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash("decoy password that is never used"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_counts_characters_not_bytes_and_keeps_spaces() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"a".repeat(11)).is_err());
        assert!(Password::parse(&"é".repeat(12)).is_ok());
        assert!(Password::parse(&"a".repeat(128)).is_ok());
        assert_eq!(
            Password::parse(&"a".repeat(129)).unwrap_err().field,
            "password"
        );
        assert_eq!(
            Password::parse("  twelve chars ").unwrap().expose(),
            "  twelve chars "
        );
    }

    #[test]
    fn debug_does_not_show_the_password() {
        let p = Password::parse("correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }

    #[test]
    fn hashes_are_argon2id_with_the_stated_parameters_and_verify() {
        let stored = hash("correct horse battery");
        assert!(
            stored.starts_with(&format!(
                "$argon2id$v=19$m={ARGON2_M_COST_KIB},t={ARGON2_T_COST},p={ARGON2_P_COST}$"
            )),
            "{stored}"
        );
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("correct horse battery!", &stored));
        assert!(!verify("correct horse battery", "not a phc string"));
        // A fresh salt each time.
        assert_ne!(stored, hash("correct horse battery"));
    }
}

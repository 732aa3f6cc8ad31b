//! Passwords: the policy a new password must meet, and how it is stored —
//! an argon2id hash in the PHC string format (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`),
//! which carries its own parameters and salt, so the parameters can be raised
//! later without invalidating stored hashes.

use std::sync::{Arc, LazyLock};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

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

/// How many hashes or checks may run at once: one per CPU the process may use.
///
/// Each one holds [`ARGON2_M_COST_KIB`] of memory and keeps a CPU busy for tens of
/// milliseconds. More of them at once than there are CPUs finish no sooner (they only take turns
/// on the same cores), but each holds its 19 MiB the whole time: under a burst of logins the
/// process's memory grew by 19 MiB per login in flight, and whatever made requests slower (a
/// busier core) made more of them overlap. A heap profile of the harness's embedded operating
/// point (one core, open loop, `heaptrack`) had argon2's blocks as the largest item at the heap's
/// peak; with this bound the noop build's peak resident set at half load went from about 224 to
/// 192 MiB (docs/targets.md, T-RSS).
pub fn hash_slots() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

static SLOTS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| Arc::new(Semaphore::new(hash_slots())));

/// Runs `f` (a [`hash`] or a [`verify`]) on tokio's blocking pool, off the async worker threads,
/// once one of the [`hash_slots`] is free. A request that waits for a slot holds no memory of
/// the hasher's. The slot goes with the work into the blocking thread, so a caller that gives up
/// (its client went away) does not free it before the hash ends.
pub async fn off_thread<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    let slot = SLOTS
        .clone()
        .acquire_owned()
        .await
        .expect("the hashing semaphore is never closed");
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        f()
    })
    .await
}

/// Hashes `password` with a fresh 16-byte random salt into a PHC string.
/// CPU- and memory-heavy on purpose: call it through [`off_thread`].
pub fn hash(password: &str) -> String {
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes).expect("16 bytes is a valid salt length");
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .expect("hashing with valid parameters cannot fail")
        .to_string()
}

/// True when `password` matches the stored PHC string. A malformed stored
/// string never matches. Heavy like [`hash`]: call it through [`off_thread`].
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

    /// The bound that keeps a burst of logins from holding 19 MiB each: never more hashes at
    /// once than [`hash_slots`], however many callers wait.
    #[tokio::test]
    async fn no_more_hashes_run_at_once_than_there_are_cpus() {
        use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
        static RUNNING: AtomicUsize = AtomicUsize::new(0);
        static MOST: AtomicUsize = AtomicUsize::new(0);
        let callers = hash_slots() * 3 + 2;
        let work: Vec<_> = (0..callers)
            .map(|_| {
                tokio::spawn(off_thread(|| {
                    MOST.fetch_max(RUNNING.fetch_add(1, SeqCst) + 1, SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(40));
                    RUNNING.fetch_sub(1, SeqCst);
                    1
                }))
            })
            .collect();
        let mut done = 0;
        for w in work {
            done += w.await.unwrap().unwrap();
        }
        assert_eq!(done, callers, "every caller had its turn");
        let most = MOST.load(SeqCst);
        assert!(
            (1..=hash_slots()).contains(&most),
            "{most} at once with {} slots",
            hash_slots()
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

//! The admins' second factor (A-AUTH-03): time-based one-time passwords
//! (TOTP, RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps, one step of
//! clock skew either way), computed by the `totp-rs` crate, and single-use
//! recovery codes for a lost phone.
//!
//! Two rules on top of the RFC:
//! - a code is accepted once: the time step it matched is stored and any
//!   code from that step or an earlier one is refused afterwards, so a code
//!   read over someone's shoulder cannot be replayed within its 90-second
//!   window;
//! - the secret never leaves this module except as the enrolment URI shown
//!   once to its owner, and in the database. `Debug` hides it.

use qrcode::QrCode;
use qrcode::render::svg;
use sha2::{Digest, Sha256};
use totp_rs::{Builder, Secret, Totp};

/// The issuer authenticator apps show beside the account.
pub const ISSUER: &str = "Observability Shop Lab";
/// Recovery codes handed out at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// Characters of a recovery code (without its dashes): 16 from a
/// 32-letter alphabet are 80 bits, so their unsalted SHA-256 in the database
/// cannot be reversed by trying them all.
pub const RECOVERY_CODE_CHARS: usize = 16;
/// Crockford's base32 alphabet, lower case: no i, l, o or u, so a code read
/// off paper has no look-alike letters.
const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A TOTP shared secret (160 random bits).
#[derive(Clone)]
pub struct TotpSecret(Secret);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(***)")
    }
}

/// What a new admin scans: the `otpauth://` URI and the same as a QR code.
/// Both contain the secret: shown once, to its owner, never logged.
pub struct Enrolment {
    pub otpauth_uri: String,
    /// An SVG image of the QR code.
    pub qr_svg: String,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Enrolment(***)")
    }
}

/// Why a code was refused (the caller says only "invalid code" to the
/// client; the reason goes to the security log).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MfaRejected {
    /// Not six digits, or not the code of any step in the window.
    Wrong,
    /// The right code, but its step was already used.
    Replayed,
}

impl MfaRejected {
    pub fn as_str(self) -> &'static str {
        match self {
            MfaRejected::Wrong => "wrong_code",
            MfaRejected::Replayed => "replayed_code",
        }
    }
}

impl TotpSecret {
    /// A new random secret.
    pub fn generate() -> TotpSecret {
        TotpSecret(Secret::generate())
    }

    /// The stored form: RFC 4648 base32, as authenticator apps take it.
    pub fn to_base32(&self) -> String {
        self.0.to_base32()
    }

    /// From the stored form; `None` if it is not base32 of at least 128 bits.
    pub fn from_base32(stored: &str) -> Option<TotpSecret> {
        let secret = Secret::try_from_base32(stored).ok()?;
        (secret.as_bytes().len() >= 16).then_some(TotpSecret(secret))
    }

    fn totp(&self, account: &str) -> Totp {
        Builder::new()
            .with_secret(self.0.clone())
            .with_account_name(account)
            .with_issuer(Some(ISSUER))
            // Only fails for a short secret or an account name with a ':',
            // which `from_base32` and `enrolment` rule out; the compliant
            // defaults (SHA-1, 6 digits, 30 s, skew 1) are what apps expect.
            .build_noncompliant()
    }

    /// The enrolment for `account` (the admin's e-mail: it is what the app
    /// shows, on the admin's own phone).
    pub fn enrolment(&self, account: &str) -> Enrolment {
        // `:` separates issuer and account in the URI's label.
        let account = account.replace(':', "_");
        let otpauth_uri = self
            .totp(&account)
            .to_url()
            .unwrap_or_else(|_| format!("otpauth://totp/?secret={}", self.to_base32()));
        let qr_svg = QrCode::new(otpauth_uri.as_bytes())
            .map(|code| code.render::<svg::Color>().min_dimensions(200, 200).build())
            .unwrap_or_default();
        Enrolment {
            otpauth_uri,
            qr_svg,
        }
    }

    /// Checks `code` at `unix_time` (seconds). `last_step` is the step of
    /// the last code this secret accepted; a code from it or before is a
    /// replay. Returns the step to store on success.
    pub fn verify(
        &self,
        code: &str,
        unix_time: u64,
        last_step: Option<u64>,
    ) -> Result<u64, MfaRejected> {
        let code = code.trim();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MfaRejected::Wrong);
        }
        let step = self
            .totp("")
            .check(code, unix_time)
            .ok_or(MfaRejected::Wrong)?;
        match last_step {
            Some(last) if step <= last => Err(MfaRejected::Replayed),
            _ => Ok(step),
        }
    }

    /// The code for `unix_time`: what the admin's app shows (for tests and
    /// the lab's scripted admin, which play the phone).
    pub fn code_at(&self, unix_time: u64) -> String {
        self.totp("").generate(unix_time).to_string()
    }
}

/// A recovery code as handed to the admin: `xxxx-xxxx-xxxx-xxxx`.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(String);

impl std::fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryCode(***)")
    }
}

impl RecoveryCode {
    /// A new set of [`RECOVERY_CODES`] codes.
    pub fn generate_set() -> Vec<RecoveryCode> {
        (0..RECOVERY_CODES)
            .map(|_| RecoveryCode::generate())
            .collect()
    }

    fn generate() -> RecoveryCode {
        let bytes: [u8; RECOVERY_CODE_CHARS] = rand::random();
        // 256 is a multiple of 32: every letter is equally likely.
        let chars: Vec<char> = bytes
            .iter()
            .map(|b| RECOVERY_ALPHABET[usize::from(b % 32)] as char)
            .collect();
        let groups: Vec<String> = chars.chunks(4).map(|c| c.iter().collect()).collect();
        RecoveryCode(groups.join("-"))
    }

    /// The code to show.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the database keeps: SHA-256 of the code without dashes, spaces
    /// or case, in hex. `typed` is what the admin entered.
    pub fn hash_typed(typed: &str) -> String {
        let normal: String = typed
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let digest = Sha256::digest(normal.as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// This code's stored hash.
    pub fn hash(&self) -> String {
        RecoveryCode::hash_typed(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u64 = 1_800_000_000; // a step boundary: 1_800_000_000 / 30 = 60_000_000

    #[test]
    fn a_code_from_the_window_is_accepted_once() {
        let s = TotpSecret::generate();
        let code = s.code_at(T);
        let step = s.verify(&code, T, None).unwrap();
        assert_eq!(step, T / 30);
        assert_eq!(
            s.verify(&code, T + 5, Some(step)),
            Err(MfaRejected::Replayed)
        );
        // One step of skew either way, no more.
        assert_eq!(s.verify(&s.code_at(T - 30), T, None), Ok(T / 30 - 1));
        assert_eq!(s.verify(&s.code_at(T + 30), T, None), Ok(T / 30 + 1));
        assert_eq!(
            s.verify(&s.code_at(T - 90), T, None),
            Err(MfaRejected::Wrong)
        );
        // An older step after a newer one is a replay too.
        assert_eq!(
            s.verify(&s.code_at(T - 30), T, Some(step)),
            Err(MfaRejected::Replayed)
        );
    }

    #[test]
    fn malformed_and_wrong_codes_are_refused() {
        let s = TotpSecret::generate();
        for bad in ["", "12345", "1234567", "12a456", "      "] {
            assert_eq!(s.verify(bad, T, None), Err(MfaRejected::Wrong), "{bad:?}");
        }
        let other = TotpSecret::generate();
        // 1 in a million that the other secret gives the same code; then this would flake, so
        // check three steps.
        let wrong = (0..3).all(|i| {
            s.verify(&other.code_at(T + i * 30), T + i * 30, None)
                .is_err()
        });
        assert!(wrong);
    }

    #[test]
    fn the_stored_secret_round_trips_and_hides_in_debug() {
        let s = TotpSecret::generate();
        let stored = s.to_base32();
        let back = TotpSecret::from_base32(&stored).unwrap();
        assert_eq!(back.code_at(T), s.code_at(T));
        assert!(TotpSecret::from_base32("not base32!").is_none());
        assert!(TotpSecret::from_base32("GEZDGNBV").is_none(), "too short");
        assert!(!format!("{s:?}").contains(&stored));
    }

    #[test]
    fn the_enrolment_names_the_issuer_account_and_secret() {
        let s = TotpSecret::generate();
        let e = s.enrolment("ada@example.com");
        assert!(
            e.otpauth_uri.starts_with("otpauth://totp/"),
            "{}",
            e.otpauth_uri
        );
        assert!(e.otpauth_uri.contains(&format!("secret={}", s.to_base32())));
        assert!(
            e.otpauth_uri.contains("ada%40example.com")
                || e.otpauth_uri.contains("ada@example.com")
        );
        assert!(
            e.qr_svg.starts_with("<?xml") && e.qr_svg.contains("<svg"),
            "{}",
            &e.qr_svg[..60.min(e.qr_svg.len())]
        );
        assert!(!format!("{e:?}").contains(&s.to_base32()));
    }

    #[test]
    fn recovery_codes_are_distinct_and_hash_as_typed() {
        let set = RecoveryCode::generate_set();
        assert_eq!(set.len(), RECOVERY_CODES);
        let unique: std::collections::HashSet<_> =
            set.iter().map(|c| c.expose().to_owned()).collect();
        assert_eq!(unique.len(), RECOVERY_CODES);
        let code = &set[0];
        assert_eq!(code.expose().len(), RECOVERY_CODE_CHARS + 3);
        assert_eq!(
            RecoveryCode::hash_typed(&code.expose().to_uppercase().replace('-', " ")),
            code.hash()
        );
        assert_ne!(RecoveryCode::hash_typed("aaaa-aaaa-aaaa-aaaa"), code.hash());
        assert!(!format!("{code:?}").contains(code.expose()));
    }
}

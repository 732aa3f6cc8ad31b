//! The admin password policy (A-AUTH-05): stricter than the customers'
//! length rule, because an admin password opens the back office.
//!
//! Three rules, checked in this order, and the first that fails is named in
//! the error (`rule`), so the person knows what to change:
//!
//! 1. `length`: 12 to 128 characters (the customers' rule, [`Password`]);
//! 2. `common`: not one of the commonly used or breached passwords, nor a
//!    small variation of one. The list is the one bundled inside the
//!    `zxcvbn` crate (about 30,000 passwords ranked by how often they
//!    appear in leaked password dumps): offline, nothing is sent anywhere;
//! 3. `strength`: `zxcvbn`'s estimate is at least [`MIN_SCORE`] ("very
//!    unguessable": more than 10^10 guesses), with the admin's e-mail and name
//!    as known words, so a password built from them fails. (Score 3, more than
//!    10^8, lets `lovelace lovelace` through for Ada Lovelace: zxcvbn counts
//!    the separator as brute force. An admin password is worth the top score.)

use zxcvbn::Score;
use zxcvbn::feedback::Warning;

use crate::accounts::password::Password;

/// The lowest acceptable `zxcvbn` score (0–4): the top one.
pub const MIN_SCORE: Score = Score::Four;

/// Why a password was refused: the rule and a sentence for the person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyViolation {
    /// `length`, `common` or `strength`.
    pub rule: &'static str,
    pub message: String,
}

/// Checks `raw` against the policy. `known` are words the person's password
/// must not lean on: their e-mail address and name.
pub fn check(raw: &str, known: &[&str]) -> Result<Password, PolicyViolation> {
    let password = Password::parse(raw).map_err(|invalid| PolicyViolation {
        rule: "length",
        message: format!("the password {}", invalid.message),
    })?;
    // zxcvbn matches each known input as one whole word: give it the parts
    // of the e-mail address and the name as well ("lovelace", "example").
    let mut words: Vec<&str> = Vec::new();
    for k in known {
        words.push(k);
        words.extend(
            k.split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.chars().count() >= 3),
        );
    }
    let estimate = zxcvbn::zxcvbn(raw, &words);
    let warning = estimate.feedback().and_then(|f| f.warning());
    if matches!(
        warning,
        Some(
            Warning::ThisIsATop10Password
                | Warning::ThisIsATop100Password
                | Warning::ThisIsACommonPassword
                | Warning::ThisIsSimilarToACommonlyUsedPassword
        )
    ) {
        return Err(PolicyViolation {
            rule: "common",
            message: "the password is on the list of commonly used and breached passwords, or close to one of them".to_owned(),
        });
    }
    if estimate.score() < MIN_SCORE {
        let why = warning
            .map(|w| format!(" ({})", w.to_string().trim_end_matches('.').to_lowercase()))
            .unwrap_or_default();
        return Err(PolicyViolation {
            rule: "strength",
            message: format!(
                "the password is too easy to guess{why}: add more unrelated words or characters"
            ),
        });
    }
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(raw: &str) -> Option<&'static str> {
        check(raw, &["ada.lovelace@example.com", "Ada Lovelace"])
            .err()
            .map(|v| v.rule)
    }

    #[test]
    fn each_rule_is_named() {
        assert_eq!(rule("short1!"), Some("length"));
        assert_eq!(rule(&"x".repeat(129)), Some("length"));
        assert_eq!(rule("password1234"), Some("common"));
        assert_eq!(rule("qwertyuiop123"), Some("common"));
        assert_eq!(rule("aaaaaaaaaaaaaaaa"), Some("strength"));
        assert_eq!(rule("lovelace-lovelace"), Some("strength"));
    }

    #[test]
    fn a_long_unrelated_passphrase_passes() {
        assert_eq!(rule("tangerine orbit wallpaper 1847"), None);
        assert_eq!(rule("Brass lantern; quiet fjord, 42 owls"), None);
    }

    #[test]
    fn the_message_never_repeats_the_password() {
        let raw = "password1234";
        let v = check(raw, &[]).unwrap_err();
        assert!(!v.message.contains(raw), "{}", v.message);
    }
}

//! The audit log (O-AUDIT-01): who did what to what, when, from where, and
//! how it went, for every admin action and every security-relevant event.
//!
//! - **Append-only.** The shop only ever inserts; nothing in it updates or
//!   deletes a row.
//! - **Tamper-evident.** Each entry carries the hash of the one before
//!   ([`chain`]); [`verify`] (and `shop audit verify`) walks the chain and
//!   names the first entry that was edited, removed or re-linked.
//! - **No secrets.** `before` and `after` pass through [`mask`]: values of
//!   keys that name a password, token, secret, code or key become `"***"`.
//! - **Correlated.** Each entry keeps the request id and the trace id, so
//!   an entry leads to the request's logs and its trace.
//!
//! An entry is written in the same transaction as the change it records
//! ([`append_in`]), so a change is never without its entry nor an entry
//! without its change.
//!
//! [`compliance`] reads the log (and the admin tables) back as the
//! compliance report for a period (O-AUDIT-02).

pub mod chain;
pub mod compliance;
mod store;

use serde_json::Value as Json;

pub use chain::{Problem, Verdict};
pub use store::{Entry, append, append_in, entries, verify};

/// Who acted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// An admin, by id (not e-mail: the id is stable and not personal).
    Admin(String),
    /// The shop itself: a batch job, the scheduler, the command line.
    System(&'static str),
    /// Someone not (yet) known: a failed login, an invitation being accepted.
    Anonymous,
}

impl Actor {
    fn kind(&self) -> &'static str {
        match self {
            Actor::Admin(_) => "admin",
            Actor::System(_) => "system",
            Actor::Anonymous => "anonymous",
        }
    }

    fn id(&self) -> Option<&str> {
        match self {
            Actor::Admin(id) => Some(id),
            Actor::System(name) => Some(name),
            Actor::Anonymous => None,
        }
    }
}

/// How the action went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// Refused by access control (a role, a missing step-up).
    Denied,
    /// Tried and failed (a wrong password or code, a rule broken).
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }
}

/// Where the request came from, for the entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    pub client_address: Option<String>,
    pub request_id: Option<String>,
    /// The trace id as the backend writes it: W3C's 32 hex digits, or with
    /// the awssdk backend X-Ray's `1-5f84c7a5-…` (35 characters).
    pub trace_id: Option<String>,
}

/// One thing to record.
#[derive(Clone, Debug)]
pub struct AuditEvent {
    pub actor: Actor,
    /// An admin operation (`catalog.write`, see `crate::admin::Operation`)
    /// or a security event (`admin.login`, `admin.mfa`, `admin.step_up`…).
    pub action: String,
    /// What it was done to: `product:12`, `admin:<id>`, `order:<id>`.
    pub target: Option<String>,
    pub outcome: Outcome,
    pub before: Option<Json>,
    pub after: Option<Json>,
    pub origin: Origin,
}

impl AuditEvent {
    /// An event with no target, no before/after and no origin yet.
    pub fn new(actor: Actor, action: impl Into<String>, outcome: Outcome) -> AuditEvent {
        AuditEvent {
            actor,
            action: action.into(),
            target: None,
            outcome,
            before: None,
            after: None,
            origin: Origin::default(),
        }
    }

    pub fn target(mut self, target: impl Into<String>) -> AuditEvent {
        self.target = Some(target.into());
        self
    }

    pub fn change(mut self, before: Option<Json>, after: Option<Json>) -> AuditEvent {
        self.before = before;
        self.after = after;
        self
    }

    pub fn origin(mut self, origin: Origin) -> AuditEvent {
        self.origin = origin;
        self
    }
}

/// Key fragments whose values never reach the audit log.
const SECRET_KEYS: &[&str] = &[
    "password",
    "secret",
    "token",
    "code",
    "otp",
    "key",
    "credential",
    "cookie",
    "csrf",
];

/// Replaces, at any depth, the value of every key that names a secret with
/// `"***"` (its presence stays visible: "the password was changed").
pub fn mask(value: &mut Json) {
    match value {
        Json::Object(map) => {
            for (key, v) in map.iter_mut() {
                let k = key.to_ascii_lowercase();
                if SECRET_KEYS.iter().any(|s| k.contains(s)) && !v.is_null() {
                    *v = Json::String("***".to_owned());
                } else {
                    mask(v);
                }
            }
        }
        Json::Array(items) => items.iter_mut().for_each(mask),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn secrets_are_masked_at_any_depth_and_the_rest_is_kept() {
        let mut v = json!({
            "email": "ada@example.com",
            "password_hash": "$argon2id$…",
            "totp_secret": "JBSWY3DPEHPK3PXP",
            "nested": [{ "recovery_codes": ["a", "b"], "roles": ["viewer"] }],
            "reset_token": null,
            "api_key": "k",
        });
        mask(&mut v);
        assert_eq!(v["password_hash"], "***");
        assert_eq!(v["totp_secret"], "***");
        assert_eq!(v["nested"][0]["recovery_codes"], "***");
        assert_eq!(v["nested"][0]["roles"], json!(["viewer"]));
        assert_eq!(v["api_key"], "***");
        assert!(
            v["reset_token"].is_null(),
            "an absent secret stays visibly absent"
        );
        assert_eq!(v["email"], "ada@example.com");
    }
}

//! The back office's identity and access (A-AUTH-01..08): admins are not
//! customers. They have their own accounts with roles ([`role`]), a
//! stricter password policy ([`password`]), a mandatory second factor
//! ([`mfa`]: TOTP and recovery codes), and sessions with an idle timeout, an
//! absolute lifetime and a short step-up window for privileged operations.
//! Every action they take is written to the [`crate::audit`] log.

pub mod mfa;
pub mod password;
pub mod role;
mod service;
pub mod store;

use std::time::Duration;

pub use mfa::{Enrolment, MfaRejected, RecoveryCode, TotpSecret};
pub use password::PolicyViolation;
pub use role::{Operation, Role, StepUp};
pub use service::{
    AdminProfile, AdminSession, Admins, Error, Invitation, NextStep, PasswordAccepted,
    SecondFactor, SessionInfo, parse_roles, pseudonym, requested_roles,
};

/// An admin session ends after this long without a request…
pub const SESSION_IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// …and in any case this long after the login.
pub const SESSION_ABSOLUTE_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);
/// How long a step-up (the second factor given again) lets privileged
/// operations through.
pub const STEP_UP_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// How long an invitation can be accepted.
pub const INVITATION_LIFETIME: Duration = Duration::from_secs(72 * 60 * 60);

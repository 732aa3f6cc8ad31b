//! [`Admins`]: the back office's identity operations. Invitation, login in
//! two steps (password, then the second factor), enrolment, step-up,
//! sessions, and account management by an administrator. Every outcome that
//! matters to security is an audit entry ([`crate::audit`]), a count in
//! `shop.admin.actions`, and for failures a security event.

use std::time::Duration;

use serde::Serialize;
use telemetry_api::{KeyValue, semconv};

use super::mfa::{Enrolment, MfaRejected, RecoveryCode, TotpSecret};
use super::password::{self as policy, PolicyViolation};
use super::role::{Operation, Role, StepUp};
use super::store::{self, AdminRow};
use super::{
    INVITATION_LIFETIME, SESSION_ABSOLUTE_LIFETIME, SESSION_IDLE_TIMEOUT, STEP_UP_LIFETIME,
};
use crate::accounts::store as account_store;
use crate::accounts::token::{SecretToken, sha256_hex};
use crate::accounts::{DisplayName, password, throttle};
use crate::audit::{self, Actor, AuditEvent, Origin, Outcome};
use crate::db::Db;
use crate::email::EmailAddress;
use crate::instruments::Instruments;
use crate::time::{now_millis, rfc3339};
use crate::validation::Invalid;

/// Failed second-factor attempts per admin within the limiter's window
/// before the session is ended and further attempts refused.
pub const MAX_MFA_FAILURES: i64 = 5;

/// Why a back-office operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The new password breaks the admin policy (`rule` names which part).
    #[error("{}", .0.message)]
    Policy(PolicyViolation),
    #[error("the invitation is unknown, already used or expired")]
    InvalidInvitation,
    #[error("an admin with this e-mail already exists")]
    EmailTaken,
    /// Unknown e-mail, wrong password or a disabled account: one answer.
    #[error("wrong e-mail or password")]
    InvalidCredentials,
    #[error("too many failed attempts; try again in {} seconds", .retry_after.as_secs())]
    TooManyAttempts { retry_after: Duration },
    /// The session has not given its second factor yet.
    #[error("give the second factor first (POST /api/admin/mfa/verify, or enrol)")]
    MfaRequired,
    /// A wrong, malformed or replayed code or recovery code.
    #[error("the code is not valid")]
    MfaInvalid,
    #[error("the second factor is already enrolled")]
    AlreadyEnrolled,
    #[error("no second factor is enrolled yet: enrol first")]
    NotEnrolled,
    /// The session's roles do not allow the operation.
    #[error("your roles do not allow {0}")]
    Forbidden(Operation),
    /// The operation needs the second factor given again recently.
    #[error("{0} needs a step-up: give your code to POST /api/admin/step-up first")]
    StepUpRequired(Operation),
    #[error("admin {0} not found")]
    AdminNotFound(String),
    #[error("session {0} not found")]
    SessionNotFound(String),
    /// The change would leave no enabled administrator.
    #[error("this would leave the back office without an enabled administrator")]
    LastAdministrator,
    #[error("password hashing failed: {0}")]
    Hasher(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// A live admin session, as the HTTP layer sees it after the cookie.
#[derive(Debug, Clone)]
pub struct AdminSession {
    pub admin_id: String,
    /// What telemetry carries instead of the id: `a_` and 16 hex digits.
    pub pseudonym: String,
    pub public_id: String,
    pub token_hash: String,
    pub csrf_hash: String,
    pub roles: Vec<Role>,
    pub mfa_passed: bool,
    pub enrolled: bool,
    pub elevated_until: Option<i64>,
}

impl AdminSession {
    /// Whether the session may perform `op` now: a role that allows it, and
    /// for step-up operations a step-up within [`STEP_UP_LIFETIME`].
    pub fn authorize(&self, op: Operation, now: i64) -> Result<(), Error> {
        if !op.allowed(&self.roles) {
            return Err(Error::Forbidden(op));
        }
        if op.step_up() == StepUp::Required && self.elevated_until.is_none_or(|t| t <= now) {
            return Err(Error::StepUpRequired(op));
        }
        Ok(())
    }

    pub fn actor(&self) -> Actor {
        Actor::Admin(self.admin_id.clone())
    }
}

/// The pseudonym of an admin id in telemetry.
pub fn pseudonym(admin_id: &str) -> String {
    let digest = sha256_hex(format!("shop.admin.pseudo.id/v1:{admin_id}").as_bytes());
    format!("a_{}", &digest[..16])
}

/// An admin as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AdminProfile {
    pub id: String,
    pub email: String,
    pub name: String,
    pub roles: Vec<String>,
    pub mfa_enrolled: bool,
    pub disabled: bool,
    /// RFC 3339.
    pub created_at: String,
}

impl AdminProfile {
    fn of(row: &AdminRow) -> AdminProfile {
        AdminProfile {
            id: row.id.clone(),
            email: row.email.clone(),
            name: row.name.clone(),
            roles: parse_roles(&row.roles)
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect(),
            mfa_enrolled: row.totp_enrolled_at.is_some(),
            disabled: row.disabled_at.is_some(),
            created_at: rfc3339(row.created_at),
        }
    }
}

/// One of an admin's sessions, as its owner sees it (never the token).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionInfo {
    pub id: String,
    pub current: bool,
    pub second_factor_given: bool,
    pub client_address: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
}

/// What the second step of a login is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NextStep {
    /// Enrol TOTP (`POST /api/admin/mfa/enrol`, then `/confirm`).
    Enrol,
    /// Give the code (`POST /api/admin/mfa/verify`).
    Verify,
}

/// A password accepted: the session's secrets, handed out once.
#[derive(Debug)]
pub struct PasswordAccepted {
    pub session_token: SecretToken,
    pub csrf_token: SecretToken,
    pub next: NextStep,
    pub pseudonym: String,
}

/// A new invitation: the token to pass to the invitee, once.
#[derive(Debug)]
pub struct Invitation {
    pub token: SecretToken,
    pub email: String,
    pub roles: Vec<Role>,
    pub expires_at: i64,
}

/// A second factor as typed: a TOTP code or a recovery code.
#[derive(Debug, Clone)]
pub enum SecondFactor {
    Code(String),
    RecoveryCode(String),
}

/// What an administrator does to another admin's account ([`Admins::manage`]).
enum Change {
    /// The new roles, as stored.
    Roles(String),
    Disabled(bool),
    ResetMfa,
    RevokeSessions,
}

/// Parses a stored or requested role list; unknown names are dropped.
pub fn parse_roles(csv: &str) -> Vec<Role> {
    let mut roles: Vec<Role> = csv
        .split(',')
        .filter_map(|r| Role::parse(r.trim()))
        .collect();
    roles.sort();
    roles.dedup();
    roles
}

fn roles_csv(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Validates a requested role list (field `roles`): known names, at least
/// one, at most as many as there are roles.
pub fn requested_roles(names: &[String]) -> Result<Vec<Role>, Invalid> {
    if names.len() > Role::ALL.len() {
        return Err(Invalid::new(
            "roles",
            format!("must name at most {} roles", Role::ALL.len()),
        ));
    }
    let mut roles = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let role = Role::parse(name).ok_or_else(|| {
            Invalid::new(
                format!("roles[{i}]"),
                format!(
                    "unknown role {name:?}; the roles are {}",
                    Role::ALL.map(|r| r.as_str()).join(", ")
                ),
            )
        })?;
        roles.push(role);
    }
    if roles.is_empty() {
        return Err(Invalid::new("roles", "must name at least one role"));
    }
    roles.sort();
    roles.dedup();
    Ok(roles)
}

/// `s` cut to at most `max` bytes, on a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn ms(d: Duration) -> i64 {
    d.as_millis() as i64
}

/// Runs a password hash or check off the async threads, at most one per CPU at a time
/// ([`password::off_thread`]): argon2id takes tens of milliseconds of CPU and 19 MiB on purpose.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, Error> {
    password::off_thread(f)
        .await
        .map_err(|e| Error::Hasher(e.to_string()))
}

/// The back office's identity operations. Cheap to clone.
#[derive(Clone)]
pub struct Admins {
    db: Db,
    instruments: Instruments,
}

impl Admins {
    pub fn new(db: Db, instruments: Instruments) -> Admins {
        Admins { db, instruments }
    }

    /// Counts the action, and writes its audit entry (in its own
    /// transaction: for actions whose change, if any, is already committed,
    /// or that change nothing).
    async fn record(&self, event: AuditEvent) -> Result<(), Error> {
        self.count(&event.action, event.outcome);
        // The action as a log line too, for the saved Logs Insights query
        // `admin-actions` (the audit log keeps the whole entry; the span's
        // `shop.admin.action` is not on any log line). The admin's pseudonym
        // comes from the request's scope.
        tracing::info!(
            shop.admin.action = %event.action,
            shop.admin.outcome = event.outcome.as_str(),
            "admin action"
        );
        audit::append(&self.db, event).await?;
        Ok(())
    }

    fn count(&self, action: &str, outcome: Outcome) {
        self.instruments.admin_actions.add(
            1,
            &[
                KeyValue::new(semconv::SHOP_ADMIN_ACTION, action.to_owned()),
                KeyValue::new(semconv::SHOP_ADMIN_OUTCOME, outcome.as_str()),
            ],
        );
    }

    /// A security event (O-SEC-01/03): a `warn` line and one count by kind.
    fn security_event(&self, kind: &'static str, admin: Option<&str>) {
        let who = admin.map(pseudonym);
        self.instruments.security_event(kind, who.as_deref());
    }

    /// Records that `session` was refused `op` (O-SEC-03): an audit entry
    /// with outcome `denied` and a security event.
    pub async fn denied(
        &self,
        session: &AdminSession,
        op: Operation,
        origin: Origin,
    ) -> Result<(), Error> {
        self.security_event("admin_access_denied", Some(&session.admin_id));
        self.record(AuditEvent::new(session.actor(), op.as_str(), Outcome::Denied).origin(origin))
            .await
    }

    /// Records a change an admin made outside the admin accounts (the fault
    /// flags): an audit entry for `op` on `target` with the state before and
    /// after, and the action's count.
    pub async fn changed(
        &self,
        session: &AdminSession,
        op: Operation,
        target: &str,
        before: serde_json::Value,
        after: serde_json::Value,
        origin: Origin,
    ) -> Result<(), Error> {
        self.record(
            AuditEvent::new(session.actor(), op.as_str(), Outcome::Success)
                .target(target)
                .change(Some(before), Some(after))
                .origin(origin),
        )
        .await
    }

    /// Records that an admin read a customer's personal data (O-SEC-04): an
    /// audit entry naming what was read, and a security event.
    pub async fn personal_data_read(
        &self,
        session: &AdminSession,
        op: Operation,
        target: &str,
        origin: Origin,
    ) -> Result<(), Error> {
        self.security_event("personal_data_read", Some(&session.admin_id));
        self.record(
            AuditEvent::new(session.actor(), op.as_str(), Outcome::Success)
                .target(target)
                .origin(origin),
        )
        .await
    }

    /// Records that `session` took data out of the shop with `op` (an
    /// export or a report): an audit entry naming what (`target`) and how
    /// much (`detail`), counted in `shop.admin.actions`. Written before the
    /// data is handed over, so an export whose entry cannot be written
    /// fails instead of leaving unrecorded.
    pub async fn data_exported(
        &self,
        session: &AdminSession,
        op: Operation,
        target: &str,
        detail: serde_json::Value,
        origin: Origin,
    ) -> Result<(), Error> {
        self.record(
            AuditEvent::new(session.actor(), op.as_str(), Outcome::Success)
                .target(target)
                .change(None, Some(detail))
                .origin(origin),
        )
        .await
    }

    /// Counts a successful read-only operation. (Plain listings are counted,
    /// not audited; exports and reads of personal data will be audited.)
    pub fn counted(&self, op: Operation) {
        self.count(op.as_str(), Outcome::Success);
    }

    /// Counts an operation that went as `outcome` (a batch run that failed).
    pub fn counted_as(&self, op: Operation, outcome: Outcome) {
        self.count(op.as_str(), outcome);
    }

    // --- invitations ---------------------------------------------------------------

    /// Invites `email` with `roles`: `by` is the inviting admin, or `None`
    /// for the command line (`shop admin invite`), which bootstraps the first
    /// administrator.
    pub async fn invite(
        &self,
        by: Option<&AdminSession>,
        email: &EmailAddress,
        roles: Vec<Role>,
        origin: Origin,
    ) -> Result<Invitation, Error> {
        let email = email.as_str().to_lowercase();
        let token = SecretToken::random();
        let now = now_millis();
        let expires_at = now + ms(INVITATION_LIFETIME);
        store::insert_invitation(
            &self.db,
            &token.hash(),
            &email,
            &roles_csv(&roles),
            by.map(|s| s.admin_id.as_str()),
            now,
            expires_at,
        )
        .await?;
        let actor = by.map(AdminSession::actor).unwrap_or(Actor::System("cli"));
        let after = serde_json::json!({ "email": email, "roles": roles_csv(&roles), "expires_at": rfc3339(expires_at) });
        self.record(
            AuditEvent::new(actor, Operation::AdminsInvite.as_str(), Outcome::Success)
                .target(format!("invitation:{}", &token.hash()[..12]))
                .change(None, Some(after))
                .origin(origin),
        )
        .await?;
        Ok(Invitation {
            token,
            email,
            roles,
            expires_at,
        })
    }

    /// Accepts an invitation: creates the admin with the invited roles. The
    /// password must pass the admin policy; the second factor is enrolled at
    /// the first login.
    pub async fn accept_invitation(
        &self,
        token: &str,
        name: &DisplayName,
        password_typed: &str,
        origin: Origin,
    ) -> Result<AdminProfile, Error> {
        let token = SecretToken::from_client(token).ok_or(Error::InvalidInvitation)?;
        let now = now_millis();
        // Peek first: the policy needs the e-mail, and the slow hash must
        // not run inside the write transaction.
        const PEEK: &str = "SELECT email FROM admin_invitations WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?";
        let email: Option<String> = self
            .db
            .traced(
                PEEK,
                sqlx::query_scalar(PEEK)
                    .bind(token.hash())
                    .bind(now)
                    .fetch_optional(self.db.pool()),
            )
            .await?;
        let email = email.ok_or(Error::InvalidInvitation)?;
        let checked =
            policy::check(password_typed, &[&email, name.as_str()]).map_err(Error::Policy)?;
        let hash = blocking(move || password::hash(checked.expose())).await?;
        let id = uuid::Uuid::new_v4().to_string();
        let mut tx = self.db.begin_write().await?;
        let result = async {
            let (email, roles, invited_by) =
                store::take_invitation(&self.db, &mut tx, &token.hash(), now)
                    .await?
                    .ok_or(Error::InvalidInvitation)?;
            let row = AdminRow {
                id: id.clone(),
                email,
                name: name.as_str().to_owned(),
                roles,
                disabled_at: None,
                totp_secret: None,
                totp_enrolled_at: None,
                created_at: now,
            };
            match store::insert_admin(&self.db, &mut tx, &row, &hash).await {
                Err(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                    return Err(Error::EmailTaken);
                }
                other => other?,
            }
            let after = serde_json::json!({ "roles": row.roles, "invited_by": invited_by });
            audit::append_in(
                &self.db,
                &mut tx,
                AuditEvent::new(
                    Actor::Admin(id.clone()),
                    "admins.accept_invitation",
                    Outcome::Success,
                )
                .target(format!("admin:{id}"))
                .change(None, Some(after))
                .origin(origin),
            )
            .await?;
            Ok::<AdminRow, Error>(row)
        }
        .await;
        match result {
            Ok(row) => {
                self.db.traced("COMMIT", tx.commit()).await?;
                self.count("admins.accept_invitation", Outcome::Success);
                tracing::info!(
                    enduser.pseudo.id = pseudonym(&row.id).as_str(),
                    "admin account created"
                );
                Ok(AdminProfile::of(&row))
            }
            Err(e) => {
                let _ = self.db.traced("ROLLBACK", tx.rollback()).await;
                Err(e)
            }
        }
    }

    // --- login -----------------------------------------------------------------------

    /// The first step of a login: the password. Limited like the customers'
    /// login (per account and per client address). On success, a session
    /// that can do nothing but give the second factor.
    pub async fn login(
        &self,
        email: &EmailAddress,
        password_typed: &str,
        client: &str,
        user_agent: Option<&str>,
        origin: Origin,
    ) -> Result<PasswordAccepted, Error> {
        if password_typed.chars().count() > password::MAX_PASSWORD_CHARS {
            return Err(Invalid::new(
                "password",
                format!(
                    "must be at most {} characters",
                    password::MAX_PASSWORD_CHARS
                ),
            )
            .into());
        }
        let email = email.as_str().to_lowercase();
        let account_key = sha256_hex(format!("admin-account:{email}").as_bytes());
        let client_key = sha256_hex(format!("client:{client}").as_bytes());
        let now = now_millis();
        let since = now - ms(throttle::WINDOW);
        let (account, from_client) =
            account_store::failures(&self.db, &account_key, &client_key, since).await?;
        if let Some((_, retry_after)) = throttle::decide(account, from_client, now) {
            self.security_event("admin_login_locked", None);
            self.record(
                AuditEvent::new(Actor::Anonymous, "admin.login", Outcome::Denied).origin(origin),
            )
            .await?;
            return Err(Error::TooManyAttempts { retry_after });
        }
        let found = store::credentials(&self.db, &email).await?;
        let stored = found
            .as_ref()
            .map(|(_, h, _)| h.clone())
            .unwrap_or_else(|| password::decoy_hash().to_owned());
        let typed = password_typed.to_owned();
        let matches = blocking(move || password::verify(&typed, &stored)).await?;
        let id = match found {
            Some((id, _, false)) if matches => id,
            other => {
                account_store::record_failure(&self.db, &account_key, &client_key, now).await?;
                let id = other.map(|(id, _, _)| id);
                self.security_event("admin_login_failed", id.as_deref());
                let actor = id.clone().map(Actor::Admin).unwrap_or(Actor::Anonymous);
                let mut event =
                    AuditEvent::new(actor, "admin.login", Outcome::Failed).origin(origin);
                if let Some(id) = id {
                    event = event.target(format!("admin:{id}"));
                }
                self.record(event).await?;
                return Err(Error::InvalidCredentials);
            }
        };
        account_store::clear_account_failures(&self.db, &account_key).await?;
        let session_token = SecretToken::random();
        let csrf_token = SecretToken::random();
        let public_id = SecretToken::random().expose()[..16].to_owned();
        store::insert_session(
            &self.db,
            &session_token.hash(),
            &id,
            &csrf_token.hash(),
            &public_id,
            client,
            user_agent.map(|ua| truncate(ua, 255)),
            now,
            now + ms(SESSION_ABSOLUTE_LIFETIME),
        )
        .await?;
        let enrolled = store::admin(&self.db, &id)
            .await?
            .is_some_and(|a| a.totp_enrolled_at.is_some());
        self.record(
            AuditEvent::new(Actor::Admin(id.clone()), "admin.login", Outcome::Success)
                .target(format!("session:{public_id}"))
                .origin(origin),
        )
        .await?;
        Ok(PasswordAccepted {
            session_token,
            csrf_token,
            next: if enrolled {
                NextStep::Verify
            } else {
                NextStep::Enrol
            },
            pseudonym: pseudonym(&id),
        })
    }

    /// The live session a token opens: not revoked, not past its absolute
    /// lifetime or idle timeout, its admin not disabled. Refreshes "last
    /// seen" (admin sessions are few; the idle timeout needs it exact).
    pub async fn authenticate(&self, token: &SecretToken) -> Result<Option<AdminSession>, Error> {
        let token_hash = token.hash();
        let Some(row) = store::session(&self.db, &token_hash).await? else {
            return Ok(None);
        };
        let now = now_millis();
        let live = row.revoked_at.is_none()
            && row.disabled_at.is_none()
            && now < row.expires_at
            && now - row.last_seen_at < ms(SESSION_IDLE_TIMEOUT);
        if !live {
            return Ok(None);
        }
        store::touch_session(&self.db, &token_hash, now).await?;
        Ok(Some(AdminSession {
            pseudonym: pseudonym(&row.admin_id),
            admin_id: row.admin_id,
            public_id: row.public_id,
            token_hash,
            csrf_hash: row.csrf_hash,
            roles: parse_roles(&row.roles),
            mfa_passed: row.mfa_passed,
            enrolled: row.enrolled,
            elevated_until: row.elevated_until,
        }))
    }

    // --- the second factor ---------------------------------------------------------

    /// Starts (or restarts) enrolment: a new secret, shown once.
    pub async fn enrol(&self, session: &AdminSession) -> Result<Enrolment, Error> {
        if session.enrolled {
            return Err(Error::AlreadyEnrolled);
        }
        let admin = store::admin(&self.db, &session.admin_id)
            .await?
            .ok_or_else(|| Error::AdminNotFound(session.admin_id.clone()))?;
        let secret = TotpSecret::generate();
        if !store::set_pending_secret(&self.db, &admin.id, &secret.to_base32(), now_millis())
            .await?
        {
            return Err(Error::AlreadyEnrolled);
        }
        Ok(secret.enrolment(&admin.email))
    }

    /// Confirms enrolment with the first code from the app: MFA is then on
    /// for good, the session has given its second factor, and the recovery
    /// codes are handed out (once).
    pub async fn confirm_enrolment(
        &self,
        session: &AdminSession,
        code: &str,
        origin: Origin,
    ) -> Result<Vec<RecoveryCode>, Error> {
        if session.enrolled {
            return Err(Error::AlreadyEnrolled);
        }
        self.mfa_gate(session, &origin).await?;
        let admin = store::admin(&self.db, &session.admin_id)
            .await?
            .ok_or_else(|| Error::AdminNotFound(session.admin_id.clone()))?;
        let secret = admin
            .totp_secret
            .as_deref()
            .and_then(TotpSecret::from_base32)
            .ok_or(Error::NotEnrolled)?;
        let now = now_millis();
        let step = match secret.verify(code, (now / 1000) as u64, None) {
            Ok(step) => step,
            Err(why) => {
                return Err(self
                    .mfa_failed(session, "admin.mfa_enrol", why, origin)
                    .await);
            }
        };
        let codes = RecoveryCode::generate_set();
        let hashes: Vec<String> = codes.iter().map(RecoveryCode::hash).collect();
        let mut tx = self.db.begin_write().await?;
        let result = async {
            if !store::confirm_enrolment(&self.db, &mut tx, &admin.id, step, &hashes, now).await? {
                return Err(Error::AlreadyEnrolled);
            }
            audit::append_in(
                &self.db,
                &mut tx,
                AuditEvent::new(session.actor(), "admin.mfa_enrol", Outcome::Success)
                    .target(format!("admin:{}", admin.id))
                    .origin(origin),
            )
            .await?;
            Ok::<(), Error>(())
        }
        .await;
        match result {
            Ok(()) => self.db.traced("COMMIT", tx.commit()).await?,
            Err(e) => {
                let _ = self.db.traced("ROLLBACK", tx.rollback()).await;
                return Err(e);
            }
        }
        self.count("admin.mfa_enrol", Outcome::Success);
        store::pass_mfa(&self.db, &session.token_hash, now + ms(STEP_UP_LIFETIME)).await?;
        Ok(codes)
    }

    /// The second step of a login: a TOTP code or a recovery code.
    pub async fn verify_mfa(
        &self,
        session: &AdminSession,
        factor: &SecondFactor,
        origin: Origin,
    ) -> Result<(), Error> {
        let now = self
            .check_factor(session, factor, "admin.mfa", origin)
            .await?;
        store::pass_mfa(&self.db, &session.token_hash, now + ms(STEP_UP_LIFETIME)).await?;
        Ok(())
    }

    /// Step-up (A-AUTH-08): the code again, for [`STEP_UP_LIFETIME`] of
    /// privileged operations.
    pub async fn step_up(
        &self,
        session: &AdminSession,
        factor: &SecondFactor,
        origin: Origin,
    ) -> Result<i64, Error> {
        let now = self
            .check_factor(session, factor, "admin.step_up", origin)
            .await?;
        let until = now + ms(STEP_UP_LIFETIME);
        store::elevate(&self.db, &session.token_hash, until).await?;
        // Step-up use is watched like a role change (O-SEC-03).
        self.security_event("admin_step_up", Some(&session.admin_id));
        Ok(until)
    }

    /// Checks a second factor and audits the outcome; returns the time.
    async fn check_factor(
        &self,
        session: &AdminSession,
        factor: &SecondFactor,
        action: &'static str,
        origin: Origin,
    ) -> Result<i64, Error> {
        if !session.enrolled {
            return Err(Error::NotEnrolled);
        }
        self.mfa_gate(session, &origin).await?;
        let now = now_millis();
        let accepted = match factor {
            SecondFactor::Code(code) => {
                let secret = store::admin(&self.db, &session.admin_id)
                    .await?
                    .and_then(|a| a.totp_secret)
                    .and_then(|s| TotpSecret::from_base32(&s))
                    .ok_or(Error::NotEnrolled)?;
                let last = store::last_step(&self.db, &session.admin_id).await?;
                match secret.verify(code, (now / 1000) as u64, last) {
                    Ok(step) => {
                        if store::advance_step(&self.db, &session.admin_id, step).await? {
                            Ok(())
                        } else {
                            // Another request used this step between our read and our write.
                            Err(MfaRejected::Replayed)
                        }
                    }
                    Err(why) => Err(why),
                }
            }
            SecondFactor::RecoveryCode(typed) => {
                let hash = RecoveryCode::hash_typed(typed);
                if store::use_recovery_code(&self.db, &session.admin_id, &hash, now).await? {
                    let left = store::recovery_codes_left(&self.db, &session.admin_id).await?;
                    self.security_event("admin_recovery_code_used", Some(&session.admin_id));
                    tracing::warn!(recovery_codes_left = left, "a recovery code was used");
                    Ok(())
                } else {
                    Err(MfaRejected::Wrong)
                }
            }
        };
        match accepted {
            Ok(()) => {
                self.record(
                    AuditEvent::new(session.actor(), action, Outcome::Success)
                        .target(format!("session:{}", session.public_id))
                        .origin(origin),
                )
                .await?;
                Ok(now)
            }
            Err(why) => Err(self.mfa_failed(session, action, why, origin).await),
        }
    }

    /// Refuses second-factor attempts past [`MAX_MFA_FAILURES`] in the
    /// limiter's window, and ends the session that reached the limit.
    async fn mfa_gate(&self, session: &AdminSession, origin: &Origin) -> Result<(), Error> {
        let key = sha256_hex(format!("admin-mfa:{}", session.admin_id).as_bytes());
        let now = now_millis();
        let since = now - ms(throttle::WINDOW);
        let (failures, _) = account_store::failures(&self.db, &key, "-", since).await?;
        if failures.count < MAX_MFA_FAILURES {
            return Ok(());
        }
        let window = ms(throttle::WINDOW);
        let until = failures.oldest_at.unwrap_or(now) + window;
        let retry_after = Duration::from_millis((until - now).clamp(1_000, window) as u64);
        let mut tx = self.db.begin_write().await?;
        store::revoke_sessions_of(&self.db, &mut tx, &session.admin_id, now).await?;
        self.db.traced("COMMIT", tx.commit()).await?;
        self.security_event("admin_mfa_locked", Some(&session.admin_id));
        self.record(
            AuditEvent::new(session.actor(), "admin.mfa", Outcome::Denied)
                .target(format!("admin:{}", session.admin_id))
                .origin(origin.clone()),
        )
        .await?;
        Err(Error::TooManyAttempts { retry_after })
    }

    async fn mfa_failed(
        &self,
        session: &AdminSession,
        action: &'static str,
        why: MfaRejected,
        origin: Origin,
    ) -> Error {
        let key = sha256_hex(format!("admin-mfa:{}", session.admin_id).as_bytes());
        let recorded = async {
            account_store::record_failure(&self.db, &key, "-", now_millis()).await?;
            self.security_event("admin_mfa_failed", Some(&session.admin_id));
            tracing::warn!(reason = why.as_str(), "second factor refused");
            self.record(
                AuditEvent::new(session.actor(), action, Outcome::Failed)
                    .target(format!("session:{}", session.public_id))
                    .change(None, Some(serde_json::json!({ "reason": why.as_str() })))
                    .origin(origin),
            )
            .await
        }
        .await;
        match recorded {
            Ok(()) => Error::MfaInvalid,
            Err(e) => e,
        }
    }

    // --- sessions ---------------------------------------------------------------------

    pub async fn logout(&self, session: &AdminSession, origin: Origin) -> Result<(), Error> {
        store::revoke_session(
            &self.db,
            &session.admin_id,
            &session.public_id,
            now_millis(),
        )
        .await?;
        self.record(
            AuditEvent::new(session.actor(), "admin.logout", Outcome::Success)
                .target(format!("session:{}", session.public_id))
                .origin(origin),
        )
        .await
    }

    /// The session owner's live sessions.
    pub async fn sessions(&self, session: &AdminSession) -> Result<Vec<SessionInfo>, Error> {
        let now = now_millis();
        let rows = store::sessions_of(&self.db, &session.admin_id, now).await?;
        Ok(rows
            .into_iter()
            .filter(|r| now - r.last_seen_at < ms(SESSION_IDLE_TIMEOUT))
            .map(|r| SessionInfo {
                current: r.public_id == session.public_id,
                id: r.public_id,
                second_factor_given: r.mfa_passed,
                client_address: r.client_address,
                user_agent: r.user_agent,
                created_at: rfc3339(r.created_at),
                last_seen_at: rfc3339(r.last_seen_at),
                expires_at: rfc3339(r.expires_at),
            })
            .collect())
    }

    /// Revokes one of the owner's own sessions.
    pub async fn revoke_own(
        &self,
        session: &AdminSession,
        public_id: &str,
        origin: Origin,
    ) -> Result<(), Error> {
        if !store::revoke_session(&self.db, &session.admin_id, public_id, now_millis()).await? {
            return Err(Error::SessionNotFound(public_id.to_owned()));
        }
        self.record(
            AuditEvent::new(
                session.actor(),
                Operation::OwnSessionRevoke.as_str(),
                Outcome::Success,
            )
            .target(format!("session:{public_id}"))
            .origin(origin),
        )
        .await
    }

    // --- account management (administrators) ---------------------------------------

    pub async fn profile(&self, admin_id: &str) -> Result<AdminProfile, Error> {
        store::admin(&self.db, admin_id)
            .await?
            .map(|a| AdminProfile::of(&a))
            .ok_or_else(|| Error::AdminNotFound(admin_id.to_owned()))
    }

    pub async fn list(&self) -> Result<Vec<AdminProfile>, Error> {
        Ok(store::admins(&self.db)
            .await?
            .iter()
            .map(AdminProfile::of)
            .collect())
    }

    /// Applies `change` to `target` in one write transaction with its audit
    /// entry; refuses a change that leaves no enabled administrator.
    async fn manage(
        &self,
        by: &AdminSession,
        op: Operation,
        target: &str,
        origin: Origin,
        change: Change,
    ) -> Result<AdminProfile, Error> {
        let now = now_millis();
        let mut tx = self.db.begin_write().await?;
        let result = async {
            let before = store::admin_for_update(&self.db, &mut tx, target)
                .await?
                .ok_or_else(|| Error::AdminNotFound(target.to_owned()))?;
            let id = before.id.as_str();
            let (was, is) = match &change {
                Change::Roles(csv) => {
                    store::set_roles(&self.db, &mut tx, id, csv, now).await?;
                    (
                        serde_json::json!({ "roles": before.roles }),
                        serde_json::json!({ "roles": csv }),
                    )
                }
                Change::Disabled(disabled) => {
                    store::set_disabled(&self.db, &mut tx, id, disabled.then_some(now), now)
                        .await?;
                    if *disabled {
                        store::revoke_sessions_of(&self.db, &mut tx, id, now).await?;
                    }
                    (
                        serde_json::json!({ "disabled": before.disabled_at.is_some() }),
                        serde_json::json!({ "disabled": disabled }),
                    )
                }
                Change::ResetMfa => {
                    store::reset_mfa(&self.db, &mut tx, id, now).await?;
                    store::revoke_sessions_of(&self.db, &mut tx, id, now).await?;
                    (
                        serde_json::json!({ "mfa_enrolled": before.totp_enrolled_at.is_some() }),
                        serde_json::json!({ "mfa_enrolled": false }),
                    )
                }
                Change::RevokeSessions => {
                    let n = store::revoke_sessions_of(&self.db, &mut tx, id, now).await?;
                    (
                        serde_json::json!({}),
                        serde_json::json!({ "sessions_revoked": n }),
                    )
                }
            };
            let administrators = store::enabled_roles_for_update(&self.db, &mut tx)
                .await?
                .iter()
                .filter(|(_, roles)| parse_roles(roles).contains(&Role::Administrator))
                .count();
            if administrators == 0 {
                return Err(Error::LastAdministrator);
            }
            audit::append_in(
                &self.db,
                &mut tx,
                AuditEvent::new(by.actor(), op.as_str(), Outcome::Success)
                    .target(format!("admin:{target}"))
                    .change(Some(was), Some(is))
                    .origin(origin),
            )
            .await?;
            Ok::<(), Error>(())
        }
        .await;
        match result {
            Ok(()) => self.db.traced("COMMIT", tx.commit()).await?,
            Err(e) => {
                let _ = self.db.traced("ROLLBACK", tx.rollback()).await;
                return Err(e);
            }
        }
        self.count(op.as_str(), Outcome::Success);
        self.profile(target).await
    }

    /// Replaces `target`'s roles.
    pub async fn change_roles(
        &self,
        by: &AdminSession,
        target: &str,
        roles: Vec<Role>,
        origin: Origin,
    ) -> Result<AdminProfile, Error> {
        let change = Change::Roles(roles_csv(&roles));
        let profile = self
            .manage(by, Operation::AdminsChangeRoles, target, origin, change)
            .await?;
        self.security_event("admin_roles_changed", Some(target));
        Ok(profile)
    }

    /// Disables (and signs out) or re-enables `target`.
    pub async fn set_disabled(
        &self,
        by: &AdminSession,
        target: &str,
        disabled: bool,
        origin: Origin,
    ) -> Result<AdminProfile, Error> {
        self.manage(
            by,
            Operation::AdminsDisable,
            target,
            origin,
            Change::Disabled(disabled),
        )
        .await
    }

    /// Forgets `target`'s second factor and signs them out: they enrol again.
    pub async fn reset_mfa(
        &self,
        by: &AdminSession,
        target: &str,
        origin: Origin,
    ) -> Result<AdminProfile, Error> {
        let profile = self
            .manage(
                by,
                Operation::AdminsResetMfa,
                target,
                origin,
                Change::ResetMfa,
            )
            .await?;
        self.security_event("admin_mfa_reset", Some(target));
        Ok(profile)
    }

    /// Signs `target` out everywhere.
    pub async fn revoke_sessions(
        &self,
        by: &AdminSession,
        target: &str,
        origin: Origin,
    ) -> Result<AdminProfile, Error> {
        self.manage(
            by,
            Operation::AdminsRevokeSessions,
            target,
            origin,
            Change::RevokeSessions,
        )
        .await
    }

    // --- the audit log ------------------------------------------------------------------

    /// Entries in `[from, to)` (epoch ms), oldest first, at most `limit`.
    pub async fn audit_entries(
        &self,
        from: i64,
        to: i64,
        limit: i64,
    ) -> Result<Vec<audit::Entry>, Error> {
        let entries = audit::entries(&self.db, from, to, limit).await?;
        self.count(Operation::AuditRead.as_str(), Outcome::Success);
        Ok(entries)
    }

    /// Verifies the chain, and audits that it was verified (and how it went).
    pub async fn audit_verify(
        &self,
        by: &AdminSession,
        origin: Origin,
    ) -> Result<audit::Verdict, Error> {
        let verdict = audit::verify(&self.db).await?;
        let outcome = match verdict {
            audit::Verdict::Intact { .. } => Outcome::Success,
            audit::Verdict::Broken { .. } => {
                self.security_event("audit_chain_broken", Some(&by.admin_id));
                Outcome::Failed
            }
        };
        self.record(
            AuditEvent::new(by.actor(), Operation::AuditVerify.as_str(), outcome).origin(origin),
        )
        .await?;
        Ok(verdict)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(roles: &[Role], elevated_until: Option<i64>) -> AdminSession {
        AdminSession {
            admin_id: "a".into(),
            pseudonym: pseudonym("a"),
            public_id: "p".into(),
            token_hash: "t".into(),
            csrf_hash: "c".into(),
            roles: roles.to_vec(),
            mfa_passed: true,
            enrolled: true,
            elevated_until,
        }
    }

    #[test]
    fn authorize_checks_roles_then_the_step_up_window() {
        let s = session(&[Role::CatalogManager], None);
        assert!(s.authorize(Operation::CatalogWrite, 0).is_ok());
        assert!(matches!(
            s.authorize(Operation::InventoryAdjust, 0),
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            s.authorize(Operation::CatalogBulkDelete, 0),
            Err(Error::StepUpRequired(_))
        ));
        let s = session(&[Role::CatalogManager], Some(1_000));
        assert!(s.authorize(Operation::CatalogBulkDelete, 999).is_ok());
        assert!(matches!(
            s.authorize(Operation::CatalogBulkDelete, 1_000),
            Err(Error::StepUpRequired(_))
        ));
    }

    #[test]
    fn requested_roles_are_named_known_and_deduplicated() {
        let r =
            requested_roles(&["viewer".into(), "administrator".into(), "viewer".into()]).unwrap();
        assert_eq!(r, vec![Role::Viewer, Role::Administrator]);
        assert_eq!(requested_roles(&[]).unwrap_err().field, "roles");
        assert_eq!(
            requested_roles(&["viewer".into(), "root".into()])
                .unwrap_err()
                .field,
            "roles[1]"
        );
    }

    #[test]
    fn the_pseudonym_is_stable_and_not_the_id() {
        let id = "6f1c1f7e-1d1b-4a5e-9f00-000000000001";
        assert_eq!(pseudonym(id), pseudonym(id));
        assert!(pseudonym(id).starts_with("a_") && pseudonym(id).len() == 18);
        assert!(!pseudonym(id).contains(&id[..8]));
    }
}

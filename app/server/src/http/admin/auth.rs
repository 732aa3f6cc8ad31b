//! Signing in to the back office: accepting an invitation, the two-step
//! login (password, then the second factor), TOTP enrolment, step-up,
//! logout, and one's own account and sessions.

use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shop_core::accounts::DisplayName;
use shop_core::admin::{AdminProfile, Admins, NextStep, Operation, SecondFactor, SessionInfo};
use shop_core::time::rfc3339;
use telemetry_api::Telemetry;
use utoipa::ToSchema;

use super::session::{Admin, PendingAdmin, admin_cookie, clear_admin_cookie, origin};
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{Json as JsonBody, Path};
use crate::http::session::is_tls;

/// The body of "accept an invitation".
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    /// The invitation token: 64 hex digits.
    #[schema(pattern = "^[0-9a-f]{64}$", min_length = 64, max_length = 64)]
    pub token: String,
    /// The admin's display name: 1–100 characters, not blank.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"\S",
        example = "Ada Lovelace"
    )]
    pub name: String,
    /// 12–128 characters, not a common or breached password, and hard to guess (docs/admin.md).
    #[schema(format = Password, min_length = 12, max_length = 128, example = "brass lantern quiet fjord 42")]
    pub password: String,
}

/// The body of an admin login.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminLogin {
    #[schema(
        max_length = 254,
        pattern = r"^[!-?A-~]{1,64}@[!-\-/-?A-~][!-?A-~]*\.[!-?A-~]*[!-\-/-?A-~]$",
        example = "ada@example.com"
    )]
    pub email: String,
    #[schema(format = Password, min_length = 1, max_length = 128)]
    pub password: String,
}

/// The password was right: the session exists, but can do nothing until
/// the second factor is given (`next`).
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminLoginResponse {
    /// Send this back in the `X-CSRF-Token` header with every request that changes something.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub csrf_token: String,
    /// `enrol` (first login: enrol TOTP) or `verify` (give the code).
    pub next: NextStep,
}

/// What to scan: shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrolmentResponse {
    /// `otpauth://totp/…`: contains the secret.
    pub otpauth_uri: String,
    /// The same URI as a QR code, an SVG image.
    pub qr_svg: String,
}

/// A six-digit code from the authenticator app.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    #[schema(pattern = "^[0-9]{6}$", example = "123456")]
    pub code: String,
}

/// A code from the app, or one of the recovery codes (exactly one of the two).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecondFactorBody {
    #[schema(pattern = "^[0-9]{6}$", example = "123456")]
    #[serde(default)]
    pub code: Option<String>,
    /// `xxxx-xxxx-xxxx-xxxx`; dashes, spaces and case do not matter.
    #[serde(default)]
    #[schema(min_length = 16, max_length = 64)]
    pub recovery_code: Option<String>,
}

impl SecondFactorBody {
    fn factor(self) -> Result<SecondFactor, ApiError> {
        match (self.code, self.recovery_code) {
            (Some(code), None) => Ok(SecondFactor::Code(code)),
            (None, Some(rc)) if rc.len() <= 64 => Ok(SecondFactor::RecoveryCode(rc)),
            (None, Some(_)) => Err(ApiError::validation(
                "recovery_code",
                "must be at most 64 characters",
            )),
            _ => Err(ApiError::validation(
                "code",
                "give exactly one of `code` and `recovery_code`",
            )),
        }
    }
}

/// Enrolment confirmed: the recovery codes, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodesResponse {
    /// Ten single-use codes for when the phone is lost. Store them offline.
    pub recovery_codes: Vec<String>,
}

/// A step-up's window.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepUpResponse {
    /// RFC 3339: privileged operations are allowed until then.
    pub elevated_until: String,
}

/// The signed-in admin.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub admin: AdminProfile,
    /// This session's id (as in `GET /api/admin/sessions`).
    pub session_id: String,
    /// RFC 3339, when privileged operations are allowed until (absent: a step-up is needed).
    pub elevated_until: Option<String>,
}

/// Accept an invitation: creates the admin account with the invited roles.
#[utoipa::path(post, path = "/api/admin/invitations/accept", tag = "admin", request_body = AcceptInvitation,
    responses(
        (status = 201, description = "The admin account (log in next; the first login enrols TOTP)", body = AdminProfile),
        (status = 400, description = "Invalid field; a password that breaks the policy names the rule (`length`, `common`, `strength`)", body = ErrorBody),
        (status = 404, description = "The invitation is unknown, used or expired (`invalid_invitation`)", body = ErrorBody),
        (status = 409, description = "An admin with this e-mail exists", body = ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("public"))))]
pub async fn accept_invitation(
    State(admins): State<Admins>,
    State(telemetry): State<Telemetry>,
    request: Request,
) -> ApiResult<(StatusCode, Json<AdminProfile>)> {
    let from = origin(request.headers(), request.extensions(), &telemetry);
    let JsonBody(body) = JsonBody::<AcceptInvitation>::from_request(request, &()).await?;
    let name = DisplayName::parse(&body.name)?;
    let profile = admins
        .accept_invitation(&body.token, &name, &body.password, from)
        .await?;
    Ok((StatusCode::CREATED, Json(profile)))
}

/// Log in, step one: the password. Sets the `shop_admin_session` cookie.
#[utoipa::path(post, path = "/api/admin/login", tag = "admin", operation_id = "admin_login", request_body = AdminLogin,
    responses(
        (status = 200, description = "Password accepted; give the second factor next", body = AdminLoginResponse,
            headers(("set-cookie" = String, description = "The admin session cookie (HttpOnly, SameSite=Strict, Path=/api/admin)"))),
        (status = 400, description = "Invalid field", body = ErrorBody),
        (status = 401, description = "Wrong e-mail or password, or a disabled account (`invalid_credentials`)", body = ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
        (status = 429, description = "Too many failed logins (`too_many_attempts`)", body = ErrorBody,
            headers(("retry-after" = u64, description = "Seconds until the next attempt may succeed"))),
    ),
    extensions(("x-admin-operation" = json!("public"))))]
pub async fn login(
    State(admins): State<Admins>,
    State(telemetry): State<Telemetry>,
    headers: HeaderMap,
    request: Request,
) -> ApiResult<Response> {
    let from = origin(request.headers(), request.extensions(), &telemetry);
    let client = from
        .client_address
        .clone()
        .unwrap_or_else(|| "unknown".to_owned());
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let JsonBody(body) = JsonBody::<AdminLogin>::from_request(request, &()).await?;
    let email = crate::http::accounts::account_email(&body.email)?;
    let accepted = admins
        .login(&email, &body.password, &client, user_agent.as_deref(), from)
        .await?;
    tracing::Span::current().record(
        telemetry_api::semconv::ENDUSER_PSEUDO_ID,
        accepted.pseudonym.as_str(),
    );
    let mut response = Json(AdminLoginResponse {
        csrf_token: accepted.csrf_token.expose().to_owned(),
        next: accepted.next,
    })
    .into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        admin_cookie(&accepted.session_token, is_tls(&headers)),
    );
    Ok(response)
}

/// Enrol TOTP: a new secret, as an otpauth URI and a QR code (before the first confirmation only).
#[utoipa::path(post, path = "/api/admin/mfa/enrol", tag = "admin",
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 200, description = "Scan this, then confirm with a code", body = EnrolmentResponse),
        (status = 401, description = "No admin session", body = ErrorBody),
        (status = 403, description = "Missing or wrong X-CSRF-Token", body = ErrorBody),
        (status = 409, description = "Already enrolled (`mfa_already_enrolled`)", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("session"))))]
pub async fn enrol(
    State(admins): State<Admins>,
    admin: PendingAdmin,
) -> ApiResult<Json<EnrolmentResponse>> {
    let e = admins.enrol(&admin.session).await?;
    Ok(Json(EnrolmentResponse {
        otpauth_uri: e.otpauth_uri,
        qr_svg: e.qr_svg,
    }))
}

/// Confirm enrolment with the app's first code: MFA is on, the session may be used, and the
/// recovery codes are shown once.
#[utoipa::path(post, path = "/api/admin/mfa/confirm", tag = "admin", request_body = CodeBody,
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 200, description = "Enrolled; keep the recovery codes", body = RecoveryCodesResponse),
        (status = 400, description = "Invalid field", body = ErrorBody),
        (status = 401, description = "No admin session, or a wrong code (`invalid_code`)", body = ErrorBody),
        (status = 403, description = "Missing or wrong X-CSRF-Token", body = ErrorBody),
        (status = 409, description = "Already enrolled, or enrolment not started (`mfa_not_enrolled`)", body = ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
        (status = 429, description = "Too many wrong codes: the session is ended", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("session"))))]
pub async fn confirm(
    State(admins): State<Admins>,
    admin: PendingAdmin,
    JsonBody(body): JsonBody<CodeBody>,
) -> ApiResult<Json<RecoveryCodesResponse>> {
    let codes = admins
        .confirm_enrolment(&admin.session, &body.code, admin.origin)
        .await?;
    Ok(Json(RecoveryCodesResponse {
        recovery_codes: codes.iter().map(|c| c.expose().to_owned()).collect(),
    }))
}

/// Log in, step two: the code from the app, or a recovery code.
#[utoipa::path(post, path = "/api/admin/mfa/verify", tag = "admin", operation_id = "admin_mfa_verify", request_body = SecondFactorBody,
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 204, description = "Second factor given: the session may be used"),
        (status = 400, description = "Invalid field", body = ErrorBody),
        (status = 401, description = "No admin session, or a wrong or replayed code (`invalid_code`)", body = ErrorBody),
        (status = 403, description = "Missing or wrong X-CSRF-Token", body = ErrorBody),
        (status = 409, description = "Not enrolled yet (`mfa_not_enrolled`)", body = ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
        (status = 429, description = "Too many wrong codes: the session is ended", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("session"))))]
pub async fn verify(
    State(admins): State<Admins>,
    admin: PendingAdmin,
    JsonBody(body): JsonBody<SecondFactorBody>,
) -> ApiResult<StatusCode> {
    admins
        .verify_mfa(&admin.session, &body.factor()?, admin.origin)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Step-up: the second factor again, for 10 minutes of privileged operations.
#[utoipa::path(post, path = "/api/admin/step-up", tag = "admin", request_body = SecondFactorBody,
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 200, description = "Privileged operations allowed until `elevated_until`", body = StepUpResponse),
        (status = 400, description = "Invalid field", body = ErrorBody),
        (status = 401, description = "No admin session (or no second factor yet), or a wrong code", body = ErrorBody),
        (status = 403, description = "Missing or wrong X-CSRF-Token", body = ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
        (status = 429, description = "Too many wrong codes: the session is ended", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("session"))))]
pub async fn step_up(
    State(admins): State<Admins>,
    admin: Admin,
    JsonBody(body): JsonBody<SecondFactorBody>,
) -> ApiResult<Json<StepUpResponse>> {
    let until = admins
        .step_up(&admin.session, &body.factor()?, admin.origin)
        .await?;
    Ok(Json(StepUpResponse {
        elevated_until: rfc3339(until),
    }))
}

/// Log out of the back office: ends this session.
#[utoipa::path(post, path = "/api/admin/logout", tag = "admin", operation_id = "admin_logout",
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 204, description = "Logged out; the cookie is cleared"),
        (status = 401, description = "No admin session", body = ErrorBody),
        (status = 403, description = "Missing or wrong X-CSRF-Token", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("session"))))]
pub async fn logout(
    State(admins): State<Admins>,
    headers: HeaderMap,
    admin: PendingAdmin,
) -> ApiResult<Response> {
    admins.logout(&admin.session, admin.origin).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, clear_admin_cookie(is_tls(&headers)));
    Ok(response)
}

/// The signed-in admin: profile, roles, this session.
#[utoipa::path(get, path = "/api/admin/me", tag = "admin",
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "The signed-in admin", body = Me),
        (status = 401, description = "No admin session, or no second factor yet (`mfa_required`)", body = ErrorBody),
        (status = 403, description = "Your roles do not allow this", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("account.read"))))]
pub async fn me(State(admins): State<Admins>, admin: Admin) -> ApiResult<Json<Me>> {
    admin.authorize(&admins, Operation::OwnAccountRead).await?;
    Ok(Json(Me {
        admin: admins.profile(&admin.session.admin_id).await?,
        session_id: admin.session.public_id.clone(),
        elevated_until: admin
            .session
            .elevated_until
            .filter(|t| *t > shop_core::time::now_millis())
            .map(rfc3339),
    }))
}

/// One's own live sessions.
#[utoipa::path(get, path = "/api/admin/sessions", tag = "admin",
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "Live sessions, oldest first", body = Vec<SessionInfo>),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Your roles do not allow this", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("account.read"))))]
pub async fn sessions(
    State(admins): State<Admins>,
    admin: Admin,
) -> ApiResult<Json<Vec<SessionInfo>>> {
    admin.authorize(&admins, Operation::OwnAccountRead).await?;
    Ok(Json(admins.sessions(&admin.session).await?))
}

/// Revoke one of one's own sessions (another device, or this one).
#[utoipa::path(delete, path = "/api/admin/sessions/{id}", tag = "admin",
    params(("id" = String, Path, description = "The session id from `GET /api/admin/sessions`", max_length = 64)),
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token, or your roles do not allow this", body = ErrorBody),
        (status = 404, description = "No such live session of yours", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("account.session_revoke"))))]
pub async fn revoke_session(
    State(admins): State<Admins>,
    admin: Admin,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    admin
        .authorize(&admins, Operation::OwnSessionRevoke)
        .await?;
    admins
        .revoke_own(&admin.session, &id, admin.origin.clone())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

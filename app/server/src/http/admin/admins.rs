//! Managing admin accounts (A-AUTH-07): list, invite, change roles,
//! disable and re-enable, reset a lost second factor, sign someone out.
//! The privileged ones need a step-up; every change is audited with its
//! before and after, and the last enabled administrator cannot be removed.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shop_core::admin::{AdminProfile, Admins, Operation, requested_roles};
use shop_core::time::rfc3339;
use utoipa::ToSchema;

use super::session::Admin;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{Json as JsonBody, Path};

/// The body of an invitation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvitation {
    #[schema(
        max_length = 254,
        pattern = r"^[!-?A-~]{1,64}@[!-\-/-?A-~][!-?A-~]*\.[!-?A-~]*[!-\-/-?A-~]$",
        example = "grace@example.com"
    )]
    pub email: String,
    /// At least one of `viewer`, `catalog_manager`, `inventory_manager`, `order_manager`,
    /// `security_auditor`, `administrator`.
    #[schema(value_type = Vec<RoleName>, min_items = 1, max_items = 6, example = json!(["catalog_manager"]))]
    pub roles: Vec<String>,
}

/// A role's name, for the document (the bodies take them as strings, so that an unknown one is
/// reported with the list of roles).
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // only its schema is used
pub enum RoleName {
    Viewer,
    CatalogManager,
    InventoryManager,
    OrderManager,
    SecurityAuditor,
    Administrator,
}

/// A new invitation: pass the token to the invitee (it is shown once).
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationResponse {
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub token: String,
    pub email: String,
    pub roles: Vec<String>,
    /// RFC 3339.
    pub expires_at: String,
}

/// The body of a role change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolesBody {
    #[schema(value_type = Vec<RoleName>, min_items = 1, max_items = 6, example = json!(["viewer", "order_manager"]))]
    pub roles: Vec<String>,
}

/// Every admin account.
#[utoipa::path(get, path = "/api/admin/admins", tag = "admin", operation_id = "list_admins",
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "Admins, oldest first", body = Vec<AdminProfile>),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Your roles do not allow this", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("admins.read"))))]
pub async fn list(
    State(admins): State<Admins>,
    admin: Admin,
) -> ApiResult<Json<Vec<AdminProfile>>> {
    admin.authorize(&admins, Operation::AdminsRead).await?;
    admins.counted(Operation::AdminsRead);
    Ok(Json(admins.list().await?))
}

/// Invite an admin: a single-use token valid for 72 hours.
#[utoipa::path(post, path = "/api/admin/invitations", tag = "admin", request_body = NewInvitation,
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 201, description = "The invitation", body = InvitationResponse),
        (status = 400, description = "Invalid field (an unknown role names the known ones)", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token, or your roles do not allow this", body = ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("admins.invite"))))]
pub async fn invite(
    State(admins): State<Admins>,
    admin: Admin,
    JsonBody(body): JsonBody<NewInvitation>,
) -> ApiResult<(StatusCode, Json<InvitationResponse>)> {
    admin.authorize(&admins, Operation::AdminsInvite).await?;
    let email = crate::http::accounts::account_email(&body.email)?;
    let roles = requested_roles(&body.roles)?;
    let invitation = admins
        .invite(Some(&admin.session), &email, roles, admin.origin.clone())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(InvitationResponse {
            token: invitation.token.expose().to_owned(),
            email: invitation.email,
            roles: invitation
                .roles
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect(),
            expires_at: rfc3339(invitation.expires_at),
        }),
    ))
}

/// Replace an admin's roles (step-up).
#[utoipa::path(put, path = "/api/admin/admins/{id}/roles", tag = "admin", request_body = RolesBody,
    params(("id" = String, Path, description = "The admin's id", max_length = 64)),
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 200, description = "The admin with the new roles", body = AdminProfile),
        (status = 400, description = "Invalid field", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token, your roles do not allow this, or a step-up is needed (`step_up_required`)", body = ErrorBody),
        (status = 404, description = "No such admin", body = ErrorBody),
        (status = 409, description = "It would leave no enabled administrator (`last_administrator`)", body = ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("admins.change_roles"))))]
pub async fn change_roles(
    State(admins): State<Admins>,
    admin: Admin,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RolesBody>,
) -> ApiResult<Json<AdminProfile>> {
    admin
        .authorize(&admins, Operation::AdminsChangeRoles)
        .await?;
    let roles = requested_roles(&body.roles)?;
    Ok(Json(
        admins
            .change_roles(&admin.session, &id, roles, admin.origin.clone())
            .await?,
    ))
}

/// Disable an admin (step-up): their sessions end and they cannot log in.
#[utoipa::path(post, path = "/api/admin/admins/{id}/disable", tag = "admin",
    params(("id" = String, Path, description = "The admin's id", max_length = 64)),
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 200, description = "The admin afterwards", body = AdminProfile),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token, your roles do not allow this, or a step-up is needed (`step_up_required`)", body = ErrorBody),
        (status = 404, description = "No such admin", body = ErrorBody),
        (status = 409, description = "It would leave no enabled administrator (`last_administrator`)", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("admins.disable"))))]
pub async fn disable(
    State(admins): State<Admins>,
    admin: Admin,
    Path(id): Path<String>,
) -> ApiResult<Json<AdminProfile>> {
    admin.authorize(&admins, Operation::AdminsDisable).await?;
    Ok(Json(
        admins
            .set_disabled(&admin.session, &id, true, admin.origin.clone())
            .await?,
    ))
}

/// Re-enable a disabled admin (step-up).
#[utoipa::path(post, path = "/api/admin/admins/{id}/enable", tag = "admin",
    params(("id" = String, Path, description = "The admin's id", max_length = 64)),
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 200, description = "The admin afterwards", body = AdminProfile),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token, your roles do not allow this, or a step-up is needed (`step_up_required`)", body = ErrorBody),
        (status = 404, description = "No such admin", body = ErrorBody),
        (status = 409, description = "It would leave no enabled administrator (`last_administrator`)", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("admins.disable"))))]
pub async fn enable(
    State(admins): State<Admins>,
    admin: Admin,
    Path(id): Path<String>,
) -> ApiResult<Json<AdminProfile>> {
    admin.authorize(&admins, Operation::AdminsDisable).await?;
    Ok(Json(
        admins
            .set_disabled(&admin.session, &id, false, admin.origin.clone())
            .await?,
    ))
}

/// Reset an admin's second factor (step-up): they enrol again at their next login.
#[utoipa::path(post, path = "/api/admin/admins/{id}/reset-mfa", tag = "admin",
    params(("id" = String, Path, description = "The admin's id", max_length = 64)),
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 200, description = "The admin afterwards", body = AdminProfile),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token, your roles do not allow this, or a step-up is needed (`step_up_required`)", body = ErrorBody),
        (status = 404, description = "No such admin", body = ErrorBody),
        (status = 409, description = "It would leave no enabled administrator (`last_administrator`)", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("admins.reset_mfa"))))]
pub async fn reset_mfa(
    State(admins): State<Admins>,
    admin: Admin,
    Path(id): Path<String>,
) -> ApiResult<Json<AdminProfile>> {
    admin.authorize(&admins, Operation::AdminsResetMfa).await?;
    Ok(Json(
        admins
            .reset_mfa(&admin.session, &id, admin.origin.clone())
            .await?,
    ))
}

/// End every session of an admin.
#[utoipa::path(post, path = "/api/admin/admins/{id}/revoke-sessions", tag = "admin",
    params(("id" = String, Path, description = "The admin's id", max_length = 64)),
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 200, description = "The admin afterwards", body = AdminProfile),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token, your roles do not allow this, or a step-up is needed (`step_up_required`)", body = ErrorBody),
        (status = 404, description = "No such admin", body = ErrorBody),
        (status = 409, description = "It would leave no enabled administrator (`last_administrator`)", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("admins.revoke_sessions"))))]
pub async fn revoke_sessions(
    State(admins): State<Admins>,
    admin: Admin,
    Path(id): Path<String>,
) -> ApiResult<Json<AdminProfile>> {
    admin
        .authorize(&admins, Operation::AdminsRevokeSessions)
        .await?;
    Ok(Json(
        admins
            .revoke_sessions(&admin.session, &id, admin.origin.clone())
            .await?,
    ))
}

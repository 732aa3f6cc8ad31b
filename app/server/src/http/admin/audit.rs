//! The audit log over HTTP (O-AUDIT-01): read a period, verify the chain;
//! and the compliance report (O-AUDIT-02) as JSON or CSV.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shop_core::admin::{Admins, Operation};
use shop_core::audit::compliance::{self, ComplianceReport, Period as ReportPeriod};
use shop_core::audit::{Entry, Verdict};
use shop_core::db::Db;
use shop_core::time::now_millis;
use utoipa::{IntoParams, ToSchema};

use super::session::Admin;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::Query;

/// Most entries one page returns.
pub const MAX_LIMIT: i64 = 1_000;

/// A period of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// From this time, RFC 3339 (default: the beginning).
    #[param(format = DateTime, example = "2026-12-01T00:00:00Z")]
    pub from: Option<String>,
    /// Until before this time, RFC 3339 (default: now and later).
    #[param(format = DateTime)]
    pub to: Option<String>,
    /// At most this many entries, 1–1000 (default 100), oldest first.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// An RFC 3339 query parameter as epoch milliseconds (`default` when absent).
pub(crate) fn time(field: &str, raw: Option<&str>, default: i64) -> Result<i64, ApiError> {
    match raw {
        None => Ok(default),
        Some(t) => shop_core::time::parse_rfc3339_millis(t).ok_or_else(|| {
            ApiError::validation(field, "must be an RFC 3339 time, e.g. 2026-12-01T00:00:00Z")
        }),
    }
}

/// The audit log's entries in a period.
#[utoipa::path(get, path = "/api/admin/audit", tag = "admin", params(Period),
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "Entries, oldest first", body = Vec<Entry>),
        (status = 400, description = "Invalid query parameter", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Your roles do not allow this", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("audit.read"))))]
pub async fn entries(
    State(admins): State<Admins>,
    admin: Admin,
    Query(period): Query<Period>,
) -> ApiResult<Json<Vec<Entry>>> {
    admin.authorize(&admins, Operation::AuditRead).await?;
    let from = time("from", period.from.as_deref(), 0)?;
    let to = time("to", period.to.as_deref(), i64::MAX)?;
    let limit = period.limit.unwrap_or(100);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::validation(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    Ok(Json(admins.audit_entries(from, to, limit).await?))
}

/// The verdict on the chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyResponse {
    pub intact: bool,
    /// Entries checked (intact chains).
    pub entries: Option<u64>,
    /// The last entry's sequence number and hash (intact chains).
    pub head_seq: Option<i64>,
    pub head_hash: Option<String>,
    /// Where the chain breaks (broken chains).
    pub broken_at: Option<i64>,
    /// `edited`, `unlinked` or `gap` (broken chains).
    pub problem: Option<String>,
}

/// Verify the audit log's hash chain, as `shop audit verify` does.
#[utoipa::path(post, path = "/api/admin/audit/verify", tag = "admin", operation_id = "verify_audit_chain",
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 200, description = "The verdict (a broken chain is a verdict, not an error)", body = VerifyResponse),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token, or your roles do not allow this", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("audit.verify"))))]
pub async fn verify(State(admins): State<Admins>, admin: Admin) -> ApiResult<Json<VerifyResponse>> {
    admin.authorize(&admins, Operation::AuditVerify).await?;
    Ok(Json(
        match admins
            .audit_verify(&admin.session, admin.origin.clone())
            .await?
        {
            Verdict::Intact { entries, head } => VerifyResponse {
                intact: true,
                entries: Some(entries),
                head_seq: head.as_ref().map(|h| h.0),
                head_hash: head.map(|h| h.1),
                broken_at: None,
                problem: None,
            },
            Verdict::Broken { seq, problem } => VerifyResponse {
                intact: false,
                entries: None,
                head_seq: None,
                head_hash: None,
                broken_at: Some(seq),
                problem: Some(problem.as_str().to_owned()),
            },
        },
    ))
}

/// The compliance report's period and format.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ComplianceQuery {
    /// From this time, RFC 3339, included (default: 30 days before `to`). At most 366 days
    /// before `to`.
    #[param(format = DateTime, example = "2026-11-01T00:00:00Z")]
    pub from: Option<String>,
    /// Until before this time, RFC 3339 (default: now). Later than `from`.
    #[param(format = DateTime, example = "2026-12-01T00:00:00Z")]
    pub to: Option<String>,
    /// `json` (default) or `csv`.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// The compliance report for a period (step-up): who holds which role, role changes,
/// privileged actions, failed logins and second-factor failures, and data exports. The
/// export is itself audited (a data export). No secrets: entries without their before/after
/// state, admins without password or TOTP secret.
#[utoipa::path(get, path = "/api/admin/reports/compliance", tag = "admin", params(ComplianceQuery),
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "The report (`format=csv`: text/csv, one row per item with its `section`)",
            content((ComplianceReport = "application/json"), (String = "text/csv"))),
        (status = 400, description = "Invalid query parameter (`field` names it: a time that is not RFC 3339, \
            `to` not later than `from`, a period longer than 366 days, an unknown format)", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Your roles do not allow this, or a step-up is needed (`step_up_required`)", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("audit.compliance_report"))))]
pub async fn compliance_report(
    State(admins): State<Admins>,
    State(db): State<Db>,
    admin: Admin,
    Query(q): Query<ComplianceQuery>,
) -> ApiResult<Response> {
    admin
        .authorize(&admins, Operation::ComplianceReport)
        .await?;
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(ApiError::validation("format", "must be json or csv")),
    };
    let now = now_millis();
    let period = ReportPeriod::parse(q.from.as_deref(), q.to.as_deref(), now)?;
    let report = compliance::report(&db, period, now).await?;
    // Audited (and counted) before it is handed over: see Admins::data_exported.
    let detail = serde_json::json!({
        "from": report.from,
        "to": report.to,
        "format": if csv { "csv" } else { "json" },
        "summary": report.summary,
    });
    admins
        .data_exported(
            &admin.session,
            Operation::ComplianceReport,
            "report:compliance",
            detail,
            admin.origin.clone(),
        )
        .await?;
    if csv {
        Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            compliance::to_csv(&report),
        )
            .into_response())
    } else {
        Ok(Json(report).into_response())
    }
}

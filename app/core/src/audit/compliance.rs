//! The compliance report (O-AUDIT-02): for a period, who holds which role,
//! how roles changed, the privileged actions, failed logins and
//! second-factor failures, and the data that left the shop. Read from the
//! audit log and the admin tables; as JSON ([`ComplianceReport`]) or CSV
//! ([`to_csv`]).
//!
//! What counts as what is decided from the role matrix and the audit
//! log's action names, not from a hand-kept list of routes, so a new
//! privileged operation shows up in the report without touching it:
//!
//! - **privileged**: an admin's (not the shop's own, like a scheduled
//!   batch run) use of an operation that needs a step-up, or that only
//!   administrators may perform ([`is_privileged`]), whatever its outcome
//!   (a refused attempt is exactly what an auditor looks for);
//! - **role changes**: `admins.change_roles` and the roles an invitation
//!   granted when it was accepted (`admins.accept_invitation`);
//! - **failed logins**: `admin.login` failed or refused by the limiter;
//! - **MFA failures**: `admin.mfa`, `admin.step_up`, `admin.mfa_enrol`
//!   failed or refused;
//! - **data exports**: reads of customers' personal data, exports of orders
//!   and the catalog, compliance reports, and the batch orders export
//!   ([`is_data_export`]), when they succeeded.
//!
//! No secret reaches the report: entries are shown without their
//! before/after state (role changes keep only the role names), and admins
//! without their password hash or TOTP secret.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value as Json;

use super::Entry;
use super::store::period_page;
use crate::admin::{Operation, Role, StepUp, parse_roles, store as admin_store};
use crate::db::Db;
use crate::time::rfc3339;
use crate::validation::Invalid;

/// The longest period one report covers.
pub const MAX_PERIOD: Duration = Duration::from_secs(366 * 24 * 60 * 60);
/// The period when none is given: the last 30 days.
pub const DEFAULT_PERIOD: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// Audit entries read per query while building a report.
const PAGE: i64 = 1_000;

fn ms(d: Duration) -> i64 {
    d.as_millis() as i64
}

/// The period a report covers: `from <= at < to`, epoch milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: i64,
    pub to: i64,
}

impl Period {
    /// Validates a period as typed (RFC 3339 times; either may be absent):
    /// `to` defaults to `now`, `from` to [`DEFAULT_PERIOD`] before `to`;
    /// `from` must come before `to`, at most [`MAX_PERIOD`] before it. The
    /// error names the field at fault.
    pub fn parse(from: Option<&str>, to: Option<&str>, now: i64) -> Result<Period, Invalid> {
        let to = match to {
            None => now,
            Some(t) => rfc3339_millis("to", t)?,
        };
        let from = match from {
            None => to - ms(DEFAULT_PERIOD),
            Some(t) => rfc3339_millis("from", t)?,
        };
        if from >= to {
            return Err(Invalid::new(
                "to",
                format!("must be later than from ({})", rfc3339(from)),
            ));
        }
        if to - from > ms(MAX_PERIOD) {
            return Err(Invalid::new(
                "from",
                format!(
                    "the period may span at most {} days; from must be at most that long before to",
                    MAX_PERIOD.as_secs() / 86_400
                ),
            ));
        }
        Ok(Period { from, to })
    }
}

fn rfc3339_millis(field: &str, t: &str) -> Result<i64, Invalid> {
    crate::time::parse_rfc3339_millis(t)
        .ok_or_else(|| Invalid::new(field, "must be an RFC 3339 time, e.g. 2026-12-01T00:00:00Z"))
}

/// An admin and the roles they hold when the report is made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RoleHolder {
    pub admin_id: String,
    pub email: String,
    pub name: String,
    pub roles: Vec<String>,
    pub mfa_enrolled: bool,
    pub disabled: bool,
    /// RFC 3339.
    pub created_at: String,
}

/// A change of someone's roles, from the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RoleChange {
    pub seq: i64,
    /// RFC 3339.
    pub at: String,
    /// `admins.change_roles`, or `admins.accept_invitation` (the invited roles granted).
    pub action: String,
    /// Who changed them (an admin id; the new admin for an accepted invitation).
    pub actor: Option<String>,
    /// Whose roles: `admin:<id>`.
    pub target: Option<String>,
    pub roles_before: Vec<String>,
    pub roles_after: Vec<String>,
}

/// An audit entry as the report shows it: without its before/after state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReportEntry {
    pub seq: i64,
    /// RFC 3339.
    pub at: String,
    /// `admin`, `system` or `anonymous`.
    pub actor_kind: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    /// `success`, `denied` or `failed`.
    pub outcome: Option<String>,
    pub client_address: Option<String>,
    pub request_id: Option<String>,
    pub trace_id: Option<String>,
}

impl ReportEntry {
    fn of(e: &Entry) -> ReportEntry {
        ReportEntry {
            seq: e.seq,
            at: e.at.clone(),
            actor_kind: e.actor_kind.clone(),
            actor: e.actor.clone(),
            action: e.action.clone(),
            target: e.target.clone(),
            outcome: e.outcome.clone(),
            client_address: e.client_address.clone(),
            request_id: e.request_id.clone(),
            trace_id: e.trace_id.clone(),
        }
    }
}

/// How many of each the report holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Summary {
    /// Audit entries in the period (all of them, not only those shown).
    pub audit_entries: u64,
    pub role_holders: u64,
    pub role_changes: u64,
    pub privileged_actions: u64,
    pub failed_logins: u64,
    pub mfa_failures: u64,
    pub data_exports: u64,
}

/// The compliance report for a period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ComplianceReport {
    /// The period's start, RFC 3339 (included).
    pub from: String,
    /// The period's end, RFC 3339 (excluded).
    pub to: String,
    /// When the report was made, RFC 3339.
    pub generated_at: String,
    pub summary: Summary,
    /// Every admin account and its roles when the report was made.
    pub role_holders: Vec<RoleHolder>,
    pub role_changes: Vec<RoleChange>,
    pub privileged_actions: Vec<ReportEntry>,
    pub failed_logins: Vec<ReportEntry>,
    pub mfa_failures: Vec<ReportEntry>,
    pub data_exports: Vec<ReportEntry>,
}

/// Whether `op` is privileged: it needs a step-up, or only administrators
/// may perform it.
pub fn is_privileged(op: Operation) -> bool {
    op.step_up() == StepUp::Required || op.roles() == [Role::Administrator]
}

/// Whether an entry's action (and target) is data leaving the shop.
pub fn is_data_export(action: &str, target: Option<&str>) -> bool {
    const EXPORTS: [Operation; 5] = [
        Operation::OrdersReadCustomer,
        Operation::OrdersExport,
        Operation::CatalogExport,
        Operation::ComplianceReport,
        Operation::SalesReport,
    ];
    EXPORTS.iter().any(|op| op.as_str() == action)
        || (action == Operation::BatchRun.as_str() && target == Some("batch:orders_export"))
}

fn refused(e: &Entry) -> bool {
    matches!(e.outcome.as_deref(), Some("failed" | "denied"))
}

/// The role names of a stored `{"roles": "a,b"}` before/after state.
fn roles_of(state: Option<&str>) -> Vec<String> {
    state
        .and_then(|s| serde_json::from_str::<Json>(s).ok())
        .and_then(|v| v.get("roles").and_then(Json::as_str).map(parse_roles))
        .unwrap_or_default()
        .iter()
        .map(|r| r.as_str().to_owned())
        .collect()
}

impl ComplianceReport {
    fn empty(period: Period, now: i64) -> ComplianceReport {
        ComplianceReport {
            from: rfc3339(period.from),
            to: rfc3339(period.to),
            generated_at: rfc3339(now),
            summary: Summary::default(),
            role_holders: Vec::new(),
            role_changes: Vec::new(),
            privileged_actions: Vec::new(),
            failed_logins: Vec::new(),
            mfa_failures: Vec::new(),
            data_exports: Vec::new(),
        }
    }

    /// Files one audit entry under every section it belongs to.
    fn add(&mut self, e: &Entry) {
        self.summary.audit_entries += 1;
        let Some(action) = e.action.as_deref() else {
            return;
        };
        let success = e.outcome.as_deref() == Some("success");
        match action {
            "admins.change_roles" if success => self.role_changes.push(RoleChange {
                seq: e.seq,
                at: e.at.clone(),
                action: action.to_owned(),
                actor: e.actor.clone(),
                target: e.target.clone(),
                roles_before: roles_of(e.before.as_deref()),
                roles_after: roles_of(e.after.as_deref()),
            }),
            "admins.accept_invitation" if success => self.role_changes.push(RoleChange {
                seq: e.seq,
                at: e.at.clone(),
                action: action.to_owned(),
                actor: e.actor.clone(),
                target: e.target.clone(),
                roles_before: Vec::new(),
                roles_after: roles_of(e.after.as_deref()),
            }),
            "admin.login" if refused(e) => self.failed_logins.push(ReportEntry::of(e)),
            "admin.mfa" | "admin.step_up" | "admin.mfa_enrol" if refused(e) => {
                self.mfa_failures.push(ReportEntry::of(e))
            }
            _ => {}
        }
        // People's actions: the shop's own (a scheduled batch run) are not
        // privileged use, and would bury the admins' under hourly runs.
        if e.actor_kind.as_deref() != Some("system")
            && Operation::parse(action).is_some_and(is_privileged)
        {
            self.privileged_actions.push(ReportEntry::of(e));
        }
        if success && is_data_export(action, e.target.as_deref()) {
            self.data_exports.push(ReportEntry::of(e));
        }
    }

    fn count(&mut self) {
        let s = &mut self.summary;
        s.role_holders = self.role_holders.len() as u64;
        s.role_changes = self.role_changes.len() as u64;
        s.privileged_actions = self.privileged_actions.len() as u64;
        s.failed_logins = self.failed_logins.len() as u64;
        s.mfa_failures = self.mfa_failures.len() as u64;
        s.data_exports = self.data_exports.len() as u64;
    }
}

/// Builds the report for `period` at `now` (epoch ms): the admins as they
/// are now, and the audit log's entries of the period, read page by page.
pub async fn report(db: &Db, period: Period, now: i64) -> Result<ComplianceReport, sqlx::Error> {
    let mut report = ComplianceReport::empty(period, now);
    report.role_holders = admin_store::admins(db)
        .await?
        .into_iter()
        .map(|a| RoleHolder {
            roles: parse_roles(&a.roles)
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect(),
            mfa_enrolled: a.totp_enrolled_at.is_some(),
            disabled: a.disabled_at.is_some(),
            created_at: rfc3339(a.created_at),
            admin_id: a.id,
            email: a.email,
            name: a.name,
        })
        .collect();
    let mut after = 0;
    loop {
        let page = period_page(db, period.from, period.to, after, PAGE).await?;
        for e in &page {
            report.add(e);
        }
        match page.last() {
            Some(last) if page.len() as i64 == PAGE => after = last.seq,
            _ => break,
        }
    }
    report.count();
    Ok(report)
}

/// The CSV header: one table for every section, told apart by `section`.
pub const CSV_HEADER: &str = "section,seq,at,actor_kind,actor,action,target,outcome,roles_before,roles_after,detail,client_address,request_id,trace_id";

/// One CSV field: quoted when it holds a comma, a quote or a line break
/// (RFC 4180), and prefixed with `'` when a spreadsheet would take it for a
/// formula (`=`, `+`, `-`, `@`): an admin's name is typed by a person.
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The report as CSV (CRLF line ends, a header line): one row per role
/// holder (`role_holder`), role change, privileged action, failed login,
/// MFA failure and data export; role lists are `;`-separated.
pub fn to_csv(report: &ComplianceReport) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push_str("\r\n");
    let mut row = |cells: [&str; 14]| {
        let line: Vec<String> = cells.iter().map(|c| field(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    };
    for h in &report.role_holders {
        let detail = format!(
            "{} <{}>; mfa {}; {}",
            h.name,
            h.email,
            if h.mfa_enrolled {
                "enrolled"
            } else {
                "not enrolled"
            },
            if h.disabled { "disabled" } else { "enabled" }
        );
        let target = format!("admin:{}", h.admin_id);
        row([
            "role_holder",
            "",
            &h.created_at,
            "",
            "",
            "",
            &target,
            "",
            "",
            &h.roles.join(";"),
            &detail,
            "",
            "",
            "",
        ]);
    }
    for c in &report.role_changes {
        row([
            "role_change",
            &c.seq.to_string(),
            &c.at,
            "admin",
            c.actor.as_deref().unwrap_or_default(),
            &c.action,
            c.target.as_deref().unwrap_or_default(),
            "success",
            &c.roles_before.join(";"),
            &c.roles_after.join(";"),
            "",
            "",
            "",
            "",
        ]);
    }
    let sections = [
        ("privileged_action", &report.privileged_actions),
        ("failed_login", &report.failed_logins),
        ("mfa_failure", &report.mfa_failures),
        ("data_export", &report.data_exports),
    ];
    for (section, entries) in sections {
        for e in entries {
            row([
                section,
                &e.seq.to_string(),
                &e.at,
                e.actor_kind.as_deref().unwrap_or_default(),
                e.actor.as_deref().unwrap_or_default(),
                e.action.as_deref().unwrap_or_default(),
                e.target.as_deref().unwrap_or_default(),
                e.outcome.as_deref().unwrap_or_default(),
                "",
                "",
                "",
                e.client_address.as_deref().unwrap_or_default(),
                e.request_id.as_deref().unwrap_or_default(),
                e.trace_id.as_deref().unwrap_or_default(),
            ]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    #[test]
    fn the_period_defaults_to_the_last_30_days_and_names_the_field_at_fault() {
        let now = 100 * DAY;
        assert_eq!(
            Period::parse(None, None, now).unwrap(),
            Period {
                from: 70 * DAY,
                to: now
            }
        );
        let p = Period::parse(
            Some("2026-12-01T00:00:00Z"),
            Some("2026-12-02T00:00:00Z"),
            0,
        )
        .unwrap();
        assert_eq!(p.to - p.from, DAY);
        assert_eq!(
            Period::parse(Some("yesterday"), None, now)
                .unwrap_err()
                .field,
            "from"
        );
        assert_eq!(
            Period::parse(None, Some("2026-13-01T00:00:00Z"), now)
                .unwrap_err()
                .field,
            "to"
        );
        let backwards = Period::parse(
            Some("2026-12-02T00:00:00Z"),
            Some("2026-12-01T00:00:00Z"),
            now,
        )
        .unwrap_err();
        assert_eq!(backwards.field, "to");
        assert!(backwards.message.contains("later than from"));
        let long = Period::parse(
            Some("2024-01-01T00:00:00Z"),
            Some("2026-01-01T00:00:00Z"),
            now,
        )
        .unwrap_err();
        assert_eq!(long.field, "from");
        assert!(long.message.contains("366 days"));
    }

    #[test]
    fn privileged_operations_come_from_the_matrix() {
        assert!(is_privileged(Operation::AdminsChangeRoles));
        assert!(is_privileged(Operation::AdminsInvite)); // administrators only
        assert!(is_privileged(Operation::ComplianceReport)); // step-up
        assert!(is_privileged(Operation::BatchRun));
        assert!(!is_privileged(Operation::CatalogWrite));
        assert!(!is_privileged(Operation::AuditRead));
        assert!(is_data_export("orders.read_customer", Some("order:1")));
        assert!(is_data_export("batch.run", Some("batch:orders_export")));
        assert!(!is_data_export("batch.run", Some("batch:maintenance")));
        assert!(!is_data_export("orders.read", None));
    }

    fn entry(seq: i64, action: &str, outcome: &str) -> Entry {
        Entry {
            seq,
            at: rfc3339(seq),
            at_millis: seq,
            actor_kind: Some("admin".into()),
            actor: Some("a1".into()),
            action: Some(action.into()),
            target: Some("admin:a2".into()),
            outcome: Some(outcome.into()),
            before: Some(r#"{"roles":"viewer"}"#.into()),
            after: Some(r#"{"roles":"order_manager,viewer","password_hash":"***"}"#.into()),
            client_address: Some("127.0.0.1".into()),
            request_id: None,
            trace_id: None,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn entries_are_filed_under_every_section_they_belong_to() {
        let mut r = ComplianceReport::empty(Period { from: 0, to: 10 }, 10);
        r.add(&entry(1, "admins.change_roles", "success"));
        r.add(&entry(2, "admin.login", "failed"));
        r.add(&entry(3, "admin.login", "success"));
        r.add(&entry(4, "admin.step_up", "failed"));
        r.add(&entry(5, "audit.compliance_report", "denied"));
        r.add(&entry(6, "orders.read_customer", "success"));
        r.add(&entry(7, "catalog.write", "success"));
        let mut scheduled = entry(8, "batch.run", "success");
        scheduled.actor_kind = Some("system".into());
        scheduled.target = Some("batch:orders_export".into());
        r.add(&scheduled);
        r.count();
        assert_eq!(r.summary.audit_entries, 8);
        assert_eq!(r.role_changes[0].roles_before, ["viewer"]);
        assert_eq!(r.role_changes[0].roles_after, ["viewer", "order_manager"]);
        let seqs = |v: &[ReportEntry]| v.iter().map(|e| e.seq).collect::<Vec<_>>();
        assert_eq!(seqs(&r.privileged_actions), [1, 5]);
        assert_eq!(seqs(&r.failed_logins), [2]);
        assert_eq!(seqs(&r.mfa_failures), [4]);
        // A refused export exported nothing.
        // The scheduled export is a data export, not an admin's privileged action.
        assert_eq!(seqs(&r.data_exports), [6, 8]);
        let csv = to_csv(&r);
        assert!(csv.starts_with(CSV_HEADER));
        assert_eq!(csv.lines().count(), 1 + 1 + 2 + 1 + 1 + 2);
        assert!(csv.contains("\r\nrole_change,1,"));
        assert!(csv.contains(",viewer,viewer;order_manager,"));
        assert!(!csv.contains("password_hash") && !csv.contains("***"));
    }

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(
            field("2026-12-01T00:00:00.000Z"),
            "2026-12-01T00:00:00.000Z"
        );
    }
}

//! Roles and what each may do: the back office's access-control matrix
//! (A-AUTH-02), kept as one table so the server's checks, the documentation
//! (`docs/admin.md`, "Who may do what") and the test that walks every admin
//! route with every role all read the same rows.
//!
//! Deny by default: an operation is allowed only to the roles its row names.
//! An administrator holds every operation, but through the rows like anyone
//! else, so a new operation cannot slip past the table.

use std::fmt;

/// A back-office role. An admin holds one or more.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Reads the catalog, stock, orders (without customers' personal data)
    /// and the sales report.
    Viewer,
    /// Edits products, categories and pictures; imports and exports the catalog.
    CatalogManager,
    /// Adjusts stock, sets low-stock thresholds, reads the forecast.
    InventoryManager,
    /// Moves orders through their life, handles returns, sees customers'
    /// delivery details.
    OrderManager,
    /// Reads the audit log and the compliance report; sees who holds which role.
    SecurityAuditor,
    /// Everything, including admin accounts and roles.
    Administrator,
}

impl Role {
    /// Every role, in the order the documentation lists them.
    pub const ALL: [Role; 6] = [
        Role::Viewer,
        Role::CatalogManager,
        Role::InventoryManager,
        Role::OrderManager,
        Role::SecurityAuditor,
        Role::Administrator,
    ];

    /// The name in the API, the database and telemetry.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::CatalogManager => "catalog_manager",
            Role::InventoryManager => "inventory_manager",
            Role::OrderManager => "order_manager",
            Role::SecurityAuditor => "security_auditor",
            Role::Administrator => "administrator",
        }
    }

    /// The role named `name`, if there is one.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether an operation needs a recent second factor (step-up, A-AUTH-08):
/// the privileged ones. The elevation lasts [`crate::admin::STEP_UP_LIFETIME`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepUp {
    No,
    Required,
}

/// One thing an admin can do. Each admin route names exactly one; the
/// OpenAPI document lists it as the route's `x-admin-operation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    // --- one's own account: every admin ---
    /// See one's own profile, roles and sessions.
    OwnAccountRead,
    /// Revoke one of one's own sessions (or all the others).
    OwnSessionRevoke,
    // --- admin accounts ---
    /// List admin accounts and their roles.
    AdminsRead,
    /// Invite a new admin (a single-use invitation token).
    AdminsInvite,
    /// Grant or withdraw roles.
    AdminsChangeRoles,
    /// Disable or re-enable an admin account.
    AdminsDisable,
    /// Reset another admin's MFA (they enrol again at their next login).
    AdminsResetMfa,
    /// Revoke another admin's sessions.
    AdminsRevokeSessions,
    // --- audit and compliance ---
    /// Read the audit log.
    AuditRead,
    /// Verify the audit log's hash chain.
    AuditVerify,
    /// The compliance report for a period (JSON or CSV).
    ComplianceReport,
    // --- catalog ---
    /// Read products and categories as the back office sees them.
    CatalogRead,
    /// Create and edit products; create, rename and move categories.
    CatalogWrite,
    /// Delete a product or an empty category.
    CatalogDelete,
    /// Delete many products at once.
    CatalogBulkDelete,
    /// Export the catalog as CSV.
    CatalogExport,
    /// Import a catalog CSV (preview and apply).
    CatalogImport,
    /// Upload a product picture.
    CatalogImageUpload,
    // --- inventory ---
    /// Stock levels, movements and the forecast.
    InventoryRead,
    /// Adjust stock with a reason.
    InventoryAdjust,
    /// Set a product's low-stock threshold.
    InventoryThreshold,
    // --- orders ---
    /// List and read orders, without the customer's personal data.
    OrdersRead,
    /// Read an order's customer details: name, e-mail, address (O-SEC-04,
    /// each read is a security event).
    OrdersReadCustomer,
    /// Confirm, pack, ship, deliver, cancel.
    OrdersTransition,
    /// Approve a return, refund, put the stock back.
    OrdersReturn,
    /// Export orders (with personal data) as CSV.
    OrdersExport,
    // --- reports and jobs ---
    /// The sales report by day, category and product.
    SalesReport,
    /// Run a batch job now.
    BatchRun,
    /// Read the batch runs: when each job ran, how it went, what it did.
    BatchRead,
    // --- fault flags (docs/faults.md) ---
    /// Read the fault flags in force and where they come from.
    FaultsRead,
    /// Set the fault flags: inject failures and delays into the live shop.
    FaultsSet,
}

use Operation as O;
use Role as R;

/// The matrix: each operation, the roles allowed it, and whether it needs
/// a step-up. `Administrator` is in every row on purpose (see the module
/// documentation).
const MATRIX: &[(Operation, &[Role], StepUp)] = &[
    (O::OwnAccountRead, &R::ALL, StepUp::No),
    (O::OwnSessionRevoke, &R::ALL, StepUp::No),
    (
        O::AdminsRead,
        &[R::SecurityAuditor, R::Administrator],
        StepUp::No,
    ),
    (O::AdminsInvite, &[R::Administrator], StepUp::No),
    (O::AdminsChangeRoles, &[R::Administrator], StepUp::Required),
    (O::AdminsDisable, &[R::Administrator], StepUp::Required),
    (O::AdminsResetMfa, &[R::Administrator], StepUp::Required),
    (O::AdminsRevokeSessions, &[R::Administrator], StepUp::No),
    (
        O::AuditRead,
        &[R::SecurityAuditor, R::Administrator],
        StepUp::No,
    ),
    (
        O::AuditVerify,
        &[R::SecurityAuditor, R::Administrator],
        StepUp::No,
    ),
    (
        O::ComplianceReport,
        &[R::SecurityAuditor, R::Administrator],
        StepUp::Required,
    ),
    (
        O::CatalogRead,
        &[
            R::Viewer,
            R::CatalogManager,
            R::InventoryManager,
            R::OrderManager,
            R::Administrator,
        ],
        StepUp::No,
    ),
    (
        O::CatalogWrite,
        &[R::CatalogManager, R::Administrator],
        StepUp::No,
    ),
    (
        O::CatalogDelete,
        &[R::CatalogManager, R::Administrator],
        StepUp::No,
    ),
    (
        O::CatalogBulkDelete,
        &[R::CatalogManager, R::Administrator],
        StepUp::Required,
    ),
    (
        O::CatalogExport,
        &[R::CatalogManager, R::Administrator],
        StepUp::No,
    ),
    (
        O::CatalogImport,
        &[R::CatalogManager, R::Administrator],
        StepUp::No,
    ),
    (
        O::CatalogImageUpload,
        &[R::CatalogManager, R::Administrator],
        StepUp::No,
    ),
    (
        O::InventoryRead,
        &[
            R::Viewer,
            R::CatalogManager,
            R::InventoryManager,
            R::OrderManager,
            R::Administrator,
        ],
        StepUp::No,
    ),
    (
        O::InventoryAdjust,
        &[R::InventoryManager, R::Administrator],
        StepUp::No,
    ),
    (
        O::InventoryThreshold,
        &[R::InventoryManager, R::Administrator],
        StepUp::No,
    ),
    (
        O::OrdersRead,
        &[R::Viewer, R::OrderManager, R::Administrator],
        StepUp::No,
    ),
    (
        O::OrdersReadCustomer,
        &[R::OrderManager, R::Administrator],
        StepUp::No,
    ),
    (
        O::OrdersTransition,
        &[R::OrderManager, R::Administrator],
        StepUp::No,
    ),
    (
        O::OrdersReturn,
        &[R::OrderManager, R::Administrator],
        StepUp::No,
    ),
    (
        O::OrdersExport,
        &[R::OrderManager, R::Administrator],
        StepUp::Required,
    ),
    (
        O::SalesReport,
        &[
            R::Viewer,
            R::CatalogManager,
            R::OrderManager,
            R::Administrator,
        ],
        StepUp::No,
    ),
    (O::BatchRun, &[R::Administrator], StepUp::No),
    // Auditors too: maintenance's verdict on the audit chain and the
    // exports that ran are theirs to check.
    (
        O::BatchRead,
        &[R::SecurityAuditor, R::Administrator],
        StepUp::No,
    ),
    // Auditors may read the flags: whether failures are being injected on
    // purpose is theirs to know when they read the shop's alarms and logs.
    (
        O::FaultsRead,
        &[R::SecurityAuditor, R::Administrator],
        StepUp::No,
    ),
    // Setting them breaks checkout for real customers on purpose: the
    // administrator alone, with a fresh second factor.
    (O::FaultsSet, &[R::Administrator], StepUp::Required),
];

impl Operation {
    /// Every operation, in the matrix's order.
    pub fn all() -> impl Iterator<Item = Operation> {
        MATRIX.iter().map(|(op, _, _)| *op)
    }

    fn row(self) -> (&'static [Role], StepUp) {
        MATRIX
            .iter()
            .find(|(op, _, _)| *op == self)
            .map(|(_, roles, step_up)| (*roles, *step_up))
            // Unreachable while the matrix test passes: every operation has a row.
            .unwrap_or((&[], StepUp::Required))
    }

    /// The roles allowed this operation.
    pub fn roles(self) -> &'static [Role] {
        self.row().0
    }

    /// Whether a holder of `roles` may do this (deny by default).
    pub fn allowed(self, roles: &[Role]) -> bool {
        let allowed = self.roles();
        roles.iter().any(|r| allowed.contains(r))
    }

    /// Whether it needs a recent second factor.
    pub fn step_up(self) -> StepUp {
        self.row().1
    }

    /// The name in the API (`x-admin-operation`), the audit log and
    /// telemetry (`shop.admin.action`): `area.verb`.
    pub fn as_str(self) -> &'static str {
        match self {
            O::OwnAccountRead => "account.read",
            O::OwnSessionRevoke => "account.session_revoke",
            O::AdminsRead => "admins.read",
            O::AdminsInvite => "admins.invite",
            O::AdminsChangeRoles => "admins.change_roles",
            O::AdminsDisable => "admins.disable",
            O::AdminsResetMfa => "admins.reset_mfa",
            O::AdminsRevokeSessions => "admins.revoke_sessions",
            O::AuditRead => "audit.read",
            O::AuditVerify => "audit.verify",
            O::ComplianceReport => "audit.compliance_report",
            O::CatalogRead => "catalog.read",
            O::CatalogWrite => "catalog.write",
            O::CatalogDelete => "catalog.delete",
            O::CatalogBulkDelete => "catalog.bulk_delete",
            O::CatalogExport => "catalog.export",
            O::CatalogImport => "catalog.import",
            O::CatalogImageUpload => "catalog.image_upload",
            O::InventoryRead => "inventory.read",
            O::InventoryAdjust => "inventory.adjust",
            O::InventoryThreshold => "inventory.threshold",
            O::OrdersRead => "orders.read",
            O::OrdersReadCustomer => "orders.read_customer",
            O::OrdersTransition => "orders.transition",
            O::OrdersReturn => "orders.return",
            O::OrdersExport => "orders.export",
            O::SalesReport => "reports.sales",
            O::BatchRun => "batch.run",
            O::BatchRead => "batch.read",
            O::FaultsRead => "faults.read",
            O::FaultsSet => "faults.set",
        }
    }

    /// The operation named `name`.
    pub fn parse(name: &str) -> Option<Operation> {
        Operation::all().find(|op| op.as_str() == name)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The matrix as a Markdown table: what `docs/admin.md` shows between its
/// `<!-- matrix -->` markers (a unit test keeps the two equal).
pub fn matrix_markdown() -> String {
    let mut out = String::from("| operation | step-up |");
    for role in Role::ALL {
        out.push_str(&format!(" {role} |"));
    }
    out.push_str("\n|---|---|");
    for _ in Role::ALL {
        out.push_str(":-:|");
    }
    out.push('\n');
    for op in Operation::all() {
        let step_up = match op.step_up() {
            StepUp::Required => "yes",
            StepUp::No => "",
        };
        out.push_str(&format!("| `{op}` | {step_up} |"));
        for role in Role::ALL {
            out.push_str(if op.allowed(&[role]) { " ✓ |" } else { " |" });
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_operation_has_one_row_and_a_unique_name() {
        let ops: Vec<_> = Operation::all().collect();
        let unique: HashSet<_> = ops.iter().collect();
        assert_eq!(unique.len(), ops.len(), "an operation has two rows");
        let names: HashSet<_> = ops.iter().map(|o| o.as_str()).collect();
        assert_eq!(names.len(), ops.len(), "two operations share a name");
        for op in ops {
            assert_eq!(Operation::parse(op.as_str()), Some(op));
            assert!(!op.roles().is_empty(), "{op} has no role");
        }
    }

    #[test]
    fn administrators_may_do_everything_and_nobody_without_a_role_anything() {
        for op in Operation::all() {
            assert!(op.allowed(&[Role::Administrator]), "{op}");
            assert!(!op.allowed(&[]), "{op}");
        }
    }

    #[test]
    fn the_roles_are_separated_as_documented() {
        // A viewer reads; never writes, never sees personal data.
        assert!(Operation::CatalogRead.allowed(&[Role::Viewer]));
        assert!(!Operation::CatalogWrite.allowed(&[Role::Viewer]));
        assert!(!Operation::OrdersReadCustomer.allowed(&[Role::Viewer]));
        // Each manager only in their area.
        assert!(Operation::InventoryAdjust.allowed(&[Role::InventoryManager]));
        assert!(!Operation::InventoryAdjust.allowed(&[Role::CatalogManager]));
        assert!(!Operation::OrdersTransition.allowed(&[Role::InventoryManager]));
        // Auditors audit and do nothing else.
        assert!(Operation::AuditVerify.allowed(&[Role::SecurityAuditor]));
        assert!(!Operation::CatalogRead.allowed(&[Role::SecurityAuditor]));
        assert!(!Operation::AdminsChangeRoles.allowed(&[Role::SecurityAuditor]));
        // Several roles: the union.
        assert!(Operation::OrdersExport.allowed(&[Role::Viewer, Role::OrderManager]));
    }

    #[test]
    fn privileged_operations_need_a_step_up() {
        for op in [
            Operation::AdminsChangeRoles,
            Operation::AdminsResetMfa,
            Operation::CatalogBulkDelete,
            Operation::OrdersExport,
            Operation::ComplianceReport,
        ] {
            assert_eq!(op.step_up(), StepUp::Required, "{op}");
        }
        assert_eq!(Operation::CatalogWrite.step_up(), StepUp::No);
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    /// The documentation shows exactly this matrix.
    #[test]
    fn docs_admin_md_shows_the_matrix() {
        let doc = include_str!("../../../../docs/admin.md");
        let start = doc
            .find("<!-- matrix -->\n")
            .expect("docs/admin.md has a matrix marker")
            + "<!-- matrix -->\n".len();
        let end = doc[start..]
            .find("<!-- /matrix -->")
            .expect("and an end marker")
            + start;
        assert_eq!(
            doc[start..end],
            matrix_markdown(),
            "regenerate the table in docs/admin.md from admin::role::matrix_markdown()"
        );
    }
}

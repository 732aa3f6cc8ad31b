//! The closed lists of the UI's telemetry: the only values the intake
//! keeps for a browser metric's dimensions and a custom event's name.
//!
//! The browser holds the same lists (`app/web/src/telemetry/catalogue.ts`);
//! a test below compares the two files, so that a value one side knows and
//! the other refuses cannot ship. A browser's dimension must take few
//! values: each value is a metric to store (and, in CloudWatch, to pay for
//! every month), and a script must not be able to mint them.

/// The elements whose clicks are traced and counted (`data-telemetry-name`).
pub const ELEMENTS: &[&str] = &[
    "add-address",
    "add-to-cart",
    "admin-accept-invitation",
    "admin-audit-verify",
    "admin-batch-run",
    "admin-catalog-export",
    "admin-category-create",
    "admin-category-save",
    "admin-compliance-report",
    "admin-image-upload",
    "admin-import-apply",
    "admin-import-preview",
    "admin-invite",
    "admin-login",
    "admin-mfa-confirm",
    "admin-mfa-verify",
    "admin-order-customer",
    "admin-order-move",
    "admin-product-create",
    "admin-product-delete",
    "admin-product-save",
    "admin-recovery-stored",
    "admin-roles-save",
    "admin-session-end",
    "admin-sign-out",
    "admin-step-up",
    "admin-stock-adjust",
    "break-render",
    "cancel-order",
    "cart-remove",
    "checkout",
    "log-in",
    "log-out",
    "log-out-everywhere",
    "network-abort",
    "network-unreachable",
    "password-reset",
    "password-reset-confirm",
    "place-order",
    "register",
    "reject-promise",
    "return-order",
    "save-profile",
    "search",
    "slow-render",
    "social-login",
    "stock-alert",
    "stock-alert-cancel",
    "throw-error",
];

/// The purchase funnel's steps, in order.
pub const FUNNEL_STEPS: &[&str] = &[
    "product_view",
    "cart_add",
    "cart_view",
    "checkout_start",
    "order_placed",
];

/// What a shopper did to a cart line.
pub const CART_ACTIONS: &[&str] = &["add", "quantity", "remove"];

/// How a cart change ended.
pub const OUTCOMES: &[&str] = &["ok", "error"];

/// The checkout form's sections.
pub const CHECKOUT_STEPS: &[&str] = &["contact", "address", "payment", "coupon"];

/// How a checkout flow ended.
pub const CHECKOUT_OUTCOMES: &[&str] = &["placed", "refused", "abandoned"];

/// The components whose rendering the UI times.
pub const COMPONENTS: &[&str] = &[
    "product-grid",
    "product-detail",
    "cart-table",
    "checkout-form",
    "order-history",
    "admin-dashboard",
];

/// What a network fault was.
pub const NETWORK_FAULTS: &[&str] = &["unreachable", "timeout", "http_error"];

/// Where a browser error was caught (`errors.ts`'s `ErrorSource`).
pub const ERROR_SOURCES: &[&str] = &["window.error", "unhandledrejection", "react.error_boundary"];

/// The back office's tasks whose completion and length are measured.
pub const ADMIN_TASKS: &[&str] = &["product_edit", "product_create", "stock_adjust"];

/// How a back-office task ended.
pub const TASK_OUTCOMES: &[&str] = &["completed", "abandoned"];

/// How a client-side navigation happened (Next.js's `onRouterTransitionStart`).
pub const NAVIGATION_TYPES: &[&str] = &["push", "replace", "traverse"];

/// The back office's live notifications (`GET /api/admin/notifications`): the events' types.
pub const NOTIFICATION_TYPES: &[&str] = &[
    "order.placed",
    "inventory.low_stock",
    "inventory.stock_report",
    "catalog.image.processed",
];

/// The custom RUM events: log records whose `event.name` is one of these.
pub const EVENTS: &[&str] = &[
    "browser.page_view",
    "browser.page_leave",
    "browser.click",
    "browser.cart_change",
    "browser.funnel_step",
    "browser.checkout_step",
    "browser.network_fault",
    "browser.admin_task",
    "browser.upload",
    "browser.notification",
];

/// `value` as the list's own `'static` text, when the list has it.
pub fn find(list: &'static [&'static str], value: &str) -> Option<&'static str> {
    list.iter().copied().find(|v| *v == value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    fn web(path: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../web")
            .join(path)
    }

    /// The string literals of `export const <name> = [ … ] as const` in `text`.
    fn ts_list<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
        let start = text
            .find(&format!("export const {name} = ["))
            .unwrap_or_else(|| panic!("catalogue.ts declares {name}"));
        let end = start + text[start..].find("] as const").expect("the list ends");
        text[start..end].split('"').skip(1).step_by(2).collect()
    }

    #[test]
    fn the_browsers_lists_are_these() {
        let text = std::fs::read_to_string(web("src/telemetry/catalogue.ts")).unwrap();
        for (name, list) in [
            ("ELEMENTS", ELEMENTS),
            ("FUNNEL_STEPS", FUNNEL_STEPS),
            ("CART_ACTIONS", CART_ACTIONS),
            ("OUTCOMES", OUTCOMES),
            ("CHECKOUT_STEPS", CHECKOUT_STEPS),
            ("CHECKOUT_OUTCOMES", CHECKOUT_OUTCOMES),
            ("COMPONENTS", COMPONENTS),
            ("NETWORK_FAULTS", NETWORK_FAULTS),
            ("NAVIGATION_TYPES", NAVIGATION_TYPES),
            ("ADMIN_TASKS", ADMIN_TASKS),
            ("TASK_OUTCOMES", TASK_OUTCOMES),
            ("NOTIFICATION_TYPES", NOTIFICATION_TYPES),
            ("EVENTS", EVENTS),
        ] {
            assert_eq!(ts_list(&text, name), list, "catalogue.ts's {name} differs");
        }
        let errors = std::fs::read_to_string(web("src/telemetry/errors.ts")).unwrap();
        let line = errors
            .lines()
            .find(|l| l.starts_with("export type ErrorSource ="))
            .expect("errors.ts declares ErrorSource");
        let sources: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
        assert_eq!(sources, ERROR_SOURCES);
    }

    fn tsx_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                tsx_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "tsx") {
                out.push(path);
            }
        }
    }

    /// Every `data-telemetry-name` of the UI: a literal (`="x"`) or the
    /// literals of an expression (`={a ? "x" : "y"}`); a template literal
    /// would mint names, and fails.
    #[test]
    fn every_named_element_of_the_ui_is_in_the_list() {
        let mut files = Vec::new();
        tsx_files(&web("src"), &mut files);
        let mut seen = 0;
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for rest in text.split("data-telemetry-name=").skip(1) {
                let value = if let Some(literal) = rest.strip_prefix('"') {
                    &rest[..literal.find('"').unwrap() + 2]
                } else {
                    &rest[..rest.find('}').unwrap_or(rest.len())]
                };
                assert!(
                    !value.contains('`'),
                    "{}: a data-telemetry-name made from a template ({value}): name each element with a fixed name",
                    file.display()
                );
                for name in value.split('"').skip(1).step_by(2) {
                    assert!(
                        ELEMENTS.contains(&name),
                        "{}: data-telemetry-name {name:?} is not in the catalogue (ELEMENTS, here and in catalogue.ts)",
                        file.display()
                    );
                    seen += 1;
                }
            }
        }
        assert!(seen >= 40, "only {seen} named elements found");
    }
}

// The closed lists of the UI's telemetry: the names and values the browser sends as metric
// dimensions and event names. The shop's RUM intake keeps these and nothing else
// (app/server/src/http/rum/catalogue.rs holds the same lists, and a test of the shop compares the
// two files, and checks every `data-telemetry-name` in the UI against ELEMENTS).
//
// Why closed: a metric dimension from a browser must take few values, or one script could
// create a CloudWatch metric per value (each billed per month); and an event name a dashboard or
// a saved query counts on must not drift.

/** The elements whose clicks are traced and counted (`data-telemetry-name`). */
export const ELEMENTS = [
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
] as const;

/** The purchase funnel's steps, in order. */
export const FUNNEL_STEPS = ["product_view", "cart_add", "cart_view", "checkout_start", "order_placed"] as const;

/** What a shopper did to a cart line. */
export const CART_ACTIONS = ["add", "quantity", "remove"] as const;

/** How a cart change or a checkout ended. */
export const OUTCOMES = ["ok", "error"] as const;

/** The checkout form's sections (a span and an event each). */
export const CHECKOUT_STEPS = ["contact", "address", "payment", "coupon"] as const;

/** How a checkout flow ended. */
export const CHECKOUT_OUTCOMES = ["placed", "refused", "abandoned"] as const;

/** The components whose rendering is timed (`useRenderTiming`). */
export const COMPONENTS = ["product-grid", "product-detail", "cart-table", "checkout-form", "order-history", "admin-dashboard"] as const;

/** What a network fault was (the faults page's, or any failed API call). */
export const NETWORK_FAULTS = ["unreachable", "timeout", "http_error"] as const;

/** The back office's tasks whose completion and length are measured (`useFormTask`). */
export const ADMIN_TASKS = ["product_edit", "product_create", "stock_adjust"] as const;

/** How a back-office task ended. */
export const TASK_OUTCOMES = ["completed", "abandoned"] as const;

/** How a client-side navigation happened (Next.js's `onRouterTransitionStart`). */
export const NAVIGATION_TYPES = ["push", "replace", "traverse"] as const;

/** The back office's live notifications (`GET /api/admin/notifications`): the events' types. */
export const NOTIFICATION_TYPES = ["order.placed", "inventory.low_stock", "inventory.stock_report", "catalog.image.processed"] as const;

/** The custom RUM events: log records whose `event.name` is one of these. */
export const EVENTS = [
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
] as const;

export type Element = (typeof ELEMENTS)[number];
export type FunnelStep = (typeof FUNNEL_STEPS)[number];
export type CartAction = (typeof CART_ACTIONS)[number];
export type Outcome = (typeof OUTCOMES)[number];
export type CheckoutStep = (typeof CHECKOUT_STEPS)[number];
export type CheckoutOutcome = (typeof CHECKOUT_OUTCOMES)[number];
export type Component = (typeof COMPONENTS)[number];
export type NetworkFault = (typeof NETWORK_FAULTS)[number];
export type EventName = (typeof EVENTS)[number];
export type NavigationType = (typeof NAVIGATION_TYPES)[number];
export type AdminTask = (typeof ADMIN_TASKS)[number];
export type TaskOutcome = (typeof TASK_OUTCOMES)[number];
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

/** `type` when it is one of the notifications the back office shows. */
export function isNotificationType(type: string): type is NotificationType {
  return (NOTIFICATION_TYPES as readonly string[]).includes(type);
}

/** `name` when it is one of the UI's named elements. */
export function isElement(name: string): name is Element {
  return (ELEMENTS as readonly string[]).includes(name);
}

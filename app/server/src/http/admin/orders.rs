//! Orders in the back office (A-ORDER-01..04): list and read them without
//! the customer's personal data; read the customer's details (an audited
//! security event, O-SEC-04); move an order through the status machine
//! (confirm, pack, ship with a tracking number, deliver, cancel; accept a
//! return: stock back, refund); the sales report as JSON or CSV.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shop_core::admin::{Admins, Operation};
use shop_core::audit::{Actor, AuditEvent, Outcome};
use shop_core::orders::model::{Address, Order, OrderItem, StatusChange};
use shop_core::orders::sales::{self, GroupBy, SalesRow};
use shop_core::orders::store::OrderSummaryRow;
use shop_core::orders::{OrderId, OrderStatus, Orders};
use utoipa::{IntoParams, ToSchema};

use super::audit::time;
use super::session::Admin;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{Json as JsonBody, Path, Query};

/// Most orders one page lists.
pub const MAX_PAGE: i64 = 100;

/// Which orders to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrderFilter {
    /// Only orders in this status.
    pub status: Option<OrderStatus>,
    /// 1–100 (default 20), newest first.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Orders to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// An order as the back office sees it without the customer's details.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminOrder {
    #[schema(format = Uuid)]
    pub id: String,
    pub status: OrderStatus,
    pub status_history: Vec<StatusChange>,
    pub items: Vec<OrderItem>,
    pub subtotal_cents: i64,
    pub discount_cents: i64,
    pub shipping_cents: i64,
    pub total_cents: i64,
    pub currency: String,
    pub payment_method: String,
    pub tracking_number: Option<String>,
    pub refunded_cents: Option<i64>,
    pub created_at: String,
    /// Where it may go next.
    pub next: Vec<OrderStatus>,
}

impl AdminOrder {
    fn of(order: Order) -> AdminOrder {
        AdminOrder {
            next: order.status.next(),
            id: order.id,
            status: order.status,
            status_history: order.status_history,
            items: order.items,
            subtotal_cents: order.subtotal_cents,
            discount_cents: order.discount_cents,
            shipping_cents: order.shipping_cents,
            total_cents: order.total_cents,
            currency: order.currency,
            payment_method: order.payment_method.as_str().to_owned(),
            tracking_number: order.tracking_number,
            refunded_cents: order.refunded_cents,
            created_at: order.created_at,
        }
    }
}

/// The customer's details of an order: personal data, each read audited.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderCustomer {
    pub email: String,
    pub shipping_address: Address,
}

/// The body of a move.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveOrder {
    /// `paid` (confirm), `packed`, `shipped`, `delivered`, `cancelled`, or `returned` (accept a
    /// return: the stock goes back and the total is refunded).
    pub to: OrderStatus,
    /// The carrier's tracking number: required to ship, refused otherwise. 1–64 of `A-Z a-z 0-9 -`.
    #[schema(pattern = "^[A-Za-z0-9-]{1,64}$", example = "JP123456789")]
    #[serde(default)]
    pub tracking_number: Option<String>,
}

fn order_id(raw: &str) -> Result<OrderId, ApiError> {
    OrderId::parse(raw).map_err(|_| ApiError::not_found("order", raw))
}

/// Orders, newest first, without personal data.
#[utoipa::path(get, path = "/api/admin/orders", tag = "admin", operation_id = "admin_list_orders", params(OrderFilter),
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "A page of orders", body = Vec<OrderSummaryRow>),
        (status = 400, description = "Invalid query parameter", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Your roles do not allow this", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("orders.read"))))]
pub async fn list(
    State(admins): State<Admins>,
    State(db): State<shop_core::db::Db>,
    admin: Admin,
    Query(filter): Query<OrderFilter>,
) -> ApiResult<Json<Vec<OrderSummaryRow>>> {
    admin.authorize(&admins, Operation::OrdersRead).await?;
    let limit = filter.limit.unwrap_or(20);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::validation(
            "limit",
            format!("must be between 1 and {MAX_PAGE}"),
        ));
    }
    let offset = filter.offset.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::validation("offset", "must be 0 or more"));
    }
    admins.counted(Operation::OrdersRead);
    Ok(Json(
        shop_core::orders::store::list(&db, filter.status, limit, offset).await?,
    ))
}

/// One order, without the customer's details.
#[utoipa::path(get, path = "/api/admin/orders/{id}", tag = "admin",
    params(("id" = String, Path, description = "Order id (UUID)", format = Uuid)),
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "The order", body = AdminOrder),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Your roles do not allow this", body = ErrorBody),
        (status = 404, description = "No such order", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("orders.read"))))]
pub async fn get(
    State(admins): State<Admins>,
    State(orders): State<Orders>,
    admin: Admin,
    Path(id): Path<String>,
) -> ApiResult<Json<AdminOrder>> {
    admin.authorize(&admins, Operation::OrdersRead).await?;
    let order = orders.get(&order_id(&id)?).await?;
    admins.counted(Operation::OrdersRead);
    Ok(Json(AdminOrder::of(order)))
}

/// The customer's e-mail and delivery address of an order. Each read is an audit entry and a
/// security event (reads of personal data are watched).
#[utoipa::path(get, path = "/api/admin/orders/{id}/customer", tag = "admin",
    params(("id" = String, Path, description = "Order id (UUID)", format = Uuid)),
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "The customer's details", body = OrderCustomer),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Your roles do not allow this", body = ErrorBody),
        (status = 404, description = "No such order", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("orders.read_customer"))))]
pub async fn customer(
    State(admins): State<Admins>,
    State(orders): State<Orders>,
    admin: Admin,
    Path(id): Path<String>,
) -> ApiResult<Json<OrderCustomer>> {
    admin
        .authorize(&admins, Operation::OrdersReadCustomer)
        .await?;
    let order = orders.get(&order_id(&id)?).await?;
    admins
        .personal_data_read(
            &admin.session,
            Operation::OrdersReadCustomer,
            &format!("order:{}", order.id),
            admin.origin.clone(),
        )
        .await?;
    Ok(Json(OrderCustomer {
        email: order.email,
        shipping_address: order.shipping_address,
    }))
}

/// Move an order: confirm, pack, ship (with a tracking number), deliver, cancel, or accept a
/// return (`returned`: the stock goes back with `return` movements and the total is refunded).
#[utoipa::path(post, path = "/api/admin/orders/{id}/status", tag = "admin", request_body = MoveOrder,
    params(("id" = String, Path, description = "Order id (UUID)", format = Uuid)),
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 200, description = "The order after the move", body = AdminOrder),
        (status = 400, description = "Invalid field (a tracking number is required to ship, and only then)", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token, or your roles do not allow this", body = ErrorBody),
        (status = 404, description = "No such order", body = ErrorBody),
        (status = 409, description = "The status machine does not allow this move (`illegal_transition`)", body = ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("orders.transition"))))]
pub async fn move_order(
    State(admins): State<Admins>,
    State(orders): State<Orders>,
    admin: Admin,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<MoveOrder>,
) -> ApiResult<Response> {
    // Accepting a return is its own operation (the stock and the money).
    let op = if body.to == OrderStatus::Returned {
        Operation::OrdersReturn
    } else {
        Operation::OrdersTransition
    };
    admin.authorize(&admins, op).await?;
    let tracking = match (body.to, body.tracking_number) {
        (OrderStatus::Shipped, Some(t)) if valid_tracking(&t) => Some(t),
        (OrderStatus::Shipped, Some(_)) => {
            return Err(ApiError::validation(
                "tracking_number",
                "must be 1–64 of A-Z, a-z, 0-9 and -",
            ));
        }
        (OrderStatus::Shipped, None) => {
            return Err(ApiError::validation(
                "tracking_number",
                "is required to ship an order",
            ));
        }
        (_, Some(_)) => {
            return Err(ApiError::validation(
                "tracking_number",
                "is only given when shipping",
            ));
        }
        (_, None) => None,
    };
    let id = order_id(&id)?;
    let session = admin.session.clone();
    let origin = admin.origin.clone();
    let to = body.to;
    let after_tracking = tracking.clone();
    let order = orders
        .admin_move(&id, to, tracking, |from| {
            AuditEvent::new(
                Actor::Admin(session.admin_id.clone()),
                op.as_str(),
                Outcome::Success,
            )
            .target(format!("order:{id}"))
            .change(
                Some(serde_json::json!({ "status": from.as_str() })),
                Some(
                    serde_json::json!({ "status": to.as_str(), "tracking_number": after_tracking }),
                ),
            )
            .origin(origin)
        })
        .await?;
    admins.counted(op);
    Ok(Json(AdminOrder::of(order)).into_response())
}

fn valid_tracking(t: &str) -> bool {
    (1..=64).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The sales report's period, grouping and format.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SalesQuery {
    /// `day` (UTC), `category` or `product` (default `day`).
    #[param(pattern = "^(day|category|product)$")]
    pub group: Option<String>,
    /// From this time, RFC 3339 (default: the beginning).
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// Until before this time, RFC 3339 (default: now and later).
    #[param(format = DateTime)]
    pub to: Option<String>,
    /// `json` (default) or `csv`.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// Sales by day, category or product: orders, units and revenue (line totals at the price paid,
/// cents) of the orders neither cancelled nor returned. As JSON or CSV.
#[utoipa::path(get, path = "/api/admin/reports/sales", tag = "admin", params(SalesQuery),
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "The report's rows (`format=csv`: text/csv with a header line)",
            content((Vec<SalesRow> = "application/json"), (String = "text/csv"))),
        (status = 400, description = "Invalid query parameter", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Your roles do not allow this", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("reports.sales"))))]
pub async fn sales_report(
    State(admins): State<Admins>,
    State(db): State<shop_core::db::Db>,
    admin: Admin,
    Query(q): Query<SalesQuery>,
) -> ApiResult<Response> {
    admin.authorize(&admins, Operation::SalesReport).await?;
    let group = match q.group.as_deref() {
        None => GroupBy::Day,
        Some(g) => GroupBy::parse(g)
            .ok_or_else(|| ApiError::validation("group", "must be day, category or product"))?,
    };
    let from = time("from", q.from.as_deref(), 0)?;
    let to = time("to", q.to.as_deref(), i64::MAX)?;
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(ApiError::validation("format", "must be json or csv")),
    };
    let rows = sales::report(&db, group, from, to).await?;
    // Business figures leaving the shop: audited as a data export (the compliance report lists
    // them), before they are handed over.
    admins
        .data_exported(
            &admin.session,
            Operation::SalesReport,
            "sales",
            serde_json::json!({ "group": q.group.as_deref().unwrap_or("day"), "rows": rows.len(), "format": if csv { "csv" } else { "json" } }),
            admin.origin.clone(),
        )
        .await?;
    if csv {
        Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            sales::to_csv(&rows),
        )
            .into_response())
    } else {
        Ok(Json(rows).into_response())
    }
}

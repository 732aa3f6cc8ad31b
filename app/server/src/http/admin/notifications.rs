//! The back office's live notifications (F-LAMBDA-01):
//! `GET /api/admin/notifications`, a long poll over the events an admin
//! should see as they happen (`shop_core::events::feed`).
//!
//! | event | who sees it | what the back office shows |
//! |---|---|---|
//! | `order.placed` | roles that read orders | a new order |
//! | `inventory.low_stock` | roles that read stock | a product at or below its threshold |
//! | `inventory.stock_report` | roles that read stock | the stock report is ready |
//! | `catalog.image.processed` | roles that read the catalog | the `image-resize` function (a Lambda function) is done with a picture, or refused it |
//!
//! How a page follows it: a first call without `after` answers at once with the cursor (the
//! newest event); each next call passes that cursor and is answered as soon as there is
//! something after it, or after `wait` seconds with nothing. Each item carries its trace context
//! as the backend's propagation fields, so the page's notification joins the trace of the change
//! that caused it: the checkout, the adjustment, the function's invocation.
//!
//! Why a long poll and not a stream (server-sent events, a WebSocket): it is an ordinary request,
//! so it has the API's session check, error bodies, request timeout and telemetry, it resumes
//! from its cursor after any break, and it works through every proxy. Each call is a short server
//! span; the waiting itself makes no telemetry (the outbox is read without it, every 500 ms).

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json_;
use shop_core::admin::{Admins, Operation};
use shop_core::db::Db;
use shop_core::events::{EventType, feed, trace};
use telemetry_api::Telemetry;
use telemetry_api::export::without_telemetry;
use utoipa::{IntoParams, ToSchema};

use super::session::Admin;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::Query;

/// The longest wait a call may ask for: under the API's request timeout (30 s by default).
pub const MAX_WAIT_SECONDS: u32 = 25;
/// How often the outbox is read while a call waits.
const POLL: Duration = Duration::from_millis(500);
/// Most outbox rows looked at per read.
const BATCH: i64 = 200;

/// Where to read from, and how long to wait.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationsQuery {
    /// The cursor of the last answer. Left out: the answer is at once, with no item and the
    /// cursor to start from.
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// Seconds to wait for something after `after` (0–25; 20 when left out).
    #[param(minimum = 0, maximum = 25)]
    pub wait: Option<u32>,
}

/// What happened since the cursor.
#[derive(Debug, Serialize, ToSchema)]
pub struct Notifications {
    /// Oldest first; empty when nothing came within the wait.
    pub items: Vec<Notification>,
    /// Pass it as `after` next time.
    pub cursor: i64,
}

/// One event, as the back office shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Notification {
    /// Its place in the feed.
    pub id: i64,
    pub event_id: String,
    /// `order.placed`, `inventory.low_stock`, `inventory.stock_report` or `catalog.image.processed`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// When the change happened (epoch milliseconds).
    pub occurred_at: i64,
    /// The event's public data: ids, statuses, amounts (never personal data).
    #[schema(value_type = Object)]
    pub data: Json_,
    /// The change's trace context as the backend's propagation fields (`traceparent`, or
    /// `x-amzn-trace-id`); empty when the change was not traced.
    pub trace: BTreeMap<String, String>,
}

/// The events an admin with these roles may see.
fn visible(admin: &Admin) -> Vec<EventType> {
    let now = shop_core::time::now_millis();
    let may = |op| admin.session.authorize(op, now).is_ok();
    let mut types = Vec::new();
    if may(Operation::OrdersRead) {
        types.push(EventType::OrderPlaced);
    }
    if may(Operation::InventoryRead) {
        types.extend([EventType::LowStock, EventType::StockReport]);
    }
    if may(Operation::CatalogRead) {
        types.push(EventType::ImageProcessed);
    }
    types
}

/// Live notifications for the back office (F-LAMBDA-01): a long poll over new orders, low stock, the stock report and the image-resize function's results.
#[utoipa::path(get, path = "/api/admin/notifications", tag = "admin",
    params(NotificationsQuery),
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "What happened after the cursor (or the cursor to start from), as soon as there is something or after the wait", body = Notifications),
        (status = 400, description = "A parameter out of range", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("account.read"))))]
pub async fn notifications(
    State(admins): State<Admins>,
    State(db): State<Db>,
    State(telemetry): State<Telemetry>,
    admin: Admin,
    Query(query): Query<NotificationsQuery>,
) -> ApiResult<Json<Notifications>> {
    admin.authorize(&admins, Operation::OwnAccountRead).await?;
    let wait = query.wait.unwrap_or(20);
    if wait > MAX_WAIT_SECONDS {
        return Err(ApiError::Validation {
            field: "wait".to_owned(),
            message: format!("wait is 0 to {MAX_WAIT_SECONDS} seconds (got {wait})"),
        });
    }
    let failed = |e: sqlx::Error| ApiError::Internal(format!("reading the outbox: {e}"));
    let Some(after) = query.after else {
        let cursor = feed::latest(&db).await.map_err(failed)?;
        return Ok(Json(Notifications {
            items: Vec::new(),
            cursor,
        }));
    };
    if after < 0 {
        return Err(ApiError::Validation {
            field: "after".to_owned(),
            message: "after is a cursor this route gave, 0 or more".to_owned(),
        });
    }
    let types = visible(&admin);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(u64::from(wait));
    let mut cursor = after;
    loop {
        // The first read is traced (it is this request's work); the waiting reads are not.
        let read = feed::after(&db, cursor, &types, BATCH);
        let (items, next) = if cursor == after {
            read.await
        } else {
            without_telemetry(read).await
        }
        .map_err(failed)?;
        cursor = next;
        if !items.is_empty() || tokio::time::Instant::now() + POLL > deadline {
            let propagator = telemetry.propagator();
            let items = items
                .into_iter()
                .map(|i| Notification {
                    id: i.id,
                    event_id: i.event_id,
                    event_type: i.event_type.as_str().to_owned(),
                    occurred_at: i.occurred_at,
                    data: i.data,
                    trace: i
                        .context
                        .map(|c| trace::inject(propagator, &c).0)
                        .unwrap_or_default(),
                })
                .collect();
            return Ok(Json(Notifications { items, cursor }));
        }
        tokio::time::sleep(POLL).await;
    }
}

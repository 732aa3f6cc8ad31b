//! The order status machine (C-SHOP-05): which status an order may move to
//! from which. Every change of status goes through [`OrderStatus::transition`],
//! so an illegal move (shipping a cancelled order, cancelling a shipped one)
//! is refused in one place, whoever asks: the customer's cancel and return
//! request today, the admin's routes later.
//!
//! ```text
//! placed ──▶ paid ──▶ packed ──▶ shipped ──▶ delivered ──▶ return_requested ──▶ returned
//!   │         │
//!   └────┬────┘
//!        ▼
//!    cancelled
//! ```

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where an order is in its life. Stored and shown as the snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Written, not yet paid.
    Placed,
    /// Payment authorized; waiting to be packed.
    Paid,
    /// Packed in the warehouse; too late to cancel.
    Packed,
    /// Handed to the carrier.
    Shipped,
    /// Arrived.
    Delivered,
    /// Cancelled before packing; its stock went back on the shelf.
    Cancelled,
    /// The customer asked to send it back.
    ReturnRequested,
    /// The return arrived.
    Returned,
}

/// A move the machine does not allow (the API answers 409).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an order cannot go from {from} to {to}")]
pub struct IllegalTransition {
    pub from: OrderStatus,
    pub to: OrderStatus,
}

impl OrderStatus {
    /// Every status, in the order of an order's life.
    pub const ALL: [OrderStatus; 8] = [
        OrderStatus::Placed,
        OrderStatus::Paid,
        OrderStatus::Packed,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
        OrderStatus::ReturnRequested,
        OrderStatus::Returned,
    ];

    /// The stored (and shown) name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Placed => "placed",
            OrderStatus::Paid => "paid",
            OrderStatus::Packed => "packed",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::ReturnRequested => "return_requested",
            OrderStatus::Returned => "returned",
        }
    }

    /// The status with this stored name, if any.
    pub fn parse(name: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether the machine allows going from `from` to `to`; staying put is
    /// not a transition.
    pub fn transition(from: OrderStatus, to: OrderStatus) -> Result<(), IllegalTransition> {
        use OrderStatus as S;
        let allowed = matches!(
            (from, to),
            (S::Placed, S::Paid)
                | (S::Placed, S::Cancelled)
                | (S::Paid, S::Packed)
                | (S::Paid, S::Cancelled)
                | (S::Packed, S::Shipped)
                | (S::Shipped, S::Delivered)
                | (S::Delivered, S::ReturnRequested)
                | (S::ReturnRequested, S::Returned)
        );
        if allowed {
            Ok(())
        } else {
            Err(IllegalTransition { from, to })
        }
    }

    /// The statuses this one may move to.
    pub fn next(self) -> Vec<OrderStatus> {
        OrderStatus::ALL
            .into_iter()
            .filter(|&to| OrderStatus::transition(self, to).is_ok())
            .collect()
    }
}

impl std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus as S;
    use super::*;

    /// The whole matrix: exactly these eight moves are legal, every other
    /// pair (including staying put) is refused.
    #[test]
    fn the_whole_transition_matrix() {
        let legal = [
            (S::Placed, S::Paid),
            (S::Placed, S::Cancelled),
            (S::Paid, S::Packed),
            (S::Paid, S::Cancelled),
            (S::Packed, S::Shipped),
            (S::Shipped, S::Delivered),
            (S::Delivered, S::ReturnRequested),
            (S::ReturnRequested, S::Returned),
        ];
        let mut checked = 0;
        for from in S::ALL {
            for to in S::ALL {
                let expected = legal.contains(&(from, to));
                let got = S::transition(from, to);
                assert_eq!(got.is_ok(), expected, "{from} -> {to}");
                if !expected {
                    assert_eq!(got, Err(IllegalTransition { from, to }));
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 64);
    }

    #[test]
    fn cancelled_and_returned_are_final() {
        assert!(S::Cancelled.next().is_empty());
        assert!(S::Returned.next().is_empty());
        assert_eq!(S::Paid.next(), [S::Packed, S::Cancelled]);
    }

    #[test]
    fn names_round_trip() {
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.as_str())
            );
        }
        assert_eq!(S::parse("confirmed"), None);
        assert_eq!(
            IllegalTransition {
                from: S::Shipped,
                to: S::Cancelled
            }
            .to_string(),
            "an order cannot go from shipped to cancelled"
        );
    }
}

//! Mail: templates rendered as text and HTML (minijinja; the HTML is
//! auto-escaped, so a product named `<script>` arrives as text), sent with
//! SES (`SendEmail`, v1: what LocalStack records in its mailbox at
//! `GET /_aws/ses`).
//!
//! The templates live in `app/core/templates/mail/`, one `.txt` and one
//! `.html` per mail, the HTML ones extending `layout.html`. Amounts go
//! through the `money` filter (cents and a currency → `EUR 12.34`).

use aws_sdk_ses::types::{Body, Content, Destination, Message};
use minijinja::{Environment, Value};
use serde::Serialize;
use telemetry_api::semconv;

use crate::aws::{self, CallError, client_span};
use crate::resilience::Breaker;

/// The mails the shop sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    OrderConfirmation,
    ShippingNotice,
    PasswordReset,
    BackInStock,
    SaleNotice,
    StockReport,
}

impl Template {
    pub const ALL: [Template; 6] = [
        Template::OrderConfirmation,
        Template::ShippingNotice,
        Template::PasswordReset,
        Template::BackInStock,
        Template::SaleNotice,
        Template::StockReport,
    ];

    /// The file stem under `templates/mail/` (and the `shop.mail.template` value).
    pub fn name(self) -> &'static str {
        match self {
            Template::OrderConfirmation => "order_confirmation",
            Template::ShippingNotice => "shipping_notice",
            Template::PasswordReset => "password_reset",
            Template::BackInStock => "back_in_stock",
            Template::SaleNotice => "sale_notice",
            Template::StockReport => "stock_report",
        }
    }

    /// The subject line, rendered with the same context.
    fn subject(self) -> &'static str {
        match self {
            Template::OrderConfirmation => "Your order {{ order.id[:8] }} is confirmed",
            Template::ShippingNotice => "Your order {{ order.id[:8] }} has shipped",
            Template::PasswordReset => "Reset your password",
            Template::BackInStock => "Back in stock: {{ product.name }}",
            Template::SaleNotice => "On sale: {{ product.name }}",
            Template::StockReport => {
                "Stock report: {{ report.low_stock }} low, {{ report.out_of_stock }} out of stock"
            }
        }
    }
}

/// A rendered mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Renders the templates.
#[derive(Debug, Clone)]
pub struct Templates {
    env: Environment<'static>,
}

impl Default for Templates {
    fn default() -> Self {
        Templates::new()
    }
}

macro_rules! template_files {
    ($($name:literal),* $(,)?) => {
        [$(($name, include_str!(concat!("../../templates/mail/", $name)))),*]
    };
}

impl Templates {
    pub fn new() -> Templates {
        let mut env = Environment::new();
        // `.html` templates are escaped for HTML, `.txt` ones not at all.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                minijinja::AutoEscape::Html
            } else {
                minijinja::AutoEscape::None
            }
        });
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.add_filter("money", money);
        for (name, source) in template_files!(
            "layout.html",
            "order_confirmation.txt",
            "order_confirmation.html",
            "shipping_notice.txt",
            "shipping_notice.html",
            "password_reset.txt",
            "password_reset.html",
            "back_in_stock.txt",
            "back_in_stock.html",
            "sale_notice.txt",
            "sale_notice.html",
            "stock_report.txt",
            "stock_report.html",
        ) {
            env.add_template(name, source)
                .expect("the mail templates compiled into the binary are valid");
        }
        for t in Template::ALL {
            env.add_template(subject_name(t), t.subject())
                .expect("the subject templates are valid");
        }
        Templates { env }
    }

    /// Renders `template` with `context` (a serializable value).
    pub fn render<C: Serialize>(
        &self,
        template: Template,
        context: &C,
    ) -> Result<Rendered, minijinja::Error> {
        let ctx = Value::from(minijinja::value::Serde(context));
        let subject = self
            .env
            .get_template(subject_name(template))?
            .render(&ctx)?;
        let text = self
            .env
            .get_template(&format!("{}.txt", template.name()))?
            .render(&ctx)?;
        let html = self
            .env
            .get_template(&format!("{}.html", template.name()))?
            .render(minijinja::context! { subject => subject.clone(), ..ctx })?;
        Ok(Rendered {
            subject,
            text,
            html,
        })
    }
}

fn subject_name(t: Template) -> &'static str {
    match t {
        Template::OrderConfirmation => "subject:order_confirmation",
        Template::ShippingNotice => "subject:shipping_notice",
        Template::PasswordReset => "subject:password_reset",
        Template::BackInStock => "subject:back_in_stock",
        Template::SaleNotice => "subject:sale_notice",
        Template::StockReport => "subject:stock_report",
    }
}

/// `money(cents, currency)`: `EUR 12.34`.
fn money(cents: i64, currency: Option<String>) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!(
        "{}{sign}{}.{:02}",
        currency.map(|c| format!("{c} ")).unwrap_or_default(),
        c / 100,
        c % 100
    )
}

/// Sends mail through SES.
#[derive(Clone)]
pub struct Mailer {
    client: aws_sdk_ses::Client,
    region: String,
    from: String,
    breaker: Breaker,
}

/// The SES circuit breaker's name (`shop.circuit.name`).
pub const SES_CIRCUIT: &str = "ses";

/// Why a mail was not sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// SES refused it for good (an unverified or invalid address): do not retry.
    #[error("SES refused the mail: {0}")]
    Refused(CallError),
    /// SES could not be reached or failed: try again later.
    #[error("SES unavailable: {0}")]
    Unavailable(CallError),
    /// SES does not know the sender address (a deployment problem, or an
    /// emulator restarted without its identities): keep the mail, fix the
    /// identity (provisioning verifies it), try again.
    #[error("SES does not know the sender: {0}")]
    SenderUnverified(CallError),
}

impl Mailer {
    /// A mailer sending as `from`, through `breaker` (docs/resilience.md).
    pub fn new(sdk: &aws_config::SdkConfig, from: impl Into<String>, breaker: Breaker) -> Mailer {
        Mailer {
            client: aws_sdk_ses::Client::new(sdk),
            region: aws::region_of(sdk),
            from: from.into(),
            breaker,
        }
    }

    /// The circuit breaker on SES.
    pub fn breaker(&self) -> &Breaker {
        &self.breaker
    }

    /// Sends `mail` to `to`; returns SES's message id. The span records the
    /// template and the message id, never the address. While the breaker is
    /// open nothing is tried: the mail is `Unavailable` at once.
    pub async fn send(
        &self,
        template: Template,
        to: &str,
        mail: &Rendered,
    ) -> Result<String, SendError> {
        if !self.breaker.permits() {
            return Err(SendError::Unavailable(CallError {
                service: "SES",
                operation: "SendEmail",
                kind: "circuit_open".to_owned(),
                message: "the circuit is open: SES failed too often; not tried".to_owned(),
            }));
        }
        let content = |s: &str| {
            Content::builder()
                .data(s)
                .charset("UTF-8")
                .build()
                .expect("data is set")
        };
        let message = Message::builder()
            .subject(content(&mail.subject))
            .body(
                Body::builder()
                    .text(content(&mail.text))
                    .html(content(&mail.html))
                    .build(),
            )
            .build();
        let span = client_span!("SES", "SendEmail", self.region.as_str());
        span.record(semconv::SHOP_MAIL_TEMPLATE, template.name());
        let send = self
            .client
            .send_email()
            .source(&self.from)
            .destination(Destination::builder().to_addresses(to).build())
            .message(message)
            .send();
        let out = aws::call(span.clone(), "SES", "SendEmail", send).await;
        // Transient failures (unreachable, timeouts, throttling, 5xx) say SES
        // is down; a refusal is SES answering.
        match &out {
            Err(e) if e.is_transient() => self.breaker.failed(),
            _ => self.breaker.succeeded(),
        }
        let out = out.map_err(|e| {
            if e.is_transient() {
                SendError::Unavailable(e)
            } else if e.kind == "MessageRejected"
                && e.message.contains("not verified")
                && e.message.contains(self.from.as_str())
            {
                SendError::SenderUnverified(e)
            } else {
                SendError::Refused(e)
            }
        })?;
        let id = out.message_id().to_owned();
        span.record(semconv::MESSAGING_MESSAGE_ID, id.as_str());
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> serde_json::Value {
        serde_json::json!({
            "order": {
                "id": "0b5e4c1e-1111-2222-3333-444455556666",
                "items": [
                    { "name": "Tea <b>pot</b>", "quantity": 2, "line_total_cents": 2598 },
                ],
                "subtotal_cents": 2598, "discount_cents": 0, "coupon_code": null,
                "shipping_cents": 499, "total_cents": 3097, "currency": "EUR",
                "tracking_number": "TRK123",
                "shipping_address": { "name": "A B", "line1": "1 Road", "line2": "",
                    "postal_code": "123", "city": "Town", "country": "DE" },
            },
            "shop_url": "http://shop.test",
        })
    }

    #[test]
    fn every_template_renders_text_and_html() {
        let t = Templates::new();
        let mail = t.render(Template::OrderConfirmation, &order()).unwrap();
        assert_eq!(mail.subject, "Your order 0b5e4c1e is confirmed");
        assert!(
            mail.text.contains("2 × Tea <b>pot</b>  EUR 25.98"),
            "{}",
            mail.text
        );
        assert!(mail.text.contains("Total      EUR 30.97"), "{}", mail.text);
        // HTML escapes what the shop's data holds.
        assert!(
            mail.html.contains("Tea &lt;b&gt;pot&lt;&#x2f;b&gt;"),
            "{}",
            mail.html
        );
        assert!(
            mail.html
                .contains("<title>Your order 0b5e4c1e is confirmed</title>")
        );

        let shipped = t.render(Template::ShippingNotice, &order()).unwrap();
        assert!(shipped.text.contains("Tracking number: TRK123"));

        let reset = t
            .render(
                Template::PasswordReset,
                &serde_json::json!({ "token": "abc", "shop_url": "http://shop.test" }),
            )
            .unwrap();
        assert!(
            reset
                .text
                .contains("http://shop.test/account/reset-password/?token=abc")
        );

        let product = serde_json::json!({
            "product": { "id": 7, "name": "Kettle", "price_cents": 1999, "currency": "EUR" },
            "old_price_cents": 2999, "shop_url": "http://shop.test",
        });
        let back = t.render(Template::BackInStock, &product).unwrap();
        assert_eq!(back.subject, "Back in stock: Kettle");
        let sale = t.render(Template::SaleNotice, &product).unwrap();
        assert!(
            sale.text.contains("Was EUR 29.99, now EUR 19.99."),
            "{}",
            sale.text
        );

        let report = serde_json::json!({
            "run": { "id": "run-1", "started_at": "2026-12-02T06:00:00Z" },
            "report": { "products": 40, "units_on_hand": 900, "in_stock": 37, "low_stock": 2, "out_of_stock": 1 },
            "attention": [
                { "product_id": 9, "name": "Tent <XL>", "quantity": 0, "low_stock_threshold": 5 },
                { "product_id": 4, "name": "Lamp", "quantity": 3, "low_stock_threshold": 5 },
            ],
            "shop_url": "http://shop.test",
        });
        let mail = t.render(Template::StockReport, &report).unwrap();
        assert_eq!(mail.subject, "Stock report: 2 low, 1 out of stock");
        assert!(
            mail.text
                .contains("Tent <XL> (product 9): 0 left, threshold 5"),
            "{}",
            mail.text
        );
        assert!(mail.text.contains("… and 1 more."), "{}", mail.text);
        assert!(mail.html.contains("Tent &lt;XL&gt;"), "{}", mail.html);
        assert!(
            mail.text
                .contains("http://shop.test/admin/batch/?run=run-1")
        );
    }

    #[test]
    fn a_missing_field_is_an_error_not_an_empty_mail() {
        let t = Templates::new();
        assert!(
            t.render(Template::PasswordReset, &serde_json::json!({}))
                .is_err()
        );
    }

    #[test]
    fn money_has_two_decimals_and_a_sign() {
        assert_eq!(money(5, Some("EUR".into())), "EUR 0.05");
        assert_eq!(money(-1234, None), "-12.34");
    }
}

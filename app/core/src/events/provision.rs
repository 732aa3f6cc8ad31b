//! The messaging resources the shop's events travel through, created
//! idempotently: the EventBridge bus and its rules, the SQS queues with
//! their dead-letter queues, the SNS topics and their subscriptions, and the
//! SES sender identity.
//!
//! ```text
//! bus shop-events ─ rule shop-mail ────────────▶ queue shop-notifications  (DLQ shop-notifications-dlq)
//!                 ─ rule shop-sale ─▶ topic shop-sale-notices ─▶ queue shop-sale-notices (DLQ …-dlq)
//!                 ─ rule shop-low-stock ─▶ topic shop-admin-alerts ─▶ queue shop-admin-alerts
//! ```
//!
//! In the lab, `make lab` applies `terraform/envs/local`, which creates the
//! same resources, and the shop's provisioner (`--events-provision`, `shop
//! events provision`) finds them without changing what Terraform set: the
//! redrive policy is written as Terraform writes it, and a queue that already
//! has a policy keeps it (Terraform's is narrower). An emulator that was
//! restarted has lost them all, and the dispatcher provisions again when the
//! bus answers "not found". In AWS, infrastructure as code owns them and the
//! shop never creates anything.

use std::collections::HashMap;

use aws_sdk_eventbridge::types::Target;
use aws_sdk_sqs::types::QueueAttributeName;
use serde::Serialize;

use crate::aws::{self, CallError, client_span};
use crate::events::EventType;

/// Names and limits of the resources.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Prefix of every name (`shop`).
    pub prefix: String,
    /// Receives before SQS moves a message to the dead-letter queue.
    pub max_receive_count: u32,
    /// Seconds a received message stays invisible to other consumers.
    pub visibility_timeout_secs: u32,
    /// The sender address SES must know.
    pub mail_from: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            prefix: "shop".to_owned(),
            max_receive_count: 5,
            visibility_timeout_secs: 30,
            mail_from: "shop@example.com".to_owned(),
        }
    }
}

impl Settings {
    pub fn bus(&self) -> String {
        format!("{}-events", self.prefix)
    }
    pub fn notifications_queue(&self) -> String {
        format!("{}-notifications", self.prefix)
    }
    pub fn sale_notices_topic(&self) -> String {
        format!("{}-sale-notices", self.prefix)
    }
    pub fn sale_notices_queue(&self) -> String {
        format!("{}-sale-notices", self.prefix)
    }
    pub fn admin_alerts_topic(&self) -> String {
        format!("{}-admin-alerts", self.prefix)
    }
    pub fn admin_alerts_queue(&self) -> String {
        format!("{}-admin-alerts", self.prefix)
    }
    /// The dead-letter queue of `queue`.
    pub fn dlq_of(queue: &str) -> String {
        format!("{queue}-dlq")
    }
}

/// What [`provision`] made (or found).
#[derive(Debug, Clone, Serialize)]
pub struct Provisioned {
    pub bus: String,
    /// Queue name → URL (the dead-letter queues too).
    pub queues: HashMap<String, String>,
    /// Topic name → ARN.
    pub topics: HashMap<String, String>,
    /// Rule name → the event types it routes.
    pub rules: HashMap<String, Vec<&'static str>>,
}

/// Creates whatever is missing; existing resources are left as they are
/// (a queue's redrive policy and visibility timeout are set again, which is
/// idempotent; its policy only when it has none).
pub async fn provision(
    sdk: &aws_config::SdkConfig,
    settings: &Settings,
) -> Result<Provisioned, CallError> {
    // One root span over every call. (Instrumented, never `enter`ed across
    // an await: an entered span would become the parent of whatever else the
    // thread polls meanwhile, such as HTTP requests.)
    let span = tracing::info_span!("events.provision", span.kind = "internal");
    tracing::Instrument::instrument(provision_all(sdk, settings), span).await
}

async fn provision_all(
    sdk: &aws_config::SdkConfig,
    settings: &Settings,
) -> Result<Provisioned, CallError> {
    let region = aws::region_of(sdk);
    let events = aws_sdk_eventbridge::Client::new(sdk);
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let sns = aws_sdk_sns::Client::new(sdk);
    let ses = aws_sdk_ses::Client::new(sdk);

    // The bus.
    let bus = settings.bus();
    let bus_arn = match aws::call(
        client_span!("EventBridge", "CreateEventBus", region.as_str()),
        "EventBridge",
        "CreateEventBus",
        events.create_event_bus().name(&bus).send(),
    )
    .await
    {
        Ok(out) => out.event_bus_arn().unwrap_or_default().to_owned(),
        Err(e) if e.kind.contains("AlreadyExists") => {
            let out = aws::call(
                client_span!("EventBridge", "DescribeEventBus", region.as_str()),
                "EventBridge",
                "DescribeEventBus",
                events.describe_event_bus().name(&bus).send(),
            )
            .await?;
            out.arn().unwrap_or_default().to_owned()
        }
        Err(e) => return Err(e),
    };

    // Queues, each with its dead-letter queue.
    let mut queues = HashMap::new();
    let mut queue_arns = HashMap::new();
    for queue in [
        settings.notifications_queue(),
        settings.sale_notices_queue(),
        settings.admin_alerts_queue(),
    ] {
        let dlq = Settings::dlq_of(&queue);
        let dlq_url = create_queue(&sqs, &region, &dlq, HashMap::new()).await?;
        let dlq_arn = queue_arn(&sqs, &region, &dlq_url).await?;
        let mut attributes = HashMap::new();
        attributes.insert(
            QueueAttributeName::RedrivePolicy,
            serde_json::json!({
                "deadLetterTargetArn": dlq_arn,
                // A number, as Terraform writes it (SQS takes a string too).
                "maxReceiveCount": settings.max_receive_count,
            })
            .to_string(),
        );
        attributes.insert(
            QueueAttributeName::VisibilityTimeout,
            settings.visibility_timeout_secs.to_string(),
        );
        let url = create_queue(&sqs, &region, &queue, attributes).await?;
        let arn = queue_arn(&sqs, &region, &url).await?;
        allow_senders(&sqs, &region, &url, &arn).await?;
        queues.insert(dlq, dlq_url);
        queues.insert(queue.clone(), url);
        queue_arns.insert(queue, arn);
    }

    // Topics, each with its queue subscribed (raw delivery: the queue gets
    // the EventBridge event itself, not wrapped in an SNS envelope).
    let mut topics = HashMap::new();
    for (topic, queue) in [
        (settings.sale_notices_topic(), settings.sale_notices_queue()),
        (settings.admin_alerts_topic(), settings.admin_alerts_queue()),
    ] {
        let out = aws::call(
            client_span!("SNS", "CreateTopic", region.as_str()),
            "SNS",
            "CreateTopic",
            sns.create_topic().name(&topic).send(),
        )
        .await?;
        let topic_arn = out.topic_arn().unwrap_or_default().to_owned();
        aws::call(
            client_span!("SNS", "Subscribe", region.as_str()),
            "SNS",
            "Subscribe",
            sns.subscribe()
                .topic_arn(&topic_arn)
                .protocol("sqs")
                .endpoint(&queue_arns[&queue])
                .attributes("RawMessageDelivery", "true")
                .return_subscription_arn(true)
                .send(),
        )
        .await?;
        topics.insert(topic, topic_arn);
    }

    // Rules: which event types go where.
    let mut rules = HashMap::new();
    let mail: Vec<&'static str> = [
        EventType::OrderPlaced,
        EventType::OrderShipped,
        EventType::BackInStock,
        EventType::StockReport,
        EventType::PasswordReset,
    ]
    .map(EventType::as_str)
    .to_vec();
    let routes = [
        (
            format!("{}-mail", settings.prefix),
            mail,
            queue_arns[&settings.notifications_queue()].clone(),
        ),
        (
            format!("{}-sale", settings.prefix),
            vec![EventType::ProductOnSale.as_str()],
            topics[&settings.sale_notices_topic()].clone(),
        ),
        (
            format!("{}-low-stock", settings.prefix),
            vec![EventType::LowStock.as_str()],
            topics[&settings.admin_alerts_topic()].clone(),
        ),
    ];
    for (rule, types, target_arn) in routes {
        let pattern = serde_json::json!({ "source": [super::SOURCE], "detail-type": types });
        aws::call(
            client_span!("EventBridge", "PutRule", region.as_str()),
            "EventBridge",
            "PutRule",
            events
                .put_rule()
                .name(&rule)
                .event_bus_name(&bus)
                .event_pattern(pattern.to_string())
                .send(),
        )
        .await?;
        let target = Target::builder()
            .id(format!("{rule}-target"))
            .arn(&target_arn)
            .build()
            .map_err(|e| CallError {
                service: "EventBridge",
                operation: "PutTargets",
                kind: "invalid_target".to_owned(),
                message: e.to_string(),
            })?;
        aws::call(
            client_span!("EventBridge", "PutTargets", region.as_str()),
            "EventBridge",
            "PutTargets",
            events
                .put_targets()
                .rule(&rule)
                .event_bus_name(&bus)
                .targets(target)
                .send(),
        )
        .await?;
        rules.insert(rule, types);
    }

    // The sender identity (SES refuses mail from an unverified address).
    aws::call(
        client_span!("SES", "VerifyEmailIdentity", region.as_str()),
        "SES",
        "VerifyEmailIdentity",
        ses.verify_email_identity()
            .email_address(&settings.mail_from)
            .send(),
    )
    .await?;

    tracing::info!(bus = %bus, bus_arn = %bus_arn, queues = queues.len(), topics = topics.len(), "messaging resources provisioned");
    Ok(Provisioned {
        bus,
        queues,
        topics,
        rules,
    })
}

async fn create_queue(
    sqs: &aws_sdk_sqs::Client,
    region: &str,
    name: &str,
    attributes: HashMap<QueueAttributeName, String>,
) -> Result<String, CallError> {
    let out = aws::call(
        client_span!("SQS", "CreateQueue", region),
        "SQS",
        "CreateQueue",
        sqs.create_queue()
            .queue_name(name)
            .set_attributes((!attributes.is_empty()).then(|| attributes.clone()))
            .send(),
    )
    .await;
    let url = match out {
        Ok(out) => out.queue_url().unwrap_or_default().to_owned(),
        // The queue exists with other attributes: find it and set them.
        Err(e) if e.kind.contains("QueueAlreadyExists") || e.kind.contains("QueueNameExists") => {
            let url = queue_url(sqs, region, name).await?;
            aws::call(
                client_span!("SQS", "SetQueueAttributes", region),
                "SQS",
                "SetQueueAttributes",
                sqs.set_queue_attributes()
                    .queue_url(&url)
                    .set_attributes(Some(attributes))
                    .send(),
            )
            .await?;
            url
        }
        Err(e) => return Err(e),
    };
    Ok(url)
}

/// The URL of the queue named `name`.
pub async fn queue_url(
    sqs: &aws_sdk_sqs::Client,
    region: &str,
    name: &str,
) -> Result<String, CallError> {
    let out = aws::call(
        client_span!("SQS", "GetQueueUrl", region),
        "SQS",
        "GetQueueUrl",
        sqs.get_queue_url().queue_name(name).send(),
    )
    .await?;
    Ok(out.queue_url().unwrap_or_default().to_owned())
}

async fn queue_arn(
    sqs: &aws_sdk_sqs::Client,
    region: &str,
    url: &str,
) -> Result<String, CallError> {
    Ok(
        queue_attribute(sqs, region, url, QueueAttributeName::QueueArn)
            .await?
            .unwrap_or_default(),
    )
}

/// One attribute of the queue at `url`; `None` when SQS has no value for it.
async fn queue_attribute(
    sqs: &aws_sdk_sqs::Client,
    region: &str,
    url: &str,
    name: QueueAttributeName,
) -> Result<Option<String>, CallError> {
    let out = aws::call(
        client_span!("SQS", "GetQueueAttributes", region),
        "SQS",
        "GetQueueAttributes",
        sqs.get_queue_attributes()
            .queue_url(url)
            .attribute_names(name.clone())
            .send(),
    )
    .await?;
    Ok(out.attributes().and_then(|a| a.get(&name)).cloned())
}

/// The queue policy that lets EventBridge and SNS deliver into the queue
/// (AWS enforces it; LocalStack does not, but the lab states what AWS needs),
/// set when the queue has none: a policy already there is Terraform's
/// (`terraform/modules/messaging`, only the rule or topic that feeds the
/// queue), which this one must not widen.
async fn allow_senders(
    sqs: &aws_sdk_sqs::Client,
    region: &str,
    url: &str,
    arn: &str,
) -> Result<(), CallError> {
    let current = queue_attribute(sqs, region, url, QueueAttributeName::Policy).await?;
    if current.is_some_and(|p| !p.is_empty()) {
        return Ok(());
    }
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "events-and-sns",
            "Effect": "Allow",
            "Principal": { "Service": ["events.amazonaws.com", "sns.amazonaws.com"] },
            "Action": "sqs:SendMessage",
            "Resource": arn,
        }],
    });
    aws::call(
        client_span!("SQS", "SetQueueAttributes", region),
        "SQS",
        "SetQueueAttributes",
        sqs.set_queue_attributes()
            .queue_url(url)
            .attributes(QueueAttributeName::Policy, policy.to_string())
            .send(),
    )
    .await
    .map(drop)
}

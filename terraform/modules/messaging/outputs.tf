output "bus_name" {
  value = aws_cloudwatch_event_bus.shop.name
}

output "bus_arn" {
  value = aws_cloudwatch_event_bus.shop.arn
}

output "queue_urls" {
  description = "Queue name → URL, the dead-letter queues too."
  value = merge(
    { for k, q in aws_sqs_queue.queue : q.name => q.id },
    { for k, q in aws_sqs_queue.dlq : q.name => q.id },
  )
}

output "queue_arns" {
  description = "Queue key (notifications, sale-notices, admin-alerts) → ARN."
  value       = { for k, q in aws_sqs_queue.queue : k => q.arn }
}

output "dlq_names" {
  description = "Queue key → its dead-letter queue's name."
  value       = { for k, q in aws_sqs_queue.dlq : k => q.name }
}

output "topic_arns" {
  description = "Topic name → ARN."
  value       = { for k, t in aws_sns_topic.topic : t.name => t.arn }
}

output "rules" {
  description = "Rule name → the event types it routes."
  value       = { for k, r in aws_cloudwatch_event_rule.rule : r.name => local.rules[k].detail_types }
}

output "mail_from" {
  value = var.mail_from
}

# What the tests assert on (a test sees a module's outputs, not its resources).
output "queues" {
  description = "Queue key → name, url, arn, visibility timeout, redrive policy (decoded), and its dead-letter queue's name and arn, as read back after apply."
  value = { for k, q in aws_sqs_queue.queue : k => {
    name                       = q.name
    url                        = q.id
    arn                        = q.arn
    visibility_timeout_seconds = q.visibility_timeout_seconds
    redrive_policy             = jsondecode(q.redrive_policy)
    policy                     = jsondecode(aws_sqs_queue_policy.queue[k].policy)
    dlq_name                   = aws_sqs_queue.dlq[k].name
    dlq_arn                    = aws_sqs_queue.dlq[k].arn
  } }
}

output "rule_routes" {
  description = "Rule key → name, event pattern (decoded) and target ARN."
  value = { for k, r in aws_cloudwatch_event_rule.rule : k => {
    name          = r.name
    event_pattern = jsondecode(r.event_pattern)
    target_arn    = aws_cloudwatch_event_target.rule[k].arn
  } }
}

output "topics" {
  description = "Topic key → arn and its queue subscription (protocol, endpoint, raw delivery)."
  value = { for k, t in aws_sns_topic.topic : k => {
    arn                  = t.arn
    protocol             = aws_sns_topic_subscription.queue[k].protocol
    endpoint             = aws_sns_topic_subscription.queue[k].endpoint
    raw_message_delivery = aws_sns_topic_subscription.queue[k].raw_message_delivery
  } }
}

output "ses_identities" {
  value = aws_ses_email_identity.sender[*].email
}

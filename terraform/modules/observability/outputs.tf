output "log_group_names" {
  description = "app, metrics → log group name."
  value       = { for k, g in aws_cloudwatch_log_group.shop : k => g.name }
}

output "alert_topic_arn" {
  value = aws_sns_topic.alerts.arn
}

output "alert_queue_url" {
  value = aws_sqs_queue.alerts.id
}

output "alert_queue_arn" {
  value = aws_sqs_queue.alerts.arn
}

output "alarm_names" {
  value = [for a in local.all_alarms : a.alarm_name]
}

output "dashboard_names" {
  value = [for d in aws_cloudwatch_dashboard.shop : d.dashboard_name]
}

output "sampling_rule_names" {
  value = concat(aws_xray_sampling_rule.health[*].rule_name, [for r in aws_xray_sampling_rule.shop : r.rule_name])
}

output "xray_group_names" {
  value = [for g in aws_xray_group.group : g.group_name]
}

output "query_definition_names" {
  value = [for q in aws_cloudwatch_query_definition.shop : q.name]
}

output "saved_queries" {
  description = "Saved query name → the log groups it reads and its text (for the tests: each backend's queries on its own log group)."
  value = { for q in aws_cloudwatch_query_definition.shop : q.name => {
    log_groups = q.log_group_names
    query      = q.query_string
  } }
}

# What the tests assert on.
output "log_group_retention" {
  description = "Log group name → retention in days."
  value       = { for k, g in aws_cloudwatch_log_group.shop : g.name => g.retention_in_days }
}

output "alarms" {
  description = "Alarm name → ARN, namespace, metric, dimensions, statistic, threshold, metric-math queries, alarm and OK actions."
  value = { for a in local.all_alarms : a.alarm_name => {
    arn         = a.arn
    namespace   = a.namespace
    metric_name = a.metric_name
    # {} rather than null for none: the provider reads an alarm without dimensions back as {}, so
    # that a plan after apply shows no change of this output.
    dimensions         = a.dimensions == null ? {} : a.dimensions
    statistic          = a.statistic
    extended_statistic = a.extended_statistic
    threshold          = a.threshold
    comparison         = a.comparison_operator
    # Metric math: the expression and the metrics it reads (empty for a simple alarm).
    # (An anomaly-detection alarm returns its metric too: the expression is the one query that has one.)
    expression        = one([for q in a.metric_query : q.expression if q.return_data == true && q.expression != null && q.expression != ""])
    threshold_metric  = a.threshold_metric_id
    metrics           = { for q in a.metric_query : q.id => "${one(q.metric).namespace} ${one(q.metric).metric_name}" if length(q.metric) > 0 }
    metric_dimensions = { for q in a.metric_query : q.id => (one(q.metric).dimensions == null ? {} : one(q.metric).dimensions) if length(q.metric) > 0 }
    alarm_actions     = a.alarm_actions
    ok_actions        = a.ok_actions
  } }
}

output "metric_filters" {
  description = "Filter name → pattern and the metric it makes."
  value = { for f in concat(values(aws_cloudwatch_log_metric_filter.shop), values(aws_cloudwatch_log_metric_filter.telemetry_drops)) : f.name => {
    pattern   = f.pattern
    log_group = f.log_group_name
    metric    = f.metric_transformation[0].name
    namespace = f.metric_transformation[0].namespace
  } }
}

output "alert_subscription" {
  description = "The alert topic's queue subscription."
  value = {
    protocol  = aws_sns_topic_subscription.alerts_queue.protocol
    endpoint  = aws_sns_topic_subscription.alerts_queue.endpoint
    queue_arn = aws_sqs_queue.alerts.arn
  }
}

output "alert_email_subscriptions" {
  value = [for s in aws_sns_topic_subscription.alerts_email : s.endpoint]
}

output "dashboard_bodies" {
  description = "Dashboard name → body (decoded), as read back."
  value       = { for d in aws_cloudwatch_dashboard.shop : d.dashboard_name => jsondecode(d.dashboard_body) }
}

locals {
  all_alarms = concat(
    values(aws_cloudwatch_metric_alarm.log_count),
    values(aws_cloudwatch_metric_alarm.dlq),
    values(aws_cloudwatch_metric_alarm.error_rate),
    values(aws_cloudwatch_metric_alarm.latency),
    values(aws_cloudwatch_metric_alarm.route_latency),
    values(aws_cloudwatch_metric_alarm.latency_anomaly),
    values(aws_cloudwatch_metric_alarm.checkout_errors),
    values(aws_cloudwatch_metric_alarm.failed_logins),
    values(aws_cloudwatch_metric_alarm.payment_declines),
    values(aws_cloudwatch_metric_alarm.poor_lcp),
    values(aws_cloudwatch_metric_alarm.telemetry_dropped),
    aws_cloudwatch_metric_alarm.telemetry_drops,
  )
}

output "deployment_alarm_names" {
  description = "The alarms a deployment watches (ECS rolls back when one fires while it runs): the running backend's 5xx count and the backend's error rate."
  value = concat(
    [for k, a in aws_cloudwatch_metric_alarm.log_count : a.alarm_name if k == local.guard_5xx_key],
    [for a in values(aws_cloudwatch_metric_alarm.error_rate) : a.alarm_name],
  )
}

output "guard_5xx_alarm_arn" {
  description = "The running backend's 5xx count alarm (the access log's), the stop condition of the FIS task experiments; null when the alarms are excluded."
  value       = try(aws_cloudwatch_metric_alarm.log_count[local.guard_5xx_key].arn, null)
}

output "alert_queue_source_topics" {
  description = "The topics whose notifications the alert queue's policy admits."
  value       = concat([aws_sns_topic.alerts.arn], var.alert_source_topics)
}

output "alert_topic_publishers" {
  description = "The services besides CloudWatch that the alert topic's policy lets publish (from this account)."
  value       = var.alert_publishers
}

output "sampling_rules" {
  description = "X-Ray sampling rule name → what it matches and how much it keeps (for the tests)."
  value = { for r in concat(aws_xray_sampling_rule.health, values(aws_xray_sampling_rule.shop)) : r.rule_name => {
    service_name   = r.service_name
    url_path       = r.url_path
    fixed_rate     = r.fixed_rate
    reservoir_size = r.reservoir_size
    priority       = r.priority
  } }
}

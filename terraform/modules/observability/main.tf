# What the shop's telemetry lands in and what watches it: log groups with retention, metric filters,
# the alert topic (and its SQS subscription: where tests and tools read alerts), alarms, the RED
# dashboard, X-Ray sampling rules and groups, Logs Insights query definitions.

locals {
  on = { for part in ["xray_sampling_rules", "xray_groups", "query_definitions", "dashboards", "alarms", "metric_filters"] : part => !contains(var.exclude, part) }

  log_groups = {
    app     = var.log_group_base
    metrics = "${var.log_group_base}/metrics"
  }

  # Metric filters on the shop's JSON log lines (telemetry-api's to_json_line: level, message,
  # target, service, request_id, trace_id, then the event's fields). Literal matches only: what
  # every CloudWatch Logs, the emulator's too, evaluates the same way.
  metric_filters = {
    http-5xx = {
      pattern     = "{ $.message = \"request failed\" }"
      metric_name = "HttpServerErrors"
    }
    error-logs = {
      pattern     = "{ $.level = \"ERROR\" }"
      metric_name = "ErrorLogs"
    }
    security-events = {
      pattern     = "{ $.message = \"security event\" }"
      metric_name = "SecurityEvents"
    }
    # Every access-log line is one request (app/server/src/http/observe.rs writes exactly one per
    # request: completed, rejected or failed). Three filters add into one metric, HttpRequests:
    # one literal condition each, rather than an `||` pattern whose emulation is unmeasured. The
    # error rate is HttpServerErrors / HttpRequests (alarms.tf).
    http-requests-ok = {
      pattern     = "{ $.message = \"request completed\" }"
      metric_name = "HttpRequests"
    }
    http-requests-4xx = {
      pattern     = "{ $.message = \"request rejected\" }"
      metric_name = "HttpRequests"
    }
    http-requests-5xx = {
      pattern     = "{ $.message = \"request failed\" }"
      metric_name = "HttpRequests"
    }
    http-4xx = {
      pattern     = "{ $.message = \"request rejected\" }"
      metric_name = "HttpClientErrors"
    }
    # A checkout that took a product to or below its low-stock threshold logs `low stock` once per
    # product (app/core/src/orders/mod.rs); the event inventory.low_stock goes to the admins too.
    low-stock = {
      pattern     = "{ $.message = \"low stock\" }"
      metric_name = "LowStock"
    }
    # The browser's errors, relayed by the RUM intake under the browser app's own service name
    # (app/server/src/http/rum/logs.rs), at ERROR: its custom events are shop-web lines too, at
    # INFO (docs/rum.md).
    js-errors = {
      pattern     = "{ $.service = \"shop-web\" && $.level = \"ERROR\" }"
      metric_name = "JsErrors"
    }
  }
}

resource "aws_cloudwatch_log_group" "shop" {
  for_each          = local.log_groups
  name              = each.value
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_cloudwatch_log_metric_filter" "shop" {
  for_each       = local.on.metric_filters ? local.metric_filters : {}
  name           = "${var.name_prefix}-${each.key}"
  log_group_name = aws_cloudwatch_log_group.shop["app"].name
  pattern        = each.value.pattern
  metric_transformation {
    name          = each.value.metric_name
    namespace     = var.log_metric_namespace
    value         = "1"
    default_value = "0"
    unit          = "Count"
  }
}

# ---------------------------------------------------------------- alerts

resource "aws_sns_topic" "alerts" {
  name = "${var.name_prefix}-alerts"
  tags = var.tags
}

# Every alarm notification also lands in a queue: what the alert-verification tests read, and what a
# tool can poll.
resource "aws_sqs_queue" "alerts" {
  name                      = "${var.name_prefix}-alerts"
  message_retention_seconds = 345600
  tags                      = var.tags
}

data "aws_iam_policy_document" "alerts_queue" {
  statement {
    sid       = "alerts-topic"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.alerts.arn]
    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = concat([aws_sns_topic.alerts.arn], var.alert_source_topics)
    }
  }
}

resource "aws_sqs_queue_policy" "alerts" {
  queue_url = aws_sqs_queue.alerts.id
  policy    = data.aws_iam_policy_document.alerts_queue.json
}

data "aws_caller_identity" "current" {
  count = length(var.alert_publishers) > 0 ? 1 : 0
}

data "aws_iam_policy_document" "alerts_topic" {
  statement {
    sid       = "cloudwatch-alarms"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
  }
  # Other services that report to the same topic (DevOps Guru's insights, EventBridge rules on
  # AWS Config's compliance changes), each limited to this account.
  dynamic "statement" {
    for_each = length(var.alert_publishers) > 0 ? [1] : []
    content {
      sid       = "other-publishers"
      actions   = ["sns:Publish"]
      resources = [aws_sns_topic.alerts.arn]
      principals {
        type        = "Service"
        identifiers = var.alert_publishers
      }
      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [one(data.aws_caller_identity.current[*].account_id)]
      }
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts_topic.json
}

resource "aws_sns_topic_subscription" "alerts_queue" {
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.alerts.arn
}

resource "aws_sns_topic_subscription" "alerts_email" {
  count     = var.alert_email == "" ? 0 : 1
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = var.alert_email
}

# ---------------------------------------------------------------- alarms

# Counts from the shop's log lines (the metric filters above): dimensionless counts that the
# emulator evaluates like CloudWatch does. (Rates and the backends' own metrics: alarms.tf.)
locals {
  log_count_alarms = {
    http-5xx = {
      filter      = "http-5xx"
      period      = 60
      threshold   = var.http_5xx_threshold
      description = "At least ${var.http_5xx_threshold} requests answered 5xx in one minute (access log, ${var.log_group_base})."
    }
    http-4xx = {
      filter      = "http-4xx"
      period      = 300
      threshold   = var.http_4xx_threshold
      description = "At least ${var.http_4xx_threshold} requests rejected (4xx) in five minutes (access log): clients failing, or someone probing."
    }
    low-stock = {
      filter      = "low-stock"
      period      = 300
      threshold   = var.low_stock_threshold
      description = "A checkout left a product at or below its low-stock threshold (`low stock` log lines)."
    }
    # Client-side errors (F-ALERT-01): the browser's JS errors and unhandled rejections.
    js-errors = {
      filter      = "js-errors"
      period      = 300
      threshold   = var.js_errors_threshold
      description = "At least ${var.js_errors_threshold} JS errors or unhandled rejections in the shop's pages in five minutes (shop-web log lines at ERROR)."
    }
    security-events = {
      filter      = "security-events"
      period      = 300
      threshold   = var.security_events_threshold
      description = "At least ${var.security_events_threshold} security events (failed logins, second-factor failures, …) in five minutes."
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "log_count" {
  for_each            = local.on.alarms && local.on.metric_filters ? local.log_count_alarms : {}
  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = var.log_metric_namespace
  metric_name         = local.metric_filters[each.value.filter].metric_name
  statistic           = "Sum"
  period              = each.value.period
  evaluation_periods  = 1
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]
  tags                = var.tags
  depends_on          = [aws_cloudwatch_log_metric_filter.shop]
}

# These two were separate resources before; state made then moves without a destroy.
moved {
  from = aws_cloudwatch_metric_alarm.http_5xx[0]
  to   = aws_cloudwatch_metric_alarm.log_count["http-5xx"]
}

moved {
  from = aws_cloudwatch_metric_alarm.security_events[0]
  to   = aws_cloudwatch_metric_alarm.log_count["security-events"]
}

# A message in a dead-letter queue is a notification that failed five times.
resource "aws_cloudwatch_metric_alarm" "dlq" {
  for_each            = local.on.alarms ? var.dlq_names : {}
  alarm_name          = "${var.name_prefix}-dlq-${each.key}"
  alarm_description   = "Messages in the dead-letter queue ${each.value}."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]
  tags                = var.tags
}

# Dashboards: dashboards.tf. Alarms on the backends' own metrics: alarms.tf.

data "aws_region" "current" {}

# ---------------------------------------------------------------- X-Ray

# The shop's health checks are never sampled; the rest at var.sampling_rate after one per second.
# The awssdk backend reads these with GetSamplingRules (SHOP_XRAY_SAMPLING_SOURCE=api).
resource "aws_xray_sampling_rule" "health" {
  count          = local.on.xray_sampling_rules ? 1 : 0
  rule_name      = "${var.name_prefix}-health"
  priority       = 100
  version        = 1
  reservoir_size = 0
  fixed_rate     = 0
  url_path       = "/api/health"
  host           = "*"
  http_method    = "GET"
  service_type   = "*"
  service_name   = "*"
  resource_arn   = "*"
  tags           = var.tags
}

resource "aws_xray_sampling_rule" "shop" {
  for_each       = local.on.xray_sampling_rules ? toset(var.service_names) : toset([])
  rule_name      = substr("${var.name_prefix}-${trimprefix(each.key, "shop-")}", 0, 32)
  priority       = 1000
  version        = 1
  reservoir_size = 1
  fixed_rate     = var.sampling_rate
  url_path       = "*"
  host           = "*"
  http_method    = "*"
  service_type   = "*"
  service_name   = each.key
  resource_arn   = "*"
  tags           = var.tags
}

resource "aws_xray_group" "group" {
  for_each = local.on.xray_groups ? {
    errors = "fault = true OR error = true"
    slow   = "responsetime > 1"
  } : {}
  group_name        = "${var.name_prefix}-${each.key}"
  filter_expression = each.value
  insights_configuration {
    insights_enabled      = each.key == "errors"
    notifications_enabled = false
  }
  tags = var.tags
}

# ---------------------------------------------------------------- Logs Insights

# The saved queries, one per file in queries/ (the name is the file's): the same text the awssdk
# tests run through the project's evaluator over the events LocalStack stored, since LocalStack's
# Logs Insights runs only fields, sort and limit (app/server/tests/awssdk/insights.rs). They query
# the awssdk backend's JSON lines; the otel build's lines, written by the collector, name their
# fields differently (body, attributes.*; docs/logging.md).
resource "aws_cloudwatch_query_definition" "shop" {
  for_each = local.on.query_definitions ? {
    for f in fileset("${path.module}/queries", "*.insights") :
    trimsuffix(f, ".insights") => trimspace(file("${path.module}/queries/${f}"))
  } : {}
  name            = "${var.name_prefix}/${each.key}"
  log_group_names = [aws_cloudwatch_log_group.shop["app"].name]
  query_string    = each.value
}

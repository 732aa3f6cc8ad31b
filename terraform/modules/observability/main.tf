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

  # The same counts from the otel backend's log records. The collector's awscloudwatchlogs
  # exporter (raw_log: false, collector/aws.yaml) writes each record as one JSON document:
  # `body` (the shop's message, a JSON string), `severity_text` (TRACE…ERROR, telemetry-otel's
  # logs.rs) and `severity_number`, `trace_id`/`span_id` (hex), `attributes` (the event's fields,
  # nested, under their dotted names), `scope` ({name: the record's target}) and `resource`
  # ({"service.name": …}); empty parts are left out (opentelemetry-collector-contrib,
  # exporter/awscloudwatchlogsexporter/exporter.go, cwLogBody; docs/dashboards.md has the
  # commit). So `message` becomes `$.body` and `level` `$.severity_text`; the metric names stay,
  # the namespace is the otel backend's own (var.otel_log_metric_namespace).
  # JS errors: the browser's records are relayed under the resource service.name = shop-web, but
  # the filter pattern syntax documents no way to select a key with dots in it
  # ($.resource.service.name reads resource → service → name). Their scope is the browser
  # logger's name, shop-web (app/web/src/telemetry/logs.ts; app/server/src/http/rum/mod.rs,
  # scope_target, keeps it as the record's target, which OTLP carries as the scope name); no
  # server-side target has that name (they are Rust module paths).
  otel_metric_filters = {
    http-5xx          = { pattern = "{ $.body = \"request failed\" }", metric_name = "HttpServerErrors" }
    error-logs        = { pattern = "{ $.severity_text = \"ERROR\" }", metric_name = "ErrorLogs" }
    security-events   = { pattern = "{ $.body = \"security event\" }", metric_name = "SecurityEvents" }
    http-requests-ok  = { pattern = "{ $.body = \"request completed\" }", metric_name = "HttpRequests" }
    http-requests-4xx = { pattern = "{ $.body = \"request rejected\" }", metric_name = "HttpRequests" }
    http-requests-5xx = { pattern = "{ $.body = \"request failed\" }", metric_name = "HttpRequests" }
    http-4xx          = { pattern = "{ $.body = \"request rejected\" }", metric_name = "HttpClientErrors" }
    low-stock         = { pattern = "{ $.body = \"low stock\" }", metric_name = "LowStock" }
    js-errors         = { pattern = "{ $.scope.name = \"shop-web\" && $.severity_text = \"ERROR\" }", metric_name = "JsErrors" }
  }

  # The otel backend's log-derived counts exist where its log records reach CloudWatch Logs: a
  # stack that runs it and names the collector's log group (envs/aws). The lab's collector has no
  # awscloudwatchlogs exporter, so envs/local names none.
  otel_logs = contains(var.telemetry_backends, "otel") && var.otel_log_group != ""

  # The 5xx count that guards deployments and FIS experiments: the running backend's. In a stack
  # that runs only otel, the awssdk log group gets no lines and its alarm could never fire.
  guard_5xx_key = local.otel_logs && !contains(var.telemetry_backends, "awssdk") ? "http-5xx-otel" : "http-5xx"

  # Per backend: the log group its lines are in, the namespace of the counts made from them.
  log_sources = merge(
    { awssdk = { group = aws_cloudwatch_log_group.shop["app"].name, namespace = var.log_metric_namespace, filters = local.metric_filters } },
    local.otel_logs ? { otel = { group = var.otel_log_group, namespace = var.otel_log_metric_namespace, filters = local.otel_metric_filters } } : {},
  )

  # Filter key → filter: the awssdk backend's under their own names (`http-5xx`, …), the otel
  # backend's as `otel-http-5xx`, ….
  all_metric_filters = merge([
    for b, src in local.log_sources : {
      for k, f in src.filters : (b == "awssdk" ? k : "${b}-${k}") => merge(f, { group = src.group, namespace = src.namespace })
    }
  ]...)
}

resource "aws_cloudwatch_log_group" "shop" {
  for_each          = local.log_groups
  name              = each.value
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_cloudwatch_log_metric_filter" "shop" {
  for_each       = local.on.metric_filters ? local.all_metric_filters : {}
  name           = "${var.name_prefix}-${each.key}"
  log_group_name = each.value.group
  pattern        = each.value.pattern
  metric_transformation {
    name          = each.value.metric_name
    namespace     = each.value.namespace
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

# The same alarms per backend whose lines are counted: the awssdk backend's keep their names
# (`<p>-http-5xx`, …: the deployments and FIS templates name them), the otel backend's are
# `<p>-http-5xx-otel`, …, as the module's other per-backend alarms (`<p>-error-rate-otel`).
locals {
  log_count_alarms_by_backend = merge([
    for b, src in local.log_sources : {
      for k, a in local.log_count_alarms : (b == "awssdk" ? k : "${k}-${b}") => merge(a, {
        backend     = b
        namespace   = src.namespace
        metric_name = src.filters[a.filter].metric_name
        description = b == "awssdk" ? a.description : "${replace(a.description, " (access log, ${var.log_group_base})", " (access log)")} The ${b} backend's lines, in the collector's log group ${src.group}."
      })
    }
  ]...)
}

resource "aws_cloudwatch_metric_alarm" "log_count" {
  for_each            = local.on.alarms && local.on.metric_filters ? local.log_count_alarms_by_backend : {}
  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric_name
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
# the awssdk backend's JSON lines. The otel backend's lines, written by the collector, name their
# fields differently (body, severity_text, attributes.*, resource.*: the filters above), so its
# queries are files of their own in queries/otel/, saved as `<p>/otel/<name>` (a folder in the
# console) on the collector's log group. Separate definitions rather than one query over both
# field sets: a stack runs one backend, and the awssdk texts stay within the subset the
# evaluator checks (no `or`, no coalesce()).
locals {
  query_definitions = merge(
    {
      for f in fileset("${path.module}/queries", "*.insights") :
      trimsuffix(f, ".insights") => { group = aws_cloudwatch_log_group.shop["app"].name, text = trimspace(file("${path.module}/queries/${f}")) }
    },
    local.otel_logs ? {
      for f in fileset("${path.module}/queries/otel", "*.insights") :
      "otel/${trimsuffix(f, ".insights")}" => { group = var.otel_log_group, text = trimspace(file("${path.module}/queries/otel/${f}")) }
    } : {},
  )
}

resource "aws_cloudwatch_query_definition" "shop" {
  for_each        = local.on.query_definitions ? local.query_definitions : {}
  name            = "${var.name_prefix}/${each.key}"
  log_group_names = [each.value.group]
  query_string    = each.value.text
}

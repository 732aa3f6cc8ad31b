# Alarms beyond the log counts of main.tf: the error rate (metric math), the checkout's latency,
# failed logins, dropped telemetry. Each notifies the alert topic on ALARM and on OK.
#
# What the emulator evaluates (docs/dashboards.md): LocalStack stores every alarm here but does not
# evaluate metric math, and computes no percentiles. So the lab keeps the log-count alarms of
# main.tf (`<p>-http-5xx`, `<p>-low-stock`, …), which it does evaluate, next to the rate alarms,
# and envs/local sets latency_statistic = "Maximum".

locals {
  alarm_actions = [aws_sns_topic.alerts.arn]
  percentile    = can(regex("^p", var.latency_statistic))
}

# ---------------------------------------------------------------- error rate: 5xx / requests

# awssdk: the access log's counts (main.tf's filters). The backend's own http.server.* data points
# carry route, method and status as dimensions, and an alarm's metric math cannot SEARCH across
# dimension sets; the access log is the awssdk backend's log group, so this is its rate.
# otel: the collector's per-service roll-up ({service.name}, collector/aws.yaml), summed over the
# services.
resource "aws_cloudwatch_metric_alarm" "error_rate" {
  for_each            = local.on.alarms && local.on.metric_filters ? var.telemetry_backends : toset([])
  alarm_name          = "${var.name_prefix}-error-rate-${each.key}"
  alarm_description   = "More than ${var.error_rate_threshold_percent} % of requests answered 5xx in a minute (${each.key} backend: ${each.key == "awssdk" ? "access-log counts" : "http.server.errors / http.server.requests by service"}). Metric math: not evaluated by LocalStack."
  evaluation_periods  = 1
  threshold           = var.error_rate_threshold_percent
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
  depends_on          = [aws_cloudwatch_log_metric_filter.shop]

  metric_query {
    id          = "rate"
    label       = "5xx (% of requests)"
    return_data = true
    expression = each.key == "awssdk" ? "100 * errors / requests" : format(
      "100 * SUM([%s]) / SUM([%s])",
      join(", ", [for i, s in var.service_names : "FILL(e${i}, 0)"]),
      join(", ", [for i, s in var.service_names : "r${i}"]),
    )
  }

  dynamic "metric_query" {
    for_each = each.key == "awssdk" ? {
      errors   = { namespace = var.log_metric_namespace, metric = local.metric_filters["http-5xx"].metric_name, dimensions = null }
      requests = { namespace = var.log_metric_namespace, metric = local.metric_filters["http-requests-ok"].metric_name, dimensions = null }
      } : merge(
      { for i, s in var.service_names : "e${i}" => { namespace = var.otel_metric_namespace, metric = "http.server.errors", dimensions = { "service.name" = s } } },
      { for i, s in var.service_names : "r${i}" => { namespace = var.otel_metric_namespace, metric = "http.server.requests", dimensions = { "service.name" = s } } },
    )
    content {
      id = metric_query.key
      metric {
        namespace   = metric_query.value.namespace
        metric_name = metric_query.value.metric
        dimensions  = metric_query.value.dimensions
        stat        = "Sum"
        period      = 60
      }
    }
  }
}

# ---------------------------------------------------------------- latency of the checkout

# One route, the one that takes money: POST /api/orders answered 201. A simple alarm needs the
# metric's exact dimension set, and the checkout is the request a slow shop loses customers on.
# awssdk: its dimensions are service.name, method, route and status; the statistic is
# var.latency_statistic (p99 in AWS: envs/aws sends Values/Counts, SHOP_CW_HISTOGRAMS=values;
# Maximum in the lab, where no percentile is computed).
# otel: {service.name, http.route}; Average, because awsemf sends explicit-bucket histograms as
# statistic sets (count, sum, min, max), from which CloudWatch computes no percentile.
locals {
  latency_alarms = {
    awssdk = {
      namespace  = var.metric_namespace
      statistic  = var.latency_statistic
      dimensions = { "service.name" = var.checkout_service, "http.request.method" = "POST", "http.route" = "/api/orders", "http.response.status_code" = "201" }
    }
    otel = {
      namespace  = var.otel_metric_namespace
      statistic  = "Average"
      dimensions = { "service.name" = var.checkout_service, "http.route" = "/api/orders" }
    }
  }
}

# A statistic's field: a percentile is an extended statistic, the rest a statistic.
locals {
  latency_stat = { for b, a in local.latency_alarms : b => {
    statistic = can(regex("^p", a.statistic)) ? null : a.statistic
    extended  = can(regex("^p", a.statistic)) ? a.statistic : null
  } }
}

resource "aws_cloudwatch_metric_alarm" "latency" {
  for_each            = local.on.alarms ? var.telemetry_backends : toset([])
  alarm_name          = "${var.name_prefix}-latency-${each.key}"
  alarm_description   = "The checkout (POST /api/orders) took more than ${var.latency_threshold_seconds} s (${local.latency_alarms[each.key].statistic}) for ${var.latency_evaluation_periods} minutes (${each.key} backend)."
  namespace           = local.latency_alarms[each.key].namespace
  metric_name         = "http.server.request.duration"
  dimensions          = local.latency_alarms[each.key].dimensions
  statistic           = local.latency_stat[each.key].statistic
  extended_statistic  = local.latency_stat[each.key].extended
  period              = 60
  evaluation_periods  = var.latency_evaluation_periods
  threshold           = var.latency_threshold_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

# ---------------------------------------------------------------- latency of the other routes

# O-ALERT-05: the checkout is not the only request a slow shop loses people on. The routes of
# var.latency_routes (browsing, the product page, search, adding to the cart by default) get an
# alarm each per backend, on the same metric and statistics as the checkout's, with a threshold of
# their own (a page is slow long before a payment is). `on` names the process that serves the
# route: `catalog` (var.catalog_service) or `checkout` (var.checkout_service: the cart is the
# orders service's in the split topology).
locals {
  route_latency_alarms = {
    for pair in setproduct(keys(var.latency_routes), tolist(var.telemetry_backends)) : "${pair[0]}-${pair[1]}" => {
      route   = var.latency_routes[pair[0]]
      backend = pair[1]
      service = var.latency_routes[pair[0]].on == "checkout" ? var.checkout_service : var.catalog_service
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "route_latency" {
  for_each          = local.on.alarms ? local.route_latency_alarms : {}
  alarm_name        = "${var.name_prefix}-latency-${each.key}"
  alarm_description = "${each.value.route.method} ${each.value.route.route} took more than ${each.value.route.threshold_seconds} s (${each.value.backend == "awssdk" ? var.latency_statistic : "Average"}) for ${var.latency_evaluation_periods} minutes (${each.value.backend} backend)."
  namespace         = local.latency_alarms[each.value.backend].namespace
  metric_name       = "http.server.request.duration"
  dimensions = each.value.backend == "awssdk" ? {
    "service.name" = each.value.service, "http.request.method" = each.value.route.method, "http.route" = each.value.route.route, "http.response.status_code" = each.value.route.status
  } : { "service.name" = each.value.service, "http.route" = each.value.route.route }
  statistic           = local.latency_stat[each.value.backend].statistic
  extended_statistic  = local.latency_stat[each.value.backend].extended
  period              = 60
  evaluation_periods  = var.latency_evaluation_periods
  threshold           = each.value.route.threshold_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

# ---------------------------------------------------------------- the checkout slower than usual

# A fixed threshold says "too slow"; this one says "slower than it usually is at this hour":
# CloudWatch's anomaly detection learns the checkout's duration (its weekly and daily pattern) and
# the alarm fires when the statistic leaves the band above it, var.latency_anomaly_band standard
# deviations wide, for latency_evaluation_periods minutes. The model needs about two weeks of data
# in AWS before the band is any use. Metric math: the lab stores it, LocalStack never evaluates it
# (docs/dashboards.md#what-the-emulator-evaluates).
resource "aws_cloudwatch_metric_alarm" "latency_anomaly" {
  for_each            = local.on.alarms && var.latency_anomaly_detection ? var.telemetry_backends : toset([])
  alarm_name          = "${var.name_prefix}-latency-anomaly-${each.key}"
  alarm_description   = "The checkout (POST /api/orders) was slower than its anomaly-detection band (${var.latency_anomaly_band} standard deviations, ${local.latency_alarms[each.key].statistic}) for ${var.latency_evaluation_periods} minutes (${each.key} backend)."
  evaluation_periods  = var.latency_evaluation_periods
  comparison_operator = "GreaterThanUpperThreshold"
  threshold_metric_id = "band"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags

  metric_query {
    id          = "band"
    label       = "expected duration (s)"
    expression  = "ANOMALY_DETECTION_BAND(duration, ${var.latency_anomaly_band})"
    return_data = true
  }

  metric_query {
    id          = "duration"
    label       = "checkout duration (s)"
    return_data = true
    metric {
      namespace   = local.latency_alarms[each.key].namespace
      metric_name = "http.server.request.duration"
      dimensions  = local.latency_alarms[each.key].dimensions
      stat        = local.latency_alarms[each.key].statistic
      period      = 60
    }
  }
}

# ---------------------------------------------------------------- checkout errors: a count

# The checkouts answered 500 in a minute, from the backend's own request counter (not the access
# log): a simple alarm, which LocalStack evaluates, so the lab can prove that the checkout-failure
# fault flag fires it (terraform/envs/local/tests/alerts, docs/faults.md). The log-derived
# `<p>-http-5xx` cannot show that locally: LocalStack's metric filters count every log line
# (docs/dashboards.md). The awssdk backend puts http.server.requests with route, method and status
# as one dimension set, so its alarm names the checkout route; the collector rolls it up by
# service and status (collector/aws.yaml), so the otel alarm counts every route's 500s.
locals {
  checkout_errors_dimensions = {
    awssdk = { "service.name" = var.checkout_service, "http.request.method" = "POST", "http.route" = "/api/orders", "http.response.status_code" = "500" }
    otel   = { "service.name" = var.checkout_service, "http.response.status_code" = "500" }
  }
}

resource "aws_cloudwatch_metric_alarm" "checkout_errors" {
  for_each            = local.on.alarms ? var.telemetry_backends : toset([])
  alarm_name          = "${var.name_prefix}-checkout-errors-${each.key}"
  alarm_description   = "At least ${var.checkout_errors_threshold} ${each.key == "awssdk" ? "checkouts (POST /api/orders)" : "requests"} answered 500 in a minute (http.server.requests, ${each.key} backend)."
  namespace           = local.backend_namespace[each.key]
  metric_name         = "http.server.requests"
  dimensions          = local.checkout_errors_dimensions[each.key]
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = var.checkout_errors_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

# ---------------------------------------------------------------- failed logins

# shop.logins by shop.login.outcome, per backend: the awssdk backend puts it with its attributes,
# the otel collector's awsemf makes it a metric with the same dimensions (its metric_declarations
# in collector/aws.yaml). Failed logins also count in the security-events alarm (main.tf).
resource "aws_cloudwatch_metric_alarm" "failed_logins" {
  for_each            = local.on.alarms ? var.telemetry_backends : toset([])
  alarm_name          = "${var.name_prefix}-failed-logins-${each.key}"
  alarm_description   = "At least ${var.failed_logins_threshold} customer logins failed in five minutes (shop.logins, outcome failed): password guessing?"
  namespace           = local.backend_namespace[each.key]
  metric_name         = "shop.logins"
  dimensions          = { "service.name" = var.accounts_service, "shop.login.outcome" = "failed" }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.failed_logins_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

# Payments declined (O-ALERT-04's payment-decline flag): one alarm per backend and payment method
# that can be declined (cash on delivery cannot), since a provider fails per method, and a simple
# alarm reads one series (`shop.payments` by method and outcome in both backends: the collector
# declares the awssdk backend's dimensions, collector/aws.yaml).
resource "aws_cloudwatch_metric_alarm" "payment_declines" {
  for_each = local.on.alarms ? {
    for pair in setproduct(var.telemetry_backends, ["card", "wallet"]) : "${pair[1]}-${pair[0]}" => { backend = pair[0], method = pair[1] }
  } : {}
  alarm_name          = "${var.name_prefix}-payment-declines-${each.key}"
  alarm_description   = "At least ${var.payment_declines_threshold} ${each.value.method} payments declined in a minute (shop.payments, outcome declined, ${each.value.backend} backend): the provider refusing, or a fraud wave."
  namespace           = local.backend_namespace[each.value.backend]
  metric_name         = "shop.payments"
  dimensions          = { "service.name" = var.checkout_service, "shop.payment.method" = each.value.method, "shop.payment.outcome" = "declined" }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = var.payment_declines_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

# ---------------------------------------------------------------- the shoppers' experience

# A UX outlier (F-ALERT-02): shoppers whose landing on the home page had a poor Largest Contentful
# Paint (over 4 s, web-vitals' rating), counted. A simple alarm on one series: the browser metrics'
# dimensions are closed lists (app/server/src/http/rum/metrics.rs), so the series is known; an
# alarm cannot sum a SEARCH over every route. Both backends record it under the same dimensions
# (the collector declares them in collector/aws.yaml).
resource "aws_cloudwatch_metric_alarm" "poor_lcp" {
  for_each            = local.on.alarms ? var.telemetry_backends : toset([])
  alarm_name          = "${var.name_prefix}-poor-lcp-${each.key}"
  alarm_description   = "At least ${var.poor_lcp_threshold} page loads of the home page had a poor LCP (over 4 s) in five minutes (browser.web_vital.lcp, ${each.key} backend)."
  namespace           = local.backend_namespace[each.key]
  metric_name         = "browser.web_vital.lcp"
  dimensions          = { "service.name" = var.rum_service, "page.route" = "/", "web_vital.rating" = "poor" }
  statistic           = "SampleCount"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.poor_lcp_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

# ---------------------------------------------------------------- dropped telemetry

# Two views of lost telemetry.
#
# shop.telemetry.dropped: each backend sends the drops it counted (every signal) as a metric of its
# own, each drop once it can be delivered (telemetry-api/src/dropped.rs): the metric crosses the
# pipeline whose failures it counts, so an outage's drops arrive with the first export after it,
# and the alarm fires then. A simple alarm per backend and service (LocalStack evaluates it:
# terraform/envs/local/tests/alerts proves it for awssdk).
locals {
  telemetry_dropped_alarms = {
    for pair in setproduct(tolist(var.telemetry_backends), tolist(var.telemetry_services)) :
    "${pair[0]}/${pair[1]}" => { backend = pair[0], service = pair[1] }
  }
}

resource "aws_cloudwatch_metric_alarm" "telemetry_dropped" {
  for_each            = local.on.alarms ? local.telemetry_dropped_alarms : {}
  alarm_name          = "${var.name_prefix}-telemetry-dropped-${each.value.backend}${each.value.service == "shop" ? "" : "-${each.value.service}"}"
  alarm_description   = "${each.value.service} (${each.value.backend} backend) dropped at least ${var.telemetry_dropped_threshold} spans, log records or metric measurements (shop.telemetry.dropped, reported once the sink takes it again)."
  namespace           = local.backend_namespace[each.value.backend]
  metric_name         = "shop.telemetry.dropped"
  dimensions          = { "service.name" = each.value.service }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = var.telemetry_dropped_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

# The drop reports on stderr, while the outage lasts: telemetry-awssdk "… failed, N items dropped …"
# (telemetry-awssdk/src/export/retry.rs), telemetry-otel "relayed records are dropped"
# (telemetry-otel/src/export/relay.rs), and the collector's exporters "Exporting failed. Dropping
# data." (the collector's own losses, which no shop metric counts). In AWS stderr is the
# containers' log groups (var.drop_report_log_groups); the lab's stderr is files.
resource "aws_cloudwatch_log_metric_filter" "telemetry_drops" {
  for_each       = local.on.metric_filters ? var.drop_report_log_groups : {}
  name           = "${var.name_prefix}-telemetry-drops-${each.key}"
  log_group_name = each.value
  pattern        = "?\"items dropped\" ?\"records are dropped\" ?\"Dropping data\""
  metric_transformation {
    name          = "TelemetryDropReports"
    namespace     = var.log_metric_namespace
    value         = "1"
    default_value = "0"
    unit          = "Count"
  }
}

resource "aws_cloudwatch_metric_alarm" "telemetry_drops" {
  count               = local.on.alarms && local.on.metric_filters && length(var.drop_report_log_groups) > 0 ? 1 : 0
  alarm_name          = "${var.name_prefix}-telemetry-drops"
  alarm_description   = "A backend or the collector reported dropped telemetry (spans, logs or metrics) at least ${var.telemetry_drops_threshold} times in five minutes."
  namespace           = var.log_metric_namespace
  metric_name         = "TelemetryDropReports"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.telemetry_drops_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
  depends_on          = [aws_cloudwatch_log_metric_filter.telemetry_drops]
}

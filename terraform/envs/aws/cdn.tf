# Monitoring the UI's CloudFront distribution and its S3 origin (F-INFRA-01, F-INFRA-02).
#
# CloudFront is global: its metrics (namespace AWS/CloudFront, dimensions DistributionId and
# Region = Global) exist in us-east-1 only, so its alarms and their topic live there (the provider
# alias in versions.tf). The topic forwards to the same alert queue (and e-mail) as the rest of the stack.
# The dashboard lives with the others; its widgets say which region they read.
#
# - CloudFront's default metrics: requests, bytes, 4xx and 5xx error rates.
# - Its additional metrics (a monitoring subscription, billed as custom metrics; on by default,
#   `enable_cdn_additional_metrics`): cache hit rate, origin latency, the error rate per status.
# - Its access logs (standard logging v2) into a log group in us-east-1, for Logs Insights: which
#   edge, which result (Hit, Miss, Error), how long.
# - The S3 origin's request metrics (what CloudFront's misses cost the bucket), in the stack's region.

locals {
  cdn_dimensions = { DistributionId = aws_cloudfront_distribution.ui.id, Region = "Global" }
  cdn_alarms = {
    # Viewers getting 5xx: the origin (the ALB, the shop) or CloudFront failing.
    cdn-5xx-rate = {
      metric      = "5xxErrorRate"
      statistic   = "Average"
      comparison  = "GreaterThanThreshold"
      threshold   = var.cdn_5xx_rate_percent
      description = "More than ${var.cdn_5xx_rate_percent} % of the UI's and API's requests through CloudFront answered 5xx, over 5 minutes."
      needs       = "default"
    }
    # The origin slow to answer what the cache does not hold (mostly /api/*): p90, in ms.
    cdn-origin-latency = {
      metric      = "OriginLatency"
      statistic   = null
      extended    = "p90"
      comparison  = "GreaterThanThreshold"
      threshold   = var.cdn_origin_latency_ms
      description = "CloudFront's p90 origin latency above ${var.cdn_origin_latency_ms} ms over 5 minutes (additional metric)."
      needs       = "additional"
    }
  }
  cdn_alarms_on = {
    for k, a in local.cdn_alarms : k => a if a.needs == "default" || var.enable_cdn_additional_metrics
  }
}

resource "aws_cloudfront_monitoring_subscription" "ui" {
  count           = var.enable_cdn_additional_metrics ? 1 : 0
  distribution_id = aws_cloudfront_distribution.ui.id
  monitoring_subscription {
    realtime_metrics_subscription_config {
      realtime_metrics_subscription_status = "Enabled"
    }
  }
}

resource "aws_sns_topic" "cdn_alerts" {
  provider = aws.us_east_1
  name     = "${var.name_prefix}-${var.environment}-cdn-alerts"
}

resource "aws_sns_topic_policy" "cdn_alerts" {
  provider = aws.us_east_1
  arn      = aws_sns_topic.cdn_alerts.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "CloudWatchAlarms"
      Effect    = "Allow"
      Principal = { Service = "cloudwatch.amazonaws.com" }
      Action    = "sns:Publish"
      Resource  = aws_sns_topic.cdn_alerts.arn
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })
}

# Into the stack's alert queue (cross-region SNS → SQS; the queue's policy admits this topic).
resource "aws_sns_topic_subscription" "cdn_alerts_queue" {
  provider  = aws.us_east_1
  topic_arn = aws_sns_topic.cdn_alerts.arn
  protocol  = "sqs"
  endpoint  = module.observability.alert_queue_arn
}

resource "aws_sns_topic_subscription" "cdn_alerts_email" {
  count     = var.alert_email == "" ? 0 : 1
  provider  = aws.us_east_1
  topic_arn = aws_sns_topic.cdn_alerts.arn
  protocol  = "email"
  endpoint  = var.alert_email
}

resource "aws_cloudwatch_metric_alarm" "cdn" {
  for_each            = local.cdn_alarms_on
  provider            = aws.us_east_1
  alarm_name          = "${var.name_prefix}-${var.environment}-${each.key}"
  alarm_description   = each.value.description
  namespace           = "AWS/CloudFront"
  metric_name         = each.value.metric
  dimensions          = local.cdn_dimensions
  statistic           = each.value.statistic
  extended_statistic  = try(each.value.extended, null)
  period              = 300
  evaluation_periods  = 1
  threshold           = each.value.threshold
  comparison_operator = each.value.comparison
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.cdn_alerts.arn]
  ok_actions          = [aws_sns_topic.cdn_alerts.arn]
  depends_on          = [aws_cloudfront_monitoring_subscription.ui]
}

# ---- access logs: CloudFront standard logging (v2) to CloudWatch Logs, in us-east-1.

resource "aws_cloudwatch_log_group" "cdn" {
  provider          = aws.us_east_1
  name              = "/cloudfront/${var.name_prefix}-${var.environment}/ui"
  retention_in_days = var.log_retention_days
}

resource "aws_cloudwatch_log_delivery_source" "cdn" {
  provider     = aws.us_east_1
  name         = "${var.name_prefix}-${var.environment}-cdn"
  log_type     = "ACCESS_LOGS"
  resource_arn = aws_cloudfront_distribution.ui.arn
}

resource "aws_cloudwatch_log_delivery_destination" "cdn" {
  provider      = aws.us_east_1
  name          = "${var.name_prefix}-${var.environment}-cdn"
  output_format = "json"
  delivery_destination_configuration {
    destination_resource_arn = aws_cloudwatch_log_group.cdn.arn
  }
}

resource "aws_cloudwatch_log_delivery" "cdn" {
  provider                 = aws.us_east_1
  delivery_source_name     = aws_cloudwatch_log_delivery_source.cdn.name
  delivery_destination_arn = aws_cloudwatch_log_delivery_destination.cdn.arn
  # The fields worth a question: when, where, what, how it went, how long, from which cache.
  record_fields = [
    "timestamp", "x-edge-location", "cs-method", "cs-uri-stem", "sc-status", "sc-bytes",
    "time-taken", "time-to-first-byte", "x-edge-result-type", "x-edge-response-result-type",
    "x-edge-detailed-result-type", "cs-protocol", "x-host-header", "x-edge-request-id",
  ]
}

# Logs Insights: the slowest and the failing requests at the edge (the log group is in us-east-1).
resource "aws_cloudwatch_query_definition" "cdn" {
  for_each = {
    cdn-slow-requests = "fields timestamp, `cs-uri-stem`, `sc-status`, `time-taken`, `x-edge-result-type`, `x-edge-location` | sort `time-taken` desc | limit 100"
    cdn-errors        = "filter `sc-status` >= 400 | stats count(*) as requests by `sc-status`, `cs-uri-stem`, `x-edge-detailed-result-type` | sort requests desc | limit 50"
    cdn-cache-results = "stats count(*) as requests by `x-edge-result-type`, `cs-method` | sort requests desc"
  }
  provider        = aws.us_east_1
  name            = "${var.name_prefix}/${each.key}"
  log_group_names = [aws_cloudwatch_log_group.cdn.name]
  query_string    = each.value
}

# The UI bucket's request metrics (AWS/S3, FilterId EntireBucket): requests, 4xx/5xx, latency.
resource "aws_s3_bucket_metric" "ui" {
  bucket = aws_s3_bucket.ui.id
  name   = "EntireBucket"
}

# ---- the CDN dashboard (in the stack's region; CloudFront's widgets read us-east-1).

locals {
  cdn_metric = { for m in ["Requests", "BytesDownloaded", "4xxErrorRate", "5xxErrorRate", "CacheHitRate", "OriginLatency", "401ErrorRate", "403ErrorRate", "404ErrorRate", "502ErrorRate", "503ErrorRate", "504ErrorRate"] :
    m => ["AWS/CloudFront", m, "DistributionId", aws_cloudfront_distribution.ui.id, "Region", "Global"]
  }
  cdn_widget = {
    for k, w in {
      requests = { title = "Requests and bytes", metrics = [concat(local.cdn_metric["Requests"], [{ stat = "Sum" }]), concat(local.cdn_metric["BytesDownloaded"], [{ stat = "Sum", yAxis = "right" }])], additional = false }
      errors   = { title = "Error rates (%)", metrics = [concat(local.cdn_metric["4xxErrorRate"], [{ stat = "Average" }]), concat(local.cdn_metric["5xxErrorRate"], [{ stat = "Average" }])], additional = false }
      cache    = { title = "Cache hit rate (%)", metrics = [concat(local.cdn_metric["CacheHitRate"], [{ stat = "Average" }])], additional = true }
      origin   = { title = "Origin latency (ms)", metrics = [concat(local.cdn_metric["OriginLatency"], [{ stat = "p50" }]), concat(local.cdn_metric["OriginLatency"], [{ stat = "p90" }]), concat(local.cdn_metric["OriginLatency"], [{ stat = "p99" }])], additional = true }
      status   = { title = "Error rate by status (%)", metrics = [for m in ["401ErrorRate", "403ErrorRate", "404ErrorRate", "502ErrorRate", "503ErrorRate", "504ErrorRate"] : concat(local.cdn_metric[m], [{ stat = "Average" }])], additional = true }
    } : k => w if !w.additional || var.enable_cdn_additional_metrics
  }
  cdn_dashboard = {
    widgets = concat(
      [for i, k in keys(local.cdn_widget) : {
        type   = "metric"
        x      = (i % 2) * 12
        y      = floor(i / 2) * 6
        width  = 12
        height = 6
        properties = {
          title   = local.cdn_widget[k].title
          region  = "us-east-1"
          view    = "timeSeries"
          period  = 300
          metrics = local.cdn_widget[k].metrics
        }
      }],
      [{
        type   = "metric"
        x      = 12
        y      = 12
        width  = 12
        height = 6
        properties = {
          title  = "The S3 origin: requests, errors, first-byte latency (ms)"
          region = data.aws_region.current.name
          view   = "timeSeries"
          period = 300
          metrics = [for m in [["AllRequests", "Sum"], ["4xxErrors", "Sum"], ["5xxErrors", "Sum"], ["FirstByteLatency", "p90"]] :
            ["AWS/S3", m[0], "BucketName", aws_s3_bucket.ui.bucket, "FilterId", aws_s3_bucket_metric.ui.name, { stat = m[1], yAxis = m[0] == "FirstByteLatency" ? "right" : "left" }]
          ]
        }
      }],
      [{
        type   = "log"
        x      = 0
        y      = 18
        width  = 24
        height = 6
        properties = {
          title  = "Slowest requests at the edge"
          region = "us-east-1"
          view   = "table"
          query  = "SOURCE '${aws_cloudwatch_log_group.cdn.name}' | ${aws_cloudwatch_query_definition.cdn["cdn-slow-requests"].query_string}"
        }
      }],
      [{
        type   = "alarm"
        x      = 0
        y      = 24
        width  = 24
        height = 3
        properties = {
          title  = "CDN alarms"
          region = "us-east-1"
          alarms = [for a in aws_cloudwatch_metric_alarm.cdn : a.arn]
        }
      }],
    )
  }
}

resource "aws_cloudwatch_dashboard" "cdn" {
  dashboard_name = "${var.name_prefix}-${var.environment}-cdn"
  dashboard_body = jsonencode(local.cdn_dashboard)
}

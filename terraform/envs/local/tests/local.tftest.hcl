# envs/local applied for real to LocalStack (and moto), then read back, then destroyed.
# scripts/lab/terraform.sh test-local runs it with a unique name_prefix per run.

run "apply" {
  command = apply

  # ---- messaging: the shop's names, routes and limits (app/core/src/events/provision.rs)
  assert {
    condition     = output.bus_name == "${var.name_prefix}-events"
    error_message = "the bus is <prefix>-events"
  }
  assert {
    condition     = toset(keys(output.messaging.queues)) == toset(["admin-alerts", "notifications", "sale-notices"])
    error_message = "three queues: notifications, sale-notices, admin-alerts"
  }
  assert {
    condition = alltrue([for k, q in output.messaging.queues :
      q.name == "${var.name_prefix}-${k}" && q.dlq_name == "${var.name_prefix}-${k}-dlq" && q.redrive_policy.deadLetterTargetArn == q.dlq_arn
    ])
    error_message = "each queue <prefix>-<key> redrives to its own dead-letter queue <prefix>-<key>-dlq"
  }
  assert {
    condition     = alltrue([for q in output.messaging.queues : tonumber(q.redrive_policy.maxReceiveCount) == 5 && q.visibility_timeout_seconds == 30])
    error_message = "maxReceiveCount 5 and visibility timeout 30 s (the shop's --events-max-receives and --events-visibility-timeout defaults)"
  }
  assert {
    condition = output.messaging.rule_routes["mail"].event_pattern == {
      source        = ["shop"]
      "detail-type" = ["order.placed", "order.shipped", "inventory.back_in_stock", "inventory.stock_report", "account.password_reset"]
    }
    error_message = "the mail rule routes the five mail event types from source shop"
  }
  assert {
    condition     = output.messaging.rule_routes["sale"].event_pattern["detail-type"] == ["catalog.product.on_sale"] && output.messaging.rule_routes["low-stock"].event_pattern["detail-type"] == ["inventory.low_stock"]
    error_message = "the sale rule routes catalog.product.on_sale, the low-stock rule inventory.low_stock"
  }
  assert {
    condition     = output.messaging.rule_routes["mail"].target_arn == output.messaging.queues["notifications"].arn
    error_message = "the mail rule targets the notifications queue"
  }
  assert {
    condition     = output.messaging.rule_routes["sale"].target_arn == output.messaging.topics["sale-notices"].arn && output.messaging.rule_routes["low-stock"].target_arn == output.messaging.topics["admin-alerts"].arn
    error_message = "the sale rule targets the sale-notices topic, the low-stock rule the admin-alerts topic"
  }
  assert {
    condition     = alltrue([for k, t in output.messaging.topics : t.protocol == "sqs" && t.raw_message_delivery && t.endpoint == output.messaging.queues[k].arn])
    error_message = "each topic delivers raw to its queue"
  }
  assert {
    condition     = output.messaging.queues["notifications"].policy.Statement[0].Principal.Service == "events.amazonaws.com" && output.messaging.queues["notifications"].policy.Statement[0].Condition.ArnEquals["aws:SourceArn"] == "arn:aws:events:us-east-1:000000000000:rule/${var.name_prefix}-events/${var.name_prefix}-mail"
    error_message = "only the mail rule may send to the notifications queue"
  }
  assert {
    condition     = output.messaging.ses_identities == ["shop@example.com"]
    error_message = "the sender identity is the shop's --mail-from"
  }

  # ---- storage
  assert {
    condition     = output.bucket_names == { images = "${var.name_prefix}-images", exports = "${var.name_prefix}-exports" }
    error_message = "buckets <prefix>-images and <prefix>-exports"
  }
  assert {
    condition     = output.storage.versioning == { images = "Enabled" }
    error_message = "the images bucket is versioned"
  }

  # ---- observability
  assert {
    condition     = output.observability.log_group_retention == { "/${var.name_prefix}/lab" = 7, "/${var.name_prefix}/lab/metrics" = 7 }
    error_message = "the log groups /<prefix>/lab and …/metrics have the lab's retention (7 days)"
  }
  assert {
    condition = toset(keys(output.observability.alarms)) == toset([
      "${var.name_prefix}-http-5xx", "${var.name_prefix}-security-events",
      "${var.name_prefix}-dlq-notifications", "${var.name_prefix}-dlq-sale-notices", "${var.name_prefix}-dlq-admin-alerts",
    ])
    error_message = "alarms: http-5xx, security-events and one per dead-letter queue"
  }
  assert {
    condition     = alltrue([for a in output.observability.alarms : a.alarm_actions == toset([output.alert_topic_arn]) && a.ok_actions == toset([output.alert_topic_arn])])
    error_message = "every alarm notifies the alert topic on ALARM and on OK"
  }
  assert {
    condition     = alltrue([for k, q in output.messaging.queues : output.observability.alarms["${var.name_prefix}-dlq-${k}"].dimensions["QueueName"] == q.dlq_name])
    error_message = "each dead-letter alarm watches its queue"
  }
  assert {
    condition     = output.observability.alert_subscription.protocol == "sqs" && output.observability.alert_subscription.endpoint == output.observability.alert_subscription.queue_arn
    error_message = "the alert topic delivers to the alert queue"
  }
  assert {
    condition     = output.observability.metric_filters["${var.name_prefix}-http-5xx"] == { pattern = "{ $.message = \"request failed\" }", log_group = "/${var.name_prefix}/lab", metric = "HttpServerErrors", namespace = "ShopLab/Logs" }
    error_message = "the 5xx filter counts the access log's 'request failed' lines into ShopLab/Logs HttpServerErrors"
  }
  assert {
    condition     = length(output.observability.dashboard_bodies["${var.name_prefix}-red"].widgets) == 5
    error_message = "the RED dashboard is stored with its five widgets"
  }
  assert {
    condition     = output.observability.sampling_rule_names == [] && output.observability.xray_group_names == [] && output.observability.query_definition_names == []
    error_message = "the emulator gaps (X-Ray sampling rules and groups, query definitions) stay out of the lab"
  }
}

# Read back through the APIs (data sources), not from Terraform's state.
run "readback" {
  command = apply
  module {
    source = "./tests/readback"
  }
  variables {
    queue_names     = keys(run.apply.queue_urls)
    topic_names     = concat(keys(run.apply.topic_arns), [run.apply.alert_topic_name])
    bucket_names    = values(run.apply.bucket_names)
    log_group_names = values(run.apply.log_group_names)
    bus_name        = run.apply.bus_name
  }

  assert {
    condition     = length(data.aws_sqs_queue.queue) == 6 && alltrue([for q in data.aws_sqs_queue.queue : q.url == run.apply.queue_urls[q.name]])
    error_message = "the six queues exist, at the URLs Terraform recorded"
  }
  assert {
    condition     = data.aws_sns_topic.topic[run.apply.alert_topic_name].arn == run.apply.alert_topic_arn
    error_message = "the alert topic exists"
  }
  assert {
    condition     = alltrue([for g in data.aws_cloudwatch_log_group.group : g.retention_in_days == 7])
    error_message = "the log groups' retention reads back as 7 days"
  }
  assert {
    condition     = length(data.aws_s3_bucket.bucket) == 2
    error_message = "both buckets exist"
  }
  assert {
    condition     = data.aws_cloudwatch_event_bus.bus.arn != ""
    error_message = "the bus exists"
  }
}

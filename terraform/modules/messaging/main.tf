# The resources the shop's events travel through: the same names, patterns and routes as the shop's
# own provisioner (app/core/src/events/provision.rs).
#
#   bus <p>-events ─ rule <p>-mail ──────────────▶ queue <p>-notifications (DLQ <p>-notifications-dlq)
#                  ─ rule <p>-sale ─▶ topic <p>-sale-notices ─▶ queue <p>-sale-notices (DLQ …-dlq)
#                  ─ rule <p>-low-stock ─▶ topic <p>-admin-alerts ─▶ queue <p>-admin-alerts (DLQ …-dlq)

locals {
  queues = toset(["notifications", "sale-notices", "admin-alerts"])

  # topic key → the queue subscribed to it (raw delivery: the queue gets the EventBridge event itself)
  topics = {
    "sale-notices" = "sale-notices"
    "admin-alerts" = "admin-alerts"
  }

  # rule key → the event types (detail-type) it routes, and where to
  rules = {
    mail = {
      detail_types = ["order.placed", "order.shipped", "inventory.back_in_stock", "inventory.stock_report", "account.password_reset"]
      queue        = "notifications"
      topic        = null
    }
    sale = {
      detail_types = ["catalog.product.on_sale"]
      queue        = null
      topic        = "sale-notices"
    }
    low-stock = {
      detail_types = ["inventory.low_stock"]
      queue        = null
      topic        = "admin-alerts"
    }
  }
}

resource "aws_cloudwatch_event_bus" "shop" {
  name = "${var.name_prefix}-events"
  tags = var.tags
}

resource "aws_sqs_queue" "dlq" {
  for_each                  = local.queues
  name                      = "${var.name_prefix}-${each.key}-dlq"
  message_retention_seconds = var.dlq_retention_seconds
  tags                      = var.tags
}

resource "aws_sqs_queue" "queue" {
  for_each                   = local.queues
  name                       = "${var.name_prefix}-${each.key}"
  visibility_timeout_seconds = var.visibility_timeout_seconds
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[each.key].arn
    maxReceiveCount     = var.max_receive_count
  })
  tags = var.tags
}

resource "aws_sns_topic" "topic" {
  for_each = local.topics
  name     = "${var.name_prefix}-${each.key}"
  tags     = var.tags
}

resource "aws_sns_topic_subscription" "queue" {
  for_each             = local.topics
  topic_arn            = aws_sns_topic.topic[each.key].arn
  protocol             = "sqs"
  endpoint             = aws_sqs_queue.queue[each.value].arn
  raw_message_delivery = true
}

# Who may deliver into each queue: the rule that targets it, or the topic it is subscribed to (AWS
# enforces this; the emulators do not, but the code states what AWS needs).
data "aws_iam_policy_document" "queue" {
  for_each = local.queues

  dynamic "statement" {
    for_each = [for k, r in local.rules : k if r.queue == each.key]
    content {
      sid       = "events-${statement.value}"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.queue[each.key].arn]
      principals {
        type        = "Service"
        identifiers = ["events.amazonaws.com"]
      }
      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = [aws_cloudwatch_event_rule.rule[statement.value].arn]
      }
    }
  }

  dynamic "statement" {
    for_each = [for t, q in local.topics : t if q == each.key]
    content {
      sid       = "sns-${statement.value}"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.queue[each.key].arn]
      principals {
        type        = "Service"
        identifiers = ["sns.amazonaws.com"]
      }
      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = [aws_sns_topic.topic[statement.value].arn]
      }
    }
  }
}

resource "aws_sqs_queue_policy" "queue" {
  for_each  = local.queues
  queue_url = aws_sqs_queue.queue[each.key].id
  policy    = data.aws_iam_policy_document.queue[each.key].json
}

# EventBridge may publish to the topics it targets.
data "aws_iam_policy_document" "topic" {
  for_each = local.topics
  statement {
    sid       = "events"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.topic[each.key].arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
  }
}

resource "aws_sns_topic_policy" "topic" {
  for_each = local.topics
  arn      = aws_sns_topic.topic[each.key].arn
  policy   = data.aws_iam_policy_document.topic[each.key].json
}

resource "aws_cloudwatch_event_rule" "rule" {
  for_each       = local.rules
  name           = "${var.name_prefix}-${each.key}"
  event_bus_name = aws_cloudwatch_event_bus.shop.name
  event_pattern = jsonencode({
    source        = [var.event_source]
    "detail-type" = each.value.detail_types
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "rule" {
  for_each       = local.rules
  rule           = aws_cloudwatch_event_rule.rule[each.key].name
  event_bus_name = aws_cloudwatch_event_bus.shop.name
  target_id      = "${var.name_prefix}-${each.key}-target"
  arn            = each.value.queue != null ? aws_sqs_queue.queue[each.value.queue].arn : aws_sns_topic.topic[each.value.topic].arn
}

resource "aws_ses_email_identity" "sender" {
  count = var.mail_from == "" ? 0 : 1
  email = var.mail_from
}

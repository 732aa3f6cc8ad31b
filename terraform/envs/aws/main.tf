# The production shape: a VPC, the split topology (catalog, orders, inventory) on ECS Fargate behind
# an ALB, RDS MySQL, the UI from S3 through CloudFront, the shared modules (messaging, storage,
# observability), least-privilege task roles, and an ADOT collector sidecar when
# telemetry_backend = "otel". Checked without an AWS account: `terraform validate` and
# `terraform test` (tests/aws.tftest.hcl, mock provider).

data "aws_availability_zones" "available" {
  state = "available"
}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

locals {
  azs            = slice(data.aws_availability_zones.available.names, 0, var.az_count)
  log_group_base = "/shop-lab/${var.environment}"
  otel           = var.telemetry_backend == "otel"
  # service.version: the release, or the image's tag (…/shop:2026.12.2 → 2026.12.2).
  release = var.release != "" ? var.release : try(regex(":([^:/@]+)$", var.shop_image)[0], "unknown")
  # DevOps Guru finds this stack's resources by this tag key (optional.tf); its value is the
  # environment. The key must start with "DevOps-Guru-".
  devops_guru_tag = "DevOps-Guru-${var.name_prefix}"
  default_tags = merge(
    { project = "shop-lab", environment = var.environment },
    var.enable_devops_guru ? { (local.devops_guru_tag) = var.environment } : {},
  )
}

module "messaging" {
  source            = "../../modules/messaging"
  name_prefix       = var.name_prefix
  mail_from         = var.mail_from
  max_receive_count = var.max_receive_count
}

module "storage" {
  source      = "../../modules/storage"
  name_prefix = "${var.name_prefix}-${var.environment}-${data.aws_caller_identity.current.account_id}"
  # The image-resize function's input (functions.tf): the queue <prefix>-image-originals, its
  # dead-letter queue, and the images bucket's notification of new objects under originals/.
  originals_queue             = true
  originals_max_receive_count = var.max_receive_count
}

module "observability" {
  source             = "../../modules/observability"
  name_prefix        = var.name_prefix
  log_group_base     = local.log_group_base
  log_retention_days = var.log_retention_days
  service_names      = [for s in keys(var.services) : "shop-${s}"]
  dlq_names          = merge(module.messaging.dlq_names, { image-originals = module.storage.originals_queue.dlq_name })
  alert_email        = var.alert_email
  sampling_rate      = var.sampling_rate

  # Dashboards and backend alarms for the backend this stack runs (noop: none of them; the
  # log-derived alarms and the service view stay).
  telemetry_backends = setintersection([var.telemetry_backend], ["awssdk", "otel"])
  checkout_service   = "shop-orders"
  accounts_service   = "shop-catalog"
  catalog_service    = "shop-catalog"
  rum_service        = "shop-catalog"
  latency_statistic  = var.latency_statistic
  # otel: the collector's log group (ecs.tf), where its awscloudwatchlogs exporter writes the
  # shop's log records: the module counts them (metric filters, log-count alarms) and saves its
  # queries there. awssdk and noop: none.
  otel_log_group = local.otel ? aws_cloudwatch_log_group.otel["/observability-shop-lab/otel"].name : ""
  # The containers' stderr: where the backends and the ADOT sidecar report dropped telemetry.
  drop_report_log_groups = { for s, g in aws_cloudwatch_log_group.ecs : s => g.name }
  # Every service's backend sends its drops as shop.telemetry.dropped: one alarm each.
  telemetry_services = [for s in keys(var.services) : "shop-${s}"]
  canary_names       = [for c in values(local.canaries) : c.name]
  # CloudFront's alarms notify a topic in us-east-1 (cdn.tf) that forwards to the alert queue.
  alert_source_topics = [aws_sns_topic.cdn_alerts.arn]
  # DevOps Guru's insights and AWS Config's compliance changes (optional.tf) share the topic.
  alert_publishers = concat(
    var.enable_devops_guru ? ["devops-guru.amazonaws.com"] : [],
    var.enable_config ? ["events.amazonaws.com"] : [],
  )
}

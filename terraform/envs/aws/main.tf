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
}

module "messaging" {
  source      = "../../modules/messaging"
  name_prefix = var.name_prefix
  mail_from   = var.mail_from
}

module "storage" {
  source      = "../../modules/storage"
  name_prefix = "${var.name_prefix}-${var.environment}-${data.aws_caller_identity.current.account_id}"
}

module "observability" {
  source             = "../../modules/observability"
  name_prefix        = var.name_prefix
  log_group_base     = local.log_group_base
  log_retention_days = var.log_retention_days
  service_names      = [for s in keys(var.services) : "shop-${s}"]
  dlq_names          = module.messaging.dlq_names
  alert_email        = var.alert_email
  sampling_rate      = var.sampling_rate

  # Dashboards and backend alarms for the backend this stack runs (noop: none of them; the
  # log-derived alarms and the service view stay).
  telemetry_backends = setintersection([var.telemetry_backend], ["awssdk", "otel"])
  checkout_service   = "shop-orders"
  accounts_service   = "shop-catalog"
  rum_service        = "shop-catalog"
  latency_statistic  = var.latency_statistic
  # The containers' stderr: where the backends and the ADOT sidecar report dropped telemetry.
  drop_report_log_groups = { for s, g in aws_cloudwatch_log_group.ecs : s => g.name }
  canary_names           = [for c in values(local.canaries) : c.name]
}

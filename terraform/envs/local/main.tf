# The lab's resources in the emulators: LocalStack for CloudWatch (metrics, alarms, dashboards),
# CloudWatch Logs, SNS, SQS, SES, S3, EventBridge, STS and IAM; moto for X-Ray — the same split as
# scripts/lab/localstack.sh and moto.sh `env`. scripts/lab/terraform.sh sets the endpoints.
#
# `make lab` applies it (terraform.sh apply-local, name_prefix `shop`) before it starts the shops,
# and `make lab-plan` shows that nothing is left to change afterwards. Each of the lab's shops
# (var.shops: awssdk and otel, scripts/lab/shop.sh) gets its own event resources and buckets,
# named <name_prefix><suffix>-… as shop.sh tells that shop; the observability resources (log
# groups, filters, alarms, dashboards per telemetry backend) exist once. The shops' own
# provisioner (--events-provision) stays on beside it: it finds these resources and changes none
# of what Terraform set (docs/terraform.md, "Terraform and the shop's own provisioner").

terraform {
  required_version = ">= 1.11"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
  # State under $SHOP_LAB_STATE/terraform/ (terraform.sh passes -backend-config=path=…).
  backend "local" {}
}

provider "aws" {
  region = var.region
  # The emulators take any credentials (scripts/lab/common.sh: test/test).
  access_key = "test"
  secret_key = "test"

  # No account, no instance metadata: nothing to look up or validate.
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  skip_region_validation      = true
  # LocalStack needs path-style S3 (no bucket DNS names).
  s3_use_path_style = true

  endpoints {
    cloudwatch     = var.localstack_endpoint
    cloudwatchlogs = var.localstack_endpoint
    eventbridge    = var.localstack_endpoint
    iam            = var.localstack_endpoint
    s3             = var.localstack_endpoint
    ses            = var.localstack_endpoint
    sns            = var.localstack_endpoint
    sqs            = var.localstack_endpoint
    sts            = var.localstack_endpoint
    xray           = var.moto_endpoint
  }

  default_tags {
    tags = {
      project = "shop-lab"
      env     = "local"
    }
  }
}

locals {
  # Shop key → the prefix of its names (`shop`, `shop-otel` in the lab).
  shop_prefixes = { for k, suffix in var.shops : k => "${var.name_prefix}${suffix}" }
  # The shop whose names carry no suffix: the one the single-shop outputs (bus_name, messaging,
  # bucket_names, …) describe.
  primary = one([for k, suffix in var.shops : k if suffix == ""])
  # Every shop's dead-letter queues, for the DLQ alarms: the primary's keyed as the module names
  # them (notifications, …), another shop's with its suffix (otel-notifications, …).
  dlq_names = merge(concat(
    [for k, suffix in var.shops : {
      for q, name in module.messaging[k].dlq_names : (suffix == "" ? q : "${trimprefix(suffix, "-")}-${q}") => name
    }],
    # The image-resize function's dead letters, where it runs.
    [for k, suffix in var.shops : {
      (suffix == "" ? "image-originals" : "${trimprefix(suffix, "-")}-image-originals") = module.storage[k].originals_queue.dlq_name
    } if contains(var.image_resize_function_shops, k)],
  )...)
}

module "messaging" {
  source      = "../../modules/messaging"
  for_each    = local.shop_prefixes
  name_prefix = each.value
  # One SES identity for all: the shops send from the same address.
  mail_from         = var.shops[each.key] == "" ? var.mail_from : ""
  max_receive_count = var.max_receive_count
}

module "storage" {
  source        = "../../modules/storage"
  for_each      = local.shop_prefixes
  name_prefix   = each.value
  force_destroy = true
  # No lifecycle rule here: terraform-provider-aws waits ~55 s for a new lifecycle configuration to
  # read back steadily (measured against LocalStack); envs/aws keeps it and its test checks it.
  export_expiration_days = 0
  replay_expiration_days = 0
  # The image-resize function's input queue and the images bucket's notification, for the shops
  # that resize with the function (scripts/lab/shop.sh: the first shop, awssdk when both run).
  originals_queue             = contains(var.image_resize_function_shops, each.key)
  originals_max_receive_count = var.max_receive_count
}

module "observability" {
  source             = "../../modules/observability"
  name_prefix        = var.name_prefix
  log_group_base     = "/${var.name_prefix}/${var.environment}"
  log_retention_days = var.log_retention_days
  dlq_names          = local.dlq_names
  exclude            = var.emulator_gaps
  # LocalStack computes no percentiles (docs/dashboards.md): the lab's latency alarm reads the
  # Maximum, which also reacts to a single slow checkout, as a fault experiment makes.
  latency_statistic          = var.latency_statistic
  latency_evaluation_periods = var.latency_evaluation_periods
}

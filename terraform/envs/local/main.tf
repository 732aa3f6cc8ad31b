# The lab's resources in the emulators: LocalStack for CloudWatch (metrics, alarms, dashboards),
# CloudWatch Logs, SNS, SQS, SES, S3, EventBridge, STS and IAM; moto for X-Ray — the same split as
# scripts/lab/localstack.sh and moto.sh `env`. scripts/lab/terraform.sh sets the endpoints.
#
# Not applied by `make lab` yet: the shop still provisions its messaging resources itself
# (--events-provision); docs/terraform.md says how the two will meet.

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

module "messaging" {
  source            = "../../modules/messaging"
  name_prefix       = var.name_prefix
  mail_from         = var.mail_from
  max_receive_count = var.max_receive_count
}

module "storage" {
  source        = "../../modules/storage"
  name_prefix   = var.name_prefix
  force_destroy = true
  # No lifecycle rule here: terraform-provider-aws waits ~55 s for a new lifecycle configuration to
  # read back steadily (measured against LocalStack); envs/aws keeps it and its test checks it.
  export_expiration_days = 0
  replay_expiration_days = 0
}

module "observability" {
  source             = "../../modules/observability"
  name_prefix        = var.name_prefix
  log_group_base     = "/${var.name_prefix}/${var.environment}"
  log_retention_days = var.log_retention_days
  dlq_names          = module.messaging.dlq_names
  exclude            = var.emulator_gaps
  # LocalStack computes no percentiles (docs/dashboards.md): the lab's latency alarm reads the
  # Maximum, which also reacts to a single slow checkout, as a fault experiment makes.
  latency_statistic          = var.latency_statistic
  latency_evaluation_periods = var.latency_evaluation_periods
}

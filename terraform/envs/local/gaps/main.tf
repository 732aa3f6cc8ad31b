# Probes of what the emulators refuse (docs/terraform.md, emulator gaps): one resource per gap, the
# resource envs/local keeps out; scripts/lab/terraform.sh test-gaps applies them and expects each to
# fail with the emulator's answer, and fails itself when an emulator starts accepting one (then the gap is gone:
# take it out of envs/local's emulator_gaps and out of the docs).

terraform {
  required_version = ">= 1.11"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

variable "probes" {
  description = "The gaps to probe (all by default: one apply, each resource fails on its own)."
  type        = set(string)
  default     = ["xray-sampling-rules", "xray-groups", "query-definitions", "synthetics"]
  validation {
    condition     = length(setsubtract(var.probes, ["xray-sampling-rules", "xray-groups", "query-definitions", "synthetics"])) == 0
    error_message = "probes: xray-sampling-rules, xray-groups, query-definitions, synthetics."
  }
}

variable "name_prefix" {
  type = string
}

variable "localstack_endpoint" {
  type    = string
  default = "http://127.0.0.1:4566"
}

variable "moto_endpoint" {
  type    = string
  default = "http://127.0.0.1:5000"
}

variable "region" {
  type    = string
  default = "us-east-1"
}

provider "aws" {
  region                      = var.region
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  skip_region_validation      = true
  endpoints {
    cloudwatchlogs = var.localstack_endpoint
    sts            = var.localstack_endpoint
    synthetics     = var.localstack_endpoint
    xray           = var.moto_endpoint
  }
}

# moto has no sampling-rule or group APIs (404); LocalStack's community build has no X-Ray at all.
resource "aws_xray_sampling_rule" "probe" {
  count          = contains(var.probes, "xray-sampling-rules") ? 1 : 0
  rule_name      = "${var.name_prefix}-probe"
  priority       = 100
  version        = 1
  reservoir_size = 1
  fixed_rate     = 0.05
  url_path       = "*"
  host           = "*"
  http_method    = "*"
  service_type   = "*"
  service_name   = "*"
  resource_arn   = "*"
}

resource "aws_xray_group" "probe" {
  count             = contains(var.probes, "xray-groups") ? 1 : 0
  group_name        = "${var.name_prefix}-probe"
  filter_expression = "fault = true"
}

# LocalStack's community build: PutQueryDefinition "has not been implemented".
resource "aws_cloudwatch_query_definition" "probe" {
  count           = contains(var.probes, "query-definitions") ? 1 : 0
  name            = "${var.name_prefix}/probe"
  query_string    = "fields @timestamp, message | sort @timestamp desc | limit 20"
  log_group_names = []
}

# LocalStack's community build has no CloudWatch Synthetics ("not included in your current license
# plan or has not yet been emulated"): envs/aws's canary (the committed package) cannot be applied to
# the lab; the lab runs the same journey itself (scripts/lab/canary.sh, docs/canary.md).
resource "aws_synthetics_canary" "probe" {
  count                = contains(var.probes, "synthetics") ? 1 : 0
  name                 = substr("${var.name_prefix}-probe", 0, 21)
  artifact_s3_location = "s3://${var.name_prefix}-probe/canary/"
  execution_role_arn   = "arn:aws:iam::000000000000:role/${var.name_prefix}-probe"
  runtime_version      = "syn-nodejs-playwright-5.1"
  handler              = "index.handler"
  zip_file             = "${path.module}/../../aws/canary/shop-canary.zip"
  schedule {
    expression = "rate(5 minutes)"
  }
}

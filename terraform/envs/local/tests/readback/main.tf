# Reads back, through the emulators' APIs, what the apply run created (terraform test's readback run).
terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

variable "queue_names" {
  type = list(string)
}

variable "topic_names" {
  type = list(string)
}

variable "bucket_names" {
  type = list(string)
}

variable "log_group_names" {
  type = list(string)
}

variable "bus_name" {
  type = string
}

data "aws_sqs_queue" "queue" {
  for_each = toset(var.queue_names)
  name     = each.key
}

data "aws_sns_topic" "topic" {
  for_each = toset(var.topic_names)
  name     = each.key
}

data "aws_s3_bucket" "bucket" {
  for_each = toset(var.bucket_names)
  bucket   = each.key
}

data "aws_cloudwatch_log_group" "group" {
  for_each = toset(var.log_group_names)
  name     = each.key
}

data "aws_cloudwatch_event_bus" "bus" {
  name = var.bus_name
}

# This run's own provider: the emulator the apply run used (terraform.sh sets TF_VAR_localstack_endpoint).
variable "localstack_endpoint" {
  type    = string
  default = "http://127.0.0.1:4566"
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  skip_region_validation      = true
  s3_use_path_style           = true
  endpoints {
    cloudwatchlogs = var.localstack_endpoint
    eventbridge    = var.localstack_endpoint
    s3             = var.localstack_endpoint
    sns            = var.localstack_endpoint
    sqs            = var.localstack_endpoint
    sts            = var.localstack_endpoint
  }
}

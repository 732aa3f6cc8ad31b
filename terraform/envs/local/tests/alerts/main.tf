# Alert verification (O-ALERT-04, docs/faults.md): the shop's fault flags drive the alarms this
# environment created to ALARM and back to OK, and the alert topic's SQS subscription receives
# both notifications — per telemetry backend, with the real shop binary and, for otel, the real
# collector (its AWS exporters) in front of the same LocalStack.
#
# phase "check": check.py runs both shops side by side with the same flags and load, and records
#   what each alarm did, the notifications, and the raw data the otel path stored, in result_file.
# phase "read": returns what the check recorded (terraform test reads a file only at plan time,
#   so the reading is a run of its own).
terraform {
  required_version = ">= 1.11"
}

variable "phase" {
  type = string
  validation {
    condition     = contains(["check", "read"], var.phase)
    error_message = "phase: check or read."
  }
}

variable "localstack_endpoint" {
  type = string
}

variable "moto_endpoint" {
  type = string
}

variable "region" {
  type = string
}

variable "name_prefix" {
  type = string
}

variable "log_group_base" {
  description = "The awssdk backend's log group (the access log the count alarms filter)."
  type        = string
}

variable "result_file" {
  type = string
}

resource "terraform_data" "check" {
  count = var.phase == "check" ? 1 : 0
  # The lab's LocalStack venv has boto3 (the AWS SDK for Python), which the check uses.
  provisioner "local-exec" {
    command = "\"$SHOP_LAB_CACHE/venvs/localstack/bin/python\" \"${path.module}/check.py\""
    environment = {
      CHECK_LOCALSTACK     = var.localstack_endpoint
      CHECK_MOTO           = var.moto_endpoint
      CHECK_REGION         = var.region
      CHECK_PREFIX         = var.name_prefix
      CHECK_LOG_GROUP_BASE = var.log_group_base
      CHECK_RESULT_FILE    = var.result_file
    }
  }
}

output "result" {
  description = "What the check recorded (null in the check phase)."
  value       = var.phase == "read" ? try(jsondecode(file(var.result_file)), null) : null
}

# Which alarms the emulator evaluates (terraform test's alarm_evaluation runs, docs/dashboards.md).
#
# phase "probe": puts one minute of 5xx into the log-derived metrics (10 requests, 10 of them 5xx:
# above both the `<p>-http-5xx` count and the `<p>-error-rate-awssdk` rate) and waits until the
# simple count alarm leaves INSUFFICIENT_DATA, then records both alarms' states in result_file.
# phase "read": returns what the probe recorded (terraform test reads a file only at plan time,
# so the reading is a run of its own).
#
# What it shows: LocalStack 2026.3.0 schedules an alarm only when it has MetricName, Statistic and
# Period (localstack/services/cloudwatch/alarm_scheduler.py, `_is_alarm_supported`): a metric-math
# alarm, or one with a percentile (ExtendedStatistic), is stored and never evaluated.
terraform {
  required_version = ">= 1.11"
}

variable "phase" {
  type = string
  validation {
    condition     = contains(["probe", "read"], var.phase)
    error_message = "phase: probe or read."
  }
}

variable "localstack_endpoint" {
  type = string
}

variable "region" {
  type = string
}

variable "namespace" {
  description = "The log-derived metrics' namespace (the module's log_metric_namespace)."
  type        = string
}

variable "simple_alarm" {
  description = "An alarm with MetricName and Statistic: the 5xx count."
  type        = string
}

variable "math_alarm" {
  description = "A metric-math alarm over the same metrics: the awssdk error rate."
  type        = string
}

variable "result_file" {
  type = string
}

resource "terraform_data" "probe" {
  count = var.phase == "probe" ? 1 : 0
  # The lab's LocalStack venv has boto3 (the AWS SDK for Python), which the probe uses.
  provisioner "local-exec" {
    command = "\"$SHOP_LAB_CACHE/venvs/localstack/bin/python\" \"${path.module}/probe.py\""
    environment = {
      PROBE_ENDPOINT    = var.localstack_endpoint
      PROBE_REGION      = var.region
      PROBE_NAMESPACE   = var.namespace
      PROBE_SIMPLE      = var.simple_alarm
      PROBE_MATH        = var.math_alarm
      PROBE_RESULT_FILE = var.result_file
    }
  }
}

output "states" {
  description = "alarm name → state, as the probe left them (null in the probe phase)."
  value       = var.phase == "read" ? try(jsondecode(file(var.result_file)), null) : null
}

variable "localstack_endpoint" {
  description = "LocalStack's URL (scripts/lab/localstack.sh, SHOP_LAB_LOCALSTACK_PORT)."
  type        = string
  default     = "http://127.0.0.1:4566"
}

variable "moto_endpoint" {
  description = "moto's URL, for X-Ray (scripts/lab/moto.sh, SHOP_LAB_MOTO_PORT)."
  type        = string
  default     = "http://127.0.0.1:5000"
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix of every name. The tests use a unique one per run; the shop's own names are `shop` (not used here until the shop moves to these resources)."
  type        = string
  default     = "shop-tf"
}

variable "environment" {
  description = "The shop's --environment: the log group is /<name_prefix>/<environment>."
  type        = string
  default     = "lab"
}

variable "mail_from" {
  type    = string
  default = "shop@example.com"
}

variable "max_receive_count" {
  type    = number
  default = 5
}

variable "log_retention_days" {
  type    = number
  default = 7
}

variable "emulator_gaps" {
  description = "What the emulators refuse, kept out of the lab (docs/terraform.md, emulator gaps): LocalStack's community build has no X-Ray and no Logs Insights query definitions; moto has no X-Ray sampling-rule or group APIs."
  type        = set(string)
  default     = ["xray_sampling_rules", "xray_groups", "query_definitions"]
}

variable "latency_statistic" {
  description = "The statistic of the awssdk latency alarm: Maximum in the lab (the emulators compute no percentiles)."
  type        = string
  default     = "Maximum"
}

variable "latency_evaluation_periods" {
  description = "Minutes the checkout's latency must breach before its alarm fires: 1 in the lab, so that the alert check (tests/alerts, docs/faults.md) sees ALARM and OK within minutes; envs/aws keeps the module's 3."
  type        = number
  default     = 1
}

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
  description = "Prefix of every name: `shop` in the lab (terraform.sh apply-local, SHOP_LAB_TF_PREFIX), the shops' --events-prefix; the tests use a unique one per run."
  type        = string
  default     = "shop"
}

variable "shops" {
  description = "The lab's shops (scripts/lab/shop.sh), each with its own event resources and buckets named <name_prefix><suffix>-…: shop key → suffix. One suffix is empty (the shop the single-shop outputs describe)."
  type        = map(string)
  default     = { awssdk = "", otel = "-otel" }
  validation {
    condition     = length([for s in values(var.shops) : s if s == ""]) == 1
    error_message = "shops: exactly one shop has the empty suffix."
  }
  validation {
    condition     = alltrue([for s in values(var.shops) : s == "" || can(regex("^-[a-z0-9-]+$", s))])
    error_message = "shops: a suffix is empty or '-' followed by lower-case letters, digits and '-'."
  }
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

variable "image_resize_function_shops" {
  description = "The shops (keys of `shops`) whose admins' pictures the image-resize function resizes: each gets the originals queue and the images bucket's notification (scripts/lab/shop.sh gives the function to the first shop it starts, awssdk when both run; otel alone: set [\"otel\"])."
  type        = set(string)
  default     = ["awssdk"]
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

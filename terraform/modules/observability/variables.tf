variable "name_prefix" {
  description = "Prefix of the names of alarms, the alert topic and queue, dashboards, sampling rules, groups and query definitions."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix: 2 to 21 characters (X-Ray rule and group names stop at 32), lower-case letters, digits and '-'."
  }
}

variable "log_group_base" {
  description = "The shop's log group (SHOP_CW_LOG_GROUP, `/shop-lab/<environment>` by default); the EMF group is <base>/metrics (SHOP_CW_EMF_LOG_GROUP)."
  type        = string
  validation {
    condition     = startswith(var.log_group_base, "/")
    error_message = "log_group_base starts with '/'."
  }
}

variable "log_retention_days" {
  description = "Retention of every log group, in days (one of CloudWatch Logs' allowed values)."
  type        = number
  default     = 14
  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, …)."
  }
}

variable "metric_namespace" {
  description = "The namespace the awssdk backend writes metrics to (SHOP_CW_NAMESPACE)."
  type        = string
  default     = "ShopLab"
}

variable "log_metric_namespace" {
  description = "The namespace of the metrics the log metric filters make (a namespace of their own: they never mix with the backends' metrics)."
  type        = string
  default     = "ShopLab/Logs"
}

variable "service_names" {
  description = "The shop's services (service.name): `shop` in the embedded topology; shop-catalog, shop-orders, shop-inventory split."
  type        = list(string)
  default     = ["shop"]
}

variable "dlq_names" {
  description = "Dead-letter queues to alarm on (any message in one is an alarm): key → queue name."
  type        = map(string)
  default     = {}
}

variable "http_5xx_threshold" {
  description = "The HTTP 5xx alarm fires when at least this many requests answered 5xx in one minute (counted from the access log)."
  type        = number
  default     = 5
}

variable "security_events_threshold" {
  description = "The security-events alarm fires when at least this many security events (failed logins, second-factor failures, …) were logged in five minutes."
  type        = number
  default     = 10
}

variable "alert_email" {
  description = "An address the alert topic also mails (AWS only: the emulators deliver no mail for SNS); empty: none."
  type        = string
  default     = ""
}

variable "sampling_rate" {
  description = "X-Ray sampling: the fixed rate of the shop's rule after its reservoir (1 per second)."
  type        = number
  default     = 0.05
}

variable "exclude" {
  description = "Parts of this module left out, by name: what an emulator refuses (envs/local) — xray_sampling_rules, xray_groups, query_definitions, dashboards, alarms, metric_filters."
  type        = set(string)
  default     = []
  validation {
    condition     = length(setsubtract(var.exclude, ["xray_sampling_rules", "xray_groups", "query_definitions", "dashboards", "alarms", "metric_filters"])) == 0
    error_message = "exclude: only xray_sampling_rules, xray_groups, query_definitions, dashboards, alarms, metric_filters."
  }
}

variable "tags" {
  type    = map(string)
  default = {}
}

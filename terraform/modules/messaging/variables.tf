variable "name_prefix" {
  description = "Prefix of every name: the bus is <prefix>-events, the queues <prefix>-notifications, … (the shop's --events-prefix)."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name_prefix))
    error_message = "name_prefix: 2 to 31 characters, lower-case letters, digits and '-', starting with a letter."
  }
}

variable "event_source" {
  description = "The `source` of the shop's events (app/core/src/events/mod.rs SOURCE)."
  type        = string
  default     = "shop"
}

variable "max_receive_count" {
  description = "Receives before SQS moves a message to the dead-letter queue (--events-max-receives)."
  type        = number
  default     = 5
}

variable "visibility_timeout_seconds" {
  description = "Seconds a received message stays invisible to other consumers (--events-visibility-timeout)."
  type        = number
  default     = 30
}

variable "dlq_retention_seconds" {
  description = "How long a dead-letter queue keeps a message (the maximum, 14 days, by default)."
  type        = number
  default     = 1209600
}

variable "mail_from" {
  description = "The sender address SES must know (--mail-from); empty: no SES identity."
  type        = string
  default     = "shop@example.com"
}

variable "tags" {
  description = "Tags on every resource that takes them."
  type        = map(string)
  default     = {}
}

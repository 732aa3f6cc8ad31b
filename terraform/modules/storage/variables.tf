variable "name_prefix" {
  description = "Prefix of the bucket names: <prefix>-images, <prefix>-exports, <prefix>-replays (SHOP_IMAGES_BUCKET, SHOP_EXPORT_BUCKET, SHOP_RUM_REPLAY_BUCKET)."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name_prefix))
    error_message = "name_prefix: lower-case letters, digits and '-' (S3 bucket rules), starting with a letter."
  }
}

variable "export_expiration_days" {
  description = "Orders exports are deleted after this many days (0: kept)."
  type        = number
  default     = 30
}

variable "replay_expiration_days" {
  description = "Session recordings are deleted after this many days (0: kept)."
  type        = number
  default     = 30
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete non-empty buckets (the lab and tests: true; AWS: false)."
  type        = bool
  default     = false
}

variable "tags" {
  type    = map(string)
  default = {}
}

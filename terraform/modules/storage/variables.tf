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

variable "originals_queue" {
  description = "Make the image-resize function's input: the queue `<name_prefix>-image-originals` (and its dead-letter queue `…-dlq`) that the images bucket notifies of every new object under `originals/`. The shop's provisioner makes the same when it runs with --image-resize function and no Terraform (app/core/src/catalog/image_store.rs, provision_originals_queue): the same names, attributes, policy and notification, so that either may come first and the other changes nothing."
  type        = bool
  default     = false
}

variable "originals_max_receive_count" {
  description = "Receives of an originals message before SQS moves it to the dead-letter queue (the shop's SHOP_EVENTS_MAX_RECEIVES)."
  type        = number
  default     = 5
}

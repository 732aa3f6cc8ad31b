variable "name" {
  description = "The bucket's name."
  type        = string
}

variable "policy" {
  description = "The bucket policy (JSON), or null for none."
  type        = string
  default     = null
}

variable "force_destroy" {
  description = "Whether `terraform destroy` empties the bucket first."
  type        = bool
  default     = false
}

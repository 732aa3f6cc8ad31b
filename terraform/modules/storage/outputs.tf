output "bucket_names" {
  description = "images, exports, replays → bucket name."
  value       = { for k, b in aws_s3_bucket.bucket : k => b.bucket }
}

output "bucket_arns" {
  description = "images, exports, replays → bucket ARN."
  value       = { for k, b in aws_s3_bucket.bucket : k => b.arn }
}

output "versioning" {
  description = "Bucket key → versioning status (only the versioned ones)."
  value       = { for k, v in aws_s3_bucket_versioning.bucket : k => v.versioning_configuration[0].status }
}

output "export_expiration_days" {
  description = "The exports bucket's lifecycle expiration, or null without one."
  value       = one([for c in aws_s3_bucket_lifecycle_configuration.exports : c.rule[0].expiration[0].days])
}

output "replay_expiration_days" {
  description = "The replays bucket's lifecycle expiration, or null without one."
  value       = one([for c in aws_s3_bucket_lifecycle_configuration.replays : c.rule[0].expiration[0].days])
}

output "originals_queue" {
  description = "The image-resize function's input queue (name, URL, ARN, its dead-letter queue's name), or null without one."
  value = var.originals_queue ? {
    name     = aws_sqs_queue.originals[0].name
    url      = aws_sqs_queue.originals[0].id
    arn      = aws_sqs_queue.originals[0].arn
    dlq_name = aws_sqs_queue.originals_dlq[0].name
  } : null
}

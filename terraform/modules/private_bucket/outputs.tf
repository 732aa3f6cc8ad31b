output "id" {
  value = aws_s3_bucket.this.id
}

output "arn" {
  value = aws_s3_bucket.this.arn
}

output "public_access_blocked" {
  description = "All four public-access settings on (for the tests)."
  value = alltrue([
    aws_s3_bucket_public_access_block.this.block_public_acls, aws_s3_bucket_public_access_block.this.block_public_policy,
    aws_s3_bucket_public_access_block.this.ignore_public_acls, aws_s3_bucket_public_access_block.this.restrict_public_buckets,
  ])
}

output "policy_applied" {
  description = "Whether the policy is attached (it waits for the public access block)."
  value       = length(aws_s3_bucket_policy.this) == 1
}

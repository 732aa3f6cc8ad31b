# A private bucket: no public access of any kind, and an optional bucket policy (for the AWS
# service that writes into it: CloudTrail, AWS Config, Firehose's failed documents). The caller
# writes the policy; a bucket's ARN follows from its name (`arn:aws:s3:::<name>`), so it need not
# wait for this module's output to name the bucket in it.

resource "aws_s3_bucket" "this" {
  bucket        = var.name
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_policy" "this" {
  count  = var.policy == null ? 0 : 1
  bucket = aws_s3_bucket.this.id
  policy = var.policy
  # S3 refuses a policy while the public access block is being set.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

# The shop's S3 buckets: admins' product pictures (and the resized variants the image-resize function
# writes), the orders exports, and the browser's session recordings (F-RUM-03, docs/rum.md).
# Private, encrypted, versioned where losing an object matters.

locals {
  buckets = {
    images  = { versioned = true }
    exports = { versioned = false }
    replays = { versioned = false }
  }
}

resource "aws_s3_bucket" "bucket" {
  for_each      = local.buckets
  bucket        = "${var.name_prefix}-${each.key}"
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "bucket" {
  for_each                = aws_s3_bucket.bucket
  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "bucket" {
  for_each = aws_s3_bucket.bucket
  bucket   = each.value.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "bucket" {
  for_each = aws_s3_bucket.bucket
  bucket   = each.value.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "bucket" {
  for_each = { for k, b in local.buckets : k => b if b.versioned }
  bucket   = aws_s3_bucket.bucket[each.key].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "exports" {
  count  = var.export_expiration_days > 0 ? 1 : 0
  bucket = aws_s3_bucket.bucket["exports"].id
  rule {
    id     = "expire-exports"
    status = "Enabled"
    filter {}
    expiration {
      days = var.export_expiration_days
    }
  }
}

# Recordings are kept no longer than they are useful for a support question: they are behaviour,
# even masked.
resource "aws_s3_bucket_lifecycle_configuration" "replays" {
  count  = var.replay_expiration_days > 0 ? 1 : 0
  bucket = aws_s3_bucket.bucket["replays"].id
  rule {
    id     = "expire-replays"
    status = "Enabled"
    filter {}
    expiration {
      days = var.replay_expiration_days
    }
  }
}

# The synthetic canaries in AWS: CloudWatch Synthetics runs the lab's canary journeys
# (app/web/canary/journey.ts, packaged with its Synthetics handler by app/web/canary/package.ts into
# canary/shop-canary.zip) against the shop's public URL on a schedule, with active tracing, and an
# alarm tells the alert topic when a run fails. docs/canary.md.
#
# - `<p>-purchase` (shop-purchase): the shopper's way to the checkout; always.
# - `<p>-sign-in` (shop-sign-in): the returning customer signs in, reads the order history, signs
#   out; only with `canary_account_secret_arn`, a Secrets Manager secret holding the canary's own
#   account ({"email", "password"}), made out of band: its password is in no Terraform state and no
#   environment variable. The same package, SHOP_CANARY_JOURNEY picks the journey.
#
# The role follows the permissions Synthetics documents for a canary that needs no VPC and no KMS
# key: its artefacts (S3), its Lambda function's log group, PutMetricData held to the
# CloudWatchSynthetics namespace, X-Ray for active tracing; nothing else. As in iam.tf, Resource "*"
# only where AWS has no resource-level permissions.

locals {
  canary_name         = "${var.name_prefix}-purchase"
  canary_sign_in_name = "${var.name_prefix}-sign-in"
  canary_sign_in      = var.canary_account_secret_arn != ""
  canary_names        = concat([local.canary_name], local.canary_sign_in ? [local.canary_sign_in_name] : [])
  canary_zip          = "${path.module}/canary/shop-canary.zip"
  canary_prefix       = "canary/${local.canary_name}"
  canary_policy = {
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid      = "Artifacts"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:GetObject"]
        Resource = [for n in local.canary_names : "${aws_s3_bucket.canary.arn}/canary/${n}/*"]
      },
      {
        Sid      = "ArtifactsBucket"
        Effect   = "Allow"
        Action   = ["s3:GetBucketLocation"]
        Resource = aws_s3_bucket.canary.arn
      },
      {
        Sid      = "ListBuckets"
        Effect   = "Allow"
        Action   = ["s3:ListAllMyBuckets"]
        Resource = "*"
      },
      {
        Sid      = "Logs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = [for n in local.canary_names : "arn:aws:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:/aws/lambda/cwsyn-${n}-*"]
      },
      {
        Sid       = "Metrics"
        Effect    = "Allow"
        Action    = ["cloudwatch:PutMetricData"]
        Resource  = "*"
        Condition = { StringEquals = { "cloudwatch:namespace" = "CloudWatchSynthetics" } }
      },
      {
        Sid      = "XRay"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments"]
        Resource = "*"
      },
      ], local.canary_sign_in ? [{
        Sid      = "CanaryAccount"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = var.canary_account_secret_arn
    }] : [])
  }
}

# The canary's artefacts (screenshots, HAR files, reports, logs) and its code.
resource "aws_s3_bucket" "canary" {
  bucket = "${var.name_prefix}-${var.environment}-canary-${data.aws_caller_identity.current.account_id}"
}

resource "aws_s3_bucket_public_access_block" "canary" {
  bucket                  = aws_s3_bucket.canary.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "canary" {
  bucket = aws_s3_bucket.canary.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# Synthetics keeps its run records for the retention periods below; the files in S3 stay until this
# rule removes them.
resource "aws_s3_bucket_lifecycle_configuration" "canary" {
  bucket = aws_s3_bucket.canary.id
  rule {
    id     = "expire-artifacts"
    status = "Enabled"
    filter {
      prefix = "canary/"
    }
    expiration {
      days = var.canary_artifact_retention_days
    }
  }
}

# The code, under a key named by its hash: a new package is a new key, so the canary is updated
# (aws_synthetics_canary's zip_file has no hash of its own to notice a change).
resource "aws_s3_object" "canary_code" {
  bucket = aws_s3_bucket.canary.bucket
  key    = "code/shop-canary-${filemd5(local.canary_zip)}.zip"
  source = local.canary_zip
  etag   = filemd5(local.canary_zip)
}

resource "aws_iam_role" "canary" {
  name = "${var.name_prefix}-${var.environment}-canary"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy" "canary" {
  name   = "canary"
  role   = aws_iam_role.canary.id
  policy = jsonencode(local.canary_policy)
}

resource "aws_synthetics_canary" "shop" {
  name                 = local.canary_name
  artifact_s3_location = "s3://${aws_s3_bucket.canary.bucket}/${local.canary_prefix}/"
  execution_role_arn   = aws_iam_role.canary.arn
  runtime_version      = var.canary_runtime_version
  handler              = "index.handler"
  s3_bucket            = aws_s3_object.canary_code.bucket
  s3_key               = aws_s3_object.canary_code.key
  start_canary         = var.canary_start

  success_retention_period = var.canary_run_retention_days
  failure_retention_period = var.canary_run_retention_days

  schedule {
    expression = var.canary_interval_minutes == 1 ? "rate(1 minute)" : "rate(${var.canary_interval_minutes} minutes)"
  }

  run_config {
    timeout_in_seconds = 120
    memory_in_mb       = 1536
    active_tracing     = true
    environment_variables = {
      SHOP_CANARY_BASE_URL = "https://${aws_cloudfront_distribution.ui.domain_name}"
    }
  }

  artifact_config {
    s3_encryption {
      encryption_mode = "SSE_S3"
    }
  }

  depends_on = [aws_iam_role_policy.canary]
}

# A run that fails (SuccessPercent below 100) tells the alert topic; so does a canary that stopped
# running (no data is breaching, unless the canary is deployed stopped).
resource "aws_cloudwatch_metric_alarm" "canary" {
  alarm_name          = "${var.name_prefix}-canary-${local.canary_name}"
  alarm_description   = "The synthetic canary ${local.canary_name} failed a run (docs/canary.md)."
  namespace           = "CloudWatchSynthetics"
  metric_name         = "SuccessPercent"
  dimensions          = { CanaryName = aws_synthetics_canary.shop.name }
  statistic           = "Average"
  period              = var.canary_interval_minutes * 60
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = 100
  treat_missing_data  = var.canary_start ? "breaching" : "notBreaching"
  alarm_actions       = [module.observability.alert_topic_arn]
  ok_actions          = [module.observability.alert_topic_arn]
}

# The returning customer's journey, on the same schedule, code and role (docs/canary.md).
resource "aws_synthetics_canary" "sign_in" {
  count                = local.canary_sign_in ? 1 : 0
  name                 = local.canary_sign_in_name
  artifact_s3_location = "s3://${aws_s3_bucket.canary.bucket}/canary/${local.canary_sign_in_name}/"
  execution_role_arn   = aws_iam_role.canary.arn
  runtime_version      = var.canary_runtime_version
  handler              = "index.handler"
  s3_bucket            = aws_s3_object.canary_code.bucket
  s3_key               = aws_s3_object.canary_code.key
  start_canary         = var.canary_start

  success_retention_period = var.canary_run_retention_days
  failure_retention_period = var.canary_run_retention_days

  schedule {
    expression = var.canary_interval_minutes == 1 ? "rate(1 minute)" : "rate(${var.canary_interval_minutes} minutes)"
  }

  run_config {
    timeout_in_seconds = 120
    memory_in_mb       = 1536
    active_tracing     = true
    environment_variables = {
      SHOP_CANARY_BASE_URL       = "https://${aws_cloudfront_distribution.ui.domain_name}"
      SHOP_CANARY_JOURNEY        = "shop-sign-in"
      SHOP_CANARY_ACCOUNT_SECRET = var.canary_account_secret_arn
    }
  }

  artifact_config {
    s3_encryption {
      encryption_mode = "SSE_S3"
    }
  }

  depends_on = [aws_iam_role_policy.canary]
}

resource "aws_cloudwatch_metric_alarm" "canary_sign_in" {
  count               = local.canary_sign_in ? 1 : 0
  alarm_name          = "${var.name_prefix}-canary-${local.canary_sign_in_name}"
  alarm_description   = "The synthetic canary ${local.canary_sign_in_name} failed a run: customers may not be able to sign in (docs/canary.md)."
  namespace           = "CloudWatchSynthetics"
  metric_name         = "SuccessPercent"
  dimensions          = { CanaryName = aws_synthetics_canary.sign_in[0].name }
  statistic           = "Average"
  period              = var.canary_interval_minutes * 60
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = 100
  treat_missing_data  = var.canary_start ? "breaching" : "notBreaching"
  alarm_actions       = [module.observability.alert_topic_arn]
  ok_actions          = [module.observability.alert_topic_arn]
}

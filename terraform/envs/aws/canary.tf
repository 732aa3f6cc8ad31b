# The synthetic canaries in AWS: CloudWatch Synthetics runs the lab's canary journeys
# (app/web/canary/journey.ts, packaged with its Synthetics handler by app/web/canary/package.ts into
# canary/shop-canary.zip) against the shop's public URL on a schedule, with active tracing, and an
# alarm per canary tells the alert topic when a run fails. docs/canary.md.
#
# - `<p>-purchase` (shop-purchase): the shopper's way to the checkout; always.
# - `<p>-sign-in` (shop-sign-in): the returning customer signs in, reads the order history, signs
#   out; only with `canary_account_secret_arn`, a Secrets Manager secret holding the canary's own
#   account ({"email", "password"}), made out of band: its password is in no Terraform state and no
#   environment variable.
# - `<p>-back-office` (shop-back-office): the canary's admin (the viewer role only) signs in with its
#   second factor, reads the dashboard and the orders, signs out; only with
#   `canary_admin_secret_arn` ({"email", "password", "totp_secret"}), made the same way.
#
# One package for all three (SHOP_CANARY_JOURNEY picks the journey), one canary, role, policy and
# alarm per journey (for_each over local.canaries). Each role follows the permissions Synthetics
# documents for a canary that needs no VPC and no KMS key: its own artefacts (S3), its own Lambda
# function's log group, PutMetricData held to the CloudWatchSynthetics namespace, X-Ray for active
# tracing, and its own account's secret, nothing else: the purchase canary cannot read the admin's
# secret. As in iam.tf, Resource "*" only where AWS has no resource-level permissions.

locals {
  # key → the journey, its canary's name, the secret it reads ("" for none), what its alarm says.
  canary_journeys = {
    purchase = { journey = "shop-purchase", secret = "", alarm = "failed a run" }
    sign-in  = { journey = "shop-sign-in", secret = var.canary_account_secret_arn, alarm = "failed a run: customers may not be able to sign in" }
    back-office = {
      journey = "shop-back-office", secret = var.canary_admin_secret_arn, alarm = "failed a run: the back office may be down, or admins unable to sign in"
    }
  }
  # The purchase canary always; the others when their secret is given.
  canaries   = { for k, c in local.canary_journeys : k => merge(c, { name = "${var.name_prefix}-${k}" }) if k == "purchase" || c.secret != "" }
  canary_zip = "${path.module}/canary/shop-canary.zip"
  canary_policies = { for k, c in local.canaries : k => {
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid      = "Artifacts"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:GetObject"]
        Resource = ["${aws_s3_bucket.canary.arn}/canary/${c.name}/*"]
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
        Resource = ["arn:aws:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:/aws/lambda/cwsyn-${c.name}-*"]
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
      ], c.secret == "" ? [] : [{
        Sid      = "CanaryAccount"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = c.secret
    }])
  } }
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
  for_each = local.canaries
  name     = "${var.name_prefix}-${var.environment}-canary-${each.key}"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy" "canary" {
  for_each = local.canaries
  name     = "canary"
  role     = aws_iam_role.canary[each.key].id
  policy   = jsonencode(local.canary_policies[each.key])
}

resource "aws_synthetics_canary" "journey" {
  for_each             = local.canaries
  name                 = each.value.name
  artifact_s3_location = "s3://${aws_s3_bucket.canary.bucket}/canary/${each.value.name}/"
  execution_role_arn   = aws_iam_role.canary[each.key].arn
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
    # The secret's ARN, never its content: the handler reads the account at run time.
    environment_variables = merge(
      { SHOP_CANARY_BASE_URL = "https://${aws_cloudfront_distribution.ui.domain_name}", SHOP_CANARY_JOURNEY = each.value.journey },
      each.value.secret == "" ? {} : { SHOP_CANARY_ACCOUNT_SECRET = each.value.secret },
    )
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
  for_each            = local.canaries
  alarm_name          = "${var.name_prefix}-canary-${each.value.name}"
  alarm_description   = "The synthetic canary ${each.value.name} ${each.value.alarm} (docs/canary.md)."
  namespace           = "CloudWatchSynthetics"
  metric_name         = "SuccessPercent"
  dimensions          = { CanaryName = aws_synthetics_canary.journey[each.key].name }
  statistic           = "Average"
  period              = var.canary_interval_minutes * 60
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = 100
  treat_missing_data  = var.canary_start ? "breaching" : "notBreaching"
  alarm_actions       = [module.observability.alert_topic_arn]
  ok_actions          = [module.observability.alert_topic_arn]
}

# From one resource per canary to one per journey: the canaries keep their names and run history.
# (The roles are renamed, <p>-<env>-canary-<journey>, and so replaced.)
moved {
  from = aws_synthetics_canary.shop
  to   = aws_synthetics_canary.journey["purchase"]
}
moved {
  from = aws_synthetics_canary.sign_in[0]
  to   = aws_synthetics_canary.journey["sign-in"]
}
moved {
  from = aws_cloudwatch_metric_alarm.canary_sign_in[0]
  to   = aws_cloudwatch_metric_alarm.canary["sign-in"]
}
moved {
  from = aws_cloudwatch_metric_alarm.canary
  to   = aws_cloudwatch_metric_alarm.canary["purchase"]
}

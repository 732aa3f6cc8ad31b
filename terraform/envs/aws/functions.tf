# The image-resize function in AWS (docs/functions.md): an admin's original lands in the images
# bucket under originals/, S3 notifies the originals queue (modules/storage/originals.tf, made here
# with originals_queue = true in main.tf), and an SQS event-source mapping invokes the function with
# one message at a time. The function reads the original, writes products/{id}/{revision}/… back to
# the same bucket and records the result in the shop's database, whose URL it reads at cold start
# from the DATABASE_URL secret (database.tf) that SHOP_DATABASE_URL_SECRET names.
#
# - The package is what cargo-lambda writes (docs/terraform.md, "envs/aws: the image-resize
#   function"): `cargo lambda build --release --arm64 --output-format zip -p shop-functions
#   --bin image-resize --features <telemetry_backend>` → target/lambda/image-resize/bootstrap.zip.
#   validate and the mock test need no package (no hash without the file); a real apply does.
# - Runtime provided.al2023 (the binary is its own runtime client: lambda_runtime), arm64 unless
#   image_resize_architecture says x86_64 (the package must be built for the same one).
# - In the private subnets with a security group of its own: HTTPS out (S3, Secrets Manager, X-Ray,
#   CloudWatch through the NAT gateway) and MySQL to the database, whose security group admits it
#   (network.tf).
# - Telemetry: SHOP_TELEMETRY = telemetry_backend, with the backend's variables as the ECS tasks get
#   them (ecs.tf, local.telemetry_env); X-Ray active tracing, so the function's segments continue
#   Lambda's. With otel, AWS's ADOT collector Lambda layer takes the place of the sidecar: the
#   function sends OTLP to it on 127.0.0.1:4318, and it loads the small collector configuration
#   below from an environment variable (the layer's env: confmap provider).
# - The role: read originals/*, write products/*, HeadBucket (s3:ListBucket) on the images bucket,
#   consume the originals queue, write its own log group, read the database URL secret (that one
#   secret), the backend's telemetry statements (iam.tf), and the ENIs of a function in a VPC (the
#   AWS managed policy AWSLambdaENIManagementAccess, whose ec2 actions have no resource-level
#   permissions).
# - The originals dead-letter queue has an alarm like the messaging module's (main.tf: dlq_names,
#   key image-originals); the function's own errors and throttles have theirs (below), sooner:
#   the dead-letter alarm waits for originals_max_receive_count failed receives of one original.
# The catalog service hands its uploads to the function (ecs.tf: SHOP_IMAGE_RESIZE=function).

locals {
  image_resize_name = "${var.name_prefix}-image-resize"
  # The originals queue's visibility timeout (modules/storage/originals.tf; the module does not
  # export it). The function's timeout must stay below it (variables.tf holds it there).
  originals_visibility_timeout_seconds = 60
  image_resize_package                 = coalesce(var.image_resize_package, "${local.repo_root}/target/lambda/image-resize/bootstrap.zip")
  image_resize_log_group               = "/aws/lambda/${local.image_resize_name}"
  images_bucket_arn                    = module.storage.bucket_arns["images"]

  # The ADOT collector layer for the function's architecture, as AWS's account 901920570463
  # publishes it per region (amd64 is the x86_64 one); the version is not checked from here.
  adot_lambda_layer_arn = var.adot_lambda_layer_arn != "" ? var.adot_lambda_layer_arn : (
    "arn:aws:lambda:${data.aws_region.current.name}:901920570463:layer:aws-otel-collector-${var.image_resize_architecture == "arm64" ? "arm64" : "amd64"}-ver-0-117-0:1"
  )

  # The layer's collector (only otlp, awsxray, awsemf, prometheus*, otlp* and debug are in it; no
  # processors, no CloudWatch Logs exporter): traces to X-Ray, metrics as EMF into the same
  # namespace and log group as the sidecars' (collector/aws.yaml), by service.name. The
  # function's log records are its stdout JSON lines in its own log group; what it also sends as
  # OTLP logs the collector accepts and drops (debug at basic verbosity prints a count).
  image_resize_collector = yamlencode({
    receivers = { otlp = { protocols = { http = { endpoint = "localhost:4318" } } } }
    exporters = {
      awsxray = { aws_log_groups = [local.image_resize_log_group] }
      awsemf = {
        namespace                            = "ObservabilityShopLab/otel"
        log_group_name                       = "/observability-shop-lab/otel/metrics"
        log_stream_name                      = "{ServiceName}"
        resource_to_telemetry_conversion     = { enabled = true }
        dimension_rollup_option              = "NoDimensionRollup"
        retain_initial_value_of_delta_metric = true
        metric_declarations                  = [{ dimensions = [["service.name"]], metric_name_selectors = [".*"] }]
      }
      debug = { verbosity = "basic" }
    }
    service = {
      pipelines = {
        traces  = { receivers = ["otlp"], exporters = ["awsxray"] }
        metrics = { receivers = ["otlp"], exporters = ["awsemf"] }
        logs    = { receivers = ["otlp"], exporters = ["debug"] }
      }
    }
  })

  # No DATABASE_URL: the function reads the URL from the secret SHOP_DATABASE_URL_SECRET names
  # (its ARN, no value), once per cold start (app/functions/src/database_url.rs).
  image_resize_env = merge(
    {
      SHOP_IMAGES_BUCKET       = module.storage.bucket_names["images"]
      SHOP_DATABASE_URL_SECRET = aws_secretsmanager_secret.database_url.arn
      SHOP_DB_MAX_CONNECTIONS  = "2"
      SHOP_TELEMETRY           = var.telemetry_backend
      SHOP_ENVIRONMENT         = var.environment
    },
    { for e in local.telemetry_env[var.telemetry_backend] : e.name => e.value },
    local.otel ? {
      OPENTELEMETRY_COLLECTOR_CONFIG_URI = "env:SHOP_COLLECTOR_LAMBDA"
      SHOP_COLLECTOR_LAMBDA              = local.image_resize_collector
    } : {},
  )

  image_resize_policy = {
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "ReadOriginals"
          Effect   = "Allow"
          Action   = ["s3:GetObject"]
          Resource = ["${local.images_bucket_arn}/originals/*"]
        },
        {
          Sid      = "WritePictures"
          Effect   = "Allow"
          Action   = ["s3:PutObject"]
          Resource = ["${local.images_bucket_arn}/products/*"]
        },
        # The object store asks HeadBucket before its first put (ObjectStore::ensure_bucket), which
        # needs s3:ListBucket on the bucket; with it, a missing original is a 404, not a 403.
        {
          Sid      = "ImagesBucket"
          Effect   = "Allow"
          Action   = ["s3:ListBucket"]
          Resource = [local.images_bucket_arn]
        },
        {
          Sid      = "ConsumeOriginals"
          Effect   = "Allow"
          Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]
          Resource = [module.storage.originals_queue.arn]
        },
        {
          Sid      = "FunctionLogs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = ["arn:aws:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:${local.image_resize_log_group}:*"]
        },
        # The database URL at cold start: that one secret. No kms:Decrypt: the secret is encrypted
        # with Secrets Manager's AWS managed key (database.tf sets no kms_key_id), whose key policy
        # lets Secrets Manager decrypt for any principal of the account allowed to read the secret.
        # A customer-managed key would need kms:Decrypt on it here.
        {
          Sid      = "DatabaseUrl"
          Effect   = "Allow"
          Action   = ["secretsmanager:GetSecretValue"]
          Resource = [aws_secretsmanager_secret.database_url.arn]
        },
      ],
      # Active tracing: Lambda sends the function's segments with the function's role, whatever
      # the backend; the backends' statements (empty for noop) include X-Ray.
      local.telemetry_statements,
      [for st in [{
        Sid      = "XRay"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        Resource = "*"
      }] : st if var.telemetry_backend == "noop"],
    )
  }
}

resource "aws_cloudwatch_log_group" "image_resize" {
  name              = local.image_resize_log_group
  retention_in_days = var.log_retention_days
}

resource "aws_iam_role" "image_resize" {
  name = "${var.name_prefix}-${var.environment}-image-resize"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy" "image_resize" {
  name   = "image-resize"
  role   = aws_iam_role.image_resize.id
  policy = jsonencode(local.image_resize_policy)
}

# The ENIs of a function in a VPC: ec2:CreateNetworkInterface, DescribeNetworkInterfaces,
# DeleteNetworkInterface, AssignPrivateIpAddresses, UnassignPrivateIpAddresses on "*" (no
# resource-level permissions). Not AWSLambdaVPCAccessExecutionRole: that one adds logs on "*".
resource "aws_iam_role_policy_attachment" "image_resize_eni" {
  role       = aws_iam_role.image_resize.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaENIManagementAccess"
}

resource "aws_security_group" "image_resize" {
  name        = "${var.name_prefix}-image-resize"
  description = "The image-resize function"
  vpc_id      = aws_vpc.main.id
}

# AWS APIs (HTTPS) and the database; nothing comes in.
resource "aws_vpc_security_group_egress_rule" "image_resize_https" {
  security_group_id = aws_security_group.image_resize.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "image_resize_to_db" {
  security_group_id            = aws_security_group.image_resize.id
  referenced_security_group_id = aws_security_group.db.id
  ip_protocol                  = "tcp"
  from_port                    = 3306
  to_port                      = 3306
}

resource "aws_lambda_function" "image_resize" {
  function_name    = local.image_resize_name
  description      = "Resizes an original under originals/ into the catalog's sizes (docs/functions.md)"
  role             = aws_iam_role.image_resize.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.image_resize_architecture]
  filename         = local.image_resize_package
  source_code_hash = fileexists(local.image_resize_package) ? filebase64sha256(local.image_resize_package) : null
  memory_size      = var.image_resize_memory_mb
  timeout          = var.image_resize_timeout_seconds
  layers           = local.otel ? [local.adot_lambda_layer_arn] : []

  vpc_config {
    subnet_ids         = aws_subnet.private[*].id
    security_group_ids = [aws_security_group.image_resize.id]
  }

  tracing_config {
    mode = "Active"
  }

  environment {
    # The secret's ARN, not the URL: the function calls GetSecretValue once per cold start (its
    # role may read that secret only), so whoever may read the function's configuration
    # (lambda:GetFunctionConfiguration) learns which secret, not the password. Secrets Manager is
    # reached through the NAT gateway (HTTPS out, like S3 and X-Ray). A password changed in
    # Secrets Manager reaches new execution environments without an apply; warm ones keep the
    # URL they read until Lambda replaces them.
    variables = local.image_resize_env
  }

  depends_on = [
    aws_cloudwatch_log_group.image_resize,
    aws_iam_role_policy.image_resize,
    aws_iam_role_policy_attachment.image_resize_eni,
    # The function reads the secret's current version at its first cold start: it must exist by
    # then (the environment names only the secret, which has no version when first created).
    aws_secretsmanager_secret_version.database_url,
  ]
}

# One message (one original) per invocation: the function answers with what it resized, not with
# a partial batch response (no ReportBatchItemFailures), so any failure retries its whole batch; a
# batch of one retries only the original that failed, and after originals_max_receive_count
# receives it goes to the dead-letter queue (alarm shop-dlq-image-originals). At most
# image_resize_max_concurrency functions at once, each with up to SHOP_DB_MAX_CONNECTIONS
# connections to the database.
resource "aws_lambda_event_source_mapping" "image_resize" {
  event_source_arn = module.storage.originals_queue.arn
  function_name    = aws_lambda_function.image_resize.arn
  batch_size       = 1
  scaling_config {
    maximum_concurrency = var.image_resize_max_concurrency
  }
}

# The function's health from Lambda's own metrics (AWS/Lambda, by FunctionName), on the alert topic
# like every other alarm. Any error in five minutes: an invocation that failed (an S3 or database
# error, a timeout, a crash) leaves its original on the queue to be retried, so users see only a
# picture that is late, and the dead-letter alarm would speak only after the last retry. Any
# throttle: the account's (or a reserved) concurrency was exhausted, so originals wait; the mapping's
# maximum_concurrency holds invocations back without throttles, so this one means capacity.
# No data (no upload in the period) is not breaching: the function is idle, not broken.
locals {
  image_resize_alarms = {
    errors    = { metric = "Errors", what = "failed an invocation (S3, database, timeout or crash; the original is retried, then dead-lettered)" }
    throttles = { metric = "Throttles", what = "was throttled: the account's or a reserved concurrency is exhausted, originals wait" }
  }
}

resource "aws_cloudwatch_metric_alarm" "image_resize" {
  for_each            = local.image_resize_alarms
  alarm_name          = "${local.image_resize_name}-${each.key}"
  alarm_description   = "The image-resize function ${each.value.what} (docs/functions.md)."
  namespace           = "AWS/Lambda"
  metric_name         = each.value.metric
  dimensions          = { FunctionName = aws_lambda_function.image_resize.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [module.observability.alert_topic_arn]
  ok_actions          = [module.observability.alert_topic_arn]
}

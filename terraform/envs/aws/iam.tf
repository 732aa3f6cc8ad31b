# Least privilege per service: each task role may do what its service does, on its own resources,
# and nothing else; no role has a `*` action or a service-wide `service:*`. The policies are built
# with jsonencode (not aws_iam_policy_document) so that the mock-provider test can read them.
#
# Resource "*" remains only where AWS has no resource-level permissions: X-Ray's
# PutTraceSegments/PutTelemetryRecords/GetSamplingRules/GetSamplingTargets and CloudWatch's
# PutMetricData (narrowed by the cloudwatch:namespace condition instead).

locals {
  telemetry_statements = [for st in [
    {
      Sid      = "XRay"
      Effect   = "Allow"
      Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"]
      Resource = "*"
    },
    {
      Sid       = "Metrics"
      Effect    = "Allow"
      Action    = ["cloudwatch:PutMetricData"]
      Resource  = "*"
      Condition = { StringEquals = { "cloudwatch:namespace" = local.otel ? "ObservabilityShopLab/otel" : "ShopLab" } }
    },
    {
      Sid    = "Logs"
      Effect = "Allow"
      Action = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
      Resource = local.otel ? [
        "arn:aws:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:/observability-shop-lab/otel:*",
        "arn:aws:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:/observability-shop-lab/otel/*",
        ] : [
        "arn:aws:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:${local.log_group_base}:*",
        "arn:aws:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:${local.log_group_base}/*",
      ]
    },
  ] : st if var.telemetry_backend != "noop"]

  service_statements = {
    for s, r in local.roles : s => concat(
      [for st in [{
        Sid      = "PublishEvents"
        Effect   = "Allow"
        Action   = ["events:PutEvents"]
        Resource = module.messaging.bus_arn
      }] : st if r.events],
      [for st in [
        {
          Sid      = "ConsumeNotifications"
          Effect   = "Allow"
          Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"]
          Resource = [for q in module.messaging.queues : q.arn]
        },
        {
          Sid       = "SendMail"
          Effect    = "Allow"
          Action    = ["ses:SendEmail", "ses:SendRawEmail"]
          Resource  = "arn:aws:ses:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:identity/*"
          Condition = { StringEquals = { "ses:FromAddress" = var.mail_from } }
        },
      ] : st if r.notifications],
      [for st in [{
        Sid      = "Images"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"]
        Resource = [module.storage.bucket_arns["images"], "${module.storage.bucket_arns["images"]}/*"]
      }] : st if r.images],
      [for st in [{
        Sid      = "Exports"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:GetObject", "s3:ListBucket"]
        Resource = [module.storage.bucket_arns["exports"], "${module.storage.bucket_arns["exports"]}/*"]
      }] : st if r.exports],
      # The intake writes recordings; reading them is for people with the bucket's own access.
      [for st in [{
        Sid      = "Replays"
        Effect   = "Allow"
        Action   = ["s3:PutObject"]
        Resource = ["${module.storage.bucket_arns["replays"]}/replays/*"]
      }] : st if r.replays && local.replay],
      local.telemetry_statements,
    )
  }

  task_policies = { for s, st in local.service_statements : s => { Version = "2012-10-17", Statement = st } if length(st) > 0 }

  execution_policy = {
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid      = "Logs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = [for g in aws_cloudwatch_log_group.ecs : "${g.arn}:*"]
      },
      {
        Sid      = "DatabaseUrl"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = aws_secretsmanager_secret.database_url.arn
      },
      ],
      # Images from a private registry: ECS pulls them with the execution role. The token is
      # account-wide (GetAuthorizationToken has no resource-level permission); the layers and
      # manifests only from the repositories named.
      length(var.ecr_repository_arns) == 0 ? [] : [
        {
          Sid      = "EcrAuth"
          Effect   = "Allow"
          Action   = ["ecr:GetAuthorizationToken"]
          Resource = ["*"]
        },
        {
          Sid      = "EcrPull"
          Effect   = "Allow"
          Action   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
          Resource = var.ecr_repository_arns
        },
    ])
  }

  ecs_trust = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })
}

resource "aws_iam_role" "execution" {
  name               = "${var.name_prefix}-${var.environment}-execution"
  assume_role_policy = local.ecs_trust
}

resource "aws_iam_role_policy" "execution" {
  name   = "execution"
  role   = aws_iam_role.execution.id
  policy = jsonencode(local.execution_policy)
}

resource "aws_iam_role" "task" {
  for_each           = local.roles
  name               = "${var.name_prefix}-${var.environment}-${each.key}"
  assume_role_policy = local.ecs_trust
}

resource "aws_iam_role_policy" "task" {
  for_each = local.task_policies
  name     = "shop-${each.key}"
  role     = aws_iam_role.task[each.key].id
  policy   = jsonencode(each.value)
}

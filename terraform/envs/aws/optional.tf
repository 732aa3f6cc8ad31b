# Seed 003's further AWS services, each behind a toggle that is off by default: CloudTrail, Managed
# Prometheus, AWS Config, Managed Grafana, OpenSearch for logs, DevOps Guru. (The RUM app monitor:
# rum.tf; the Synthetics canary: canary.tf; the FIS templates: fis.tf.)

locals {
  trail_bucket = "${var.name_prefix}-${var.environment}-trail-${data.aws_caller_identity.current.account_id}"
}

module "trail_bucket" {
  source = "../../modules/private_bucket"
  count  = var.enable_cloudtrail ? 1 : 0
  name   = local.trail_bucket
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "CloudTrailAcl"
        Effect    = "Allow"
        Principal = { Service = "cloudtrail.amazonaws.com" }
        Action    = "s3:GetBucketAcl"
        Resource  = "arn:aws:s3:::${local.trail_bucket}"
      },
      {
        Sid       = "CloudTrailWrite"
        Effect    = "Allow"
        Principal = { Service = "cloudtrail.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "arn:aws:s3:::${local.trail_bucket}/AWSLogs/${data.aws_caller_identity.current.account_id}/*"
        Condition = { StringEquals = { "s3:x-amz-acl" = "bucket-owner-full-control" } }
      },
    ]
  })
}

# The trail's bucket was three resources here before; state made then moves without a destroy.
moved {
  from = aws_s3_bucket.trail[0]
  to   = module.trail_bucket[0].aws_s3_bucket.this
}
moved {
  from = aws_s3_bucket_public_access_block.trail[0]
  to   = module.trail_bucket[0].aws_s3_bucket_public_access_block.this
}
moved {
  from = aws_s3_bucket_policy.trail[0]
  to   = module.trail_bucket[0].aws_s3_bucket_policy.this[0]
}

resource "aws_cloudtrail" "main" {
  count                         = var.enable_cloudtrail ? 1 : 0
  name                          = "${var.name_prefix}-${var.environment}"
  s3_bucket_name                = module.trail_bucket[0].id
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  depends_on                    = [module.trail_bucket]
}

resource "aws_prometheus_workspace" "main" {
  count = var.enable_managed_prometheus ? 1 : 0
  alias = "${var.name_prefix}-${var.environment}"
}

# ---------------------------------------------------------------- AWS Config

# Records the configuration of the kinds of resource this stack is made of (not every kind: Config
# bills per item recorded) and checks a few rules that this configuration promises (asserted by the
# tests already) so that a change made by hand in the console shows up as non-compliant. A
# compliance change to NON_COMPLIANT reaches the alert topic through EventBridge.
locals {
  config_resource_types = [
    "AWS::ECS::Cluster", "AWS::ECS::Service", "AWS::ECS::TaskDefinition",
    "AWS::RDS::DBInstance", "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::S3::Bucket", "AWS::CloudFront::Distribution", "AWS::IAM::Role", "AWS::IAM::Policy",
    "AWS::Logs::LogGroup", "AWS::SQS::Queue", "AWS::SNS::Topic", "AWS::EC2::SecurityGroup",
  ]
  # Managed rules: https://docs.aws.amazon.com/config/latest/developerguide/managed-rules-by-aws-config.html
  config_rules = {
    s3-public-read-prohibited  = { source = "S3_BUCKET_PUBLIC_READ_PROHIBITED", parameters = null }
    s3-public-write-prohibited = { source = "S3_BUCKET_PUBLIC_WRITE_PROHIBITED", parameters = null }
    rds-storage-encrypted      = { source = "RDS_STORAGE_ENCRYPTED", parameters = null }
    rds-deletion-protection    = { source = "RDS_INSTANCE_DELETION_PROTECTION_ENABLED", parameters = null }
    log-group-retention        = { source = "CW_LOGGROUP_RETENTION_PERIOD_CHECK", parameters = jsonencode({ MinRetentionTime = tostring(var.log_retention_days) }) }
    iam-no-admin-access-policy = { source = "IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS", parameters = null }
  }
}

locals {
  config_bucket = "${var.name_prefix}-${var.environment}-config-${data.aws_caller_identity.current.account_id}"
}

module "config_bucket" {
  source = "../../modules/private_bucket"
  count  = var.enable_config ? 1 : 0
  name   = local.config_bucket
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "ConfigAcl"
        Effect    = "Allow"
        Principal = { Service = "config.amazonaws.com" }
        Action    = ["s3:GetBucketAcl", "s3:ListBucket"]
        Resource  = "arn:aws:s3:::${local.config_bucket}"
        Condition = { StringEquals = { "AWS:SourceAccount" = data.aws_caller_identity.current.account_id } }
      },
      {
        Sid       = "ConfigWrite"
        Effect    = "Allow"
        Principal = { Service = "config.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "arn:aws:s3:::${local.config_bucket}/AWSLogs/${data.aws_caller_identity.current.account_id}/Config/*"
        Condition = { StringEquals = { "s3:x-amz-acl" = "bucket-owner-full-control", "AWS:SourceAccount" = data.aws_caller_identity.current.account_id } }
      },
    ]
  })
}

resource "aws_iam_role" "config" {
  count = var.enable_config ? 1 : 0
  name  = "${var.name_prefix}-${var.environment}-config"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "config.amazonaws.com" } }]
  })
}

# AWS's managed policy for the recorder: read-only Describe/List/Get on the recorded kinds.
resource "aws_iam_role_policy_attachment" "config" {
  count      = var.enable_config ? 1 : 0
  role       = aws_iam_role.config[0].name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole"
}

resource "aws_config_configuration_recorder" "main" {
  count    = var.enable_config ? 1 : 0
  name     = "${var.name_prefix}-${var.environment}"
  role_arn = aws_iam_role.config[0].arn
  recording_group {
    all_supported  = false
    resource_types = local.config_resource_types
  }
  # Daily, not on every change: a lab's stack changes often and is billed per item recorded.
  recording_mode {
    recording_frequency = "DAILY"
  }
}

resource "aws_config_delivery_channel" "main" {
  count          = var.enable_config ? 1 : 0
  name           = "${var.name_prefix}-${var.environment}"
  s3_bucket_name = module.config_bucket[0].id
  depends_on     = [aws_config_configuration_recorder.main, module.config_bucket]
}

resource "aws_config_configuration_recorder_status" "main" {
  count      = var.enable_config ? 1 : 0
  name       = aws_config_configuration_recorder.main[0].name
  is_enabled = true
  depends_on = [aws_config_delivery_channel.main]
}

resource "aws_config_config_rule" "rule" {
  for_each = var.enable_config ? local.config_rules : {}
  name     = "${var.name_prefix}-${var.environment}-${each.key}"
  source {
    owner             = "AWS"
    source_identifier = each.value.source
  }
  input_parameters = each.value.parameters
  depends_on       = [aws_config_configuration_recorder.main]
}

resource "aws_cloudwatch_event_rule" "config_noncompliant" {
  count       = var.enable_config ? 1 : 0
  name        = "${var.name_prefix}-${var.environment}-config-noncompliant"
  description = "A resource of this stack turned NON_COMPLIANT with one of its AWS Config rules."
  event_pattern = jsonencode({
    source        = ["aws.config"]
    "detail-type" = ["Config Rules Compliance Change"]
    detail = {
      configRuleName      = [for r in aws_config_config_rule.rule : r.name]
      newEvaluationResult = { complianceType = ["NON_COMPLIANT"] }
    }
  })
}

resource "aws_cloudwatch_event_target" "config_noncompliant" {
  count = var.enable_config ? 1 : 0
  rule  = aws_cloudwatch_event_rule.config_noncompliant[0].name
  arn   = module.observability.alert_topic_arn
}

# ---------------------------------------------------------------- Amazon Managed Grafana

# A workspace that reads this account's CloudWatch metrics and logs, X-Ray traces and (with
# enable_managed_prometheus) the Prometheus workspace. SERVICE_MANAGED: Grafana creates the role
# with AWS's read-only policies for these data sources. Sign-in through IAM Identity Center, which
# the account must have; the dashboards themselves are CloudWatch's (dashboards.md).
resource "aws_grafana_workspace" "main" {
  count                     = var.enable_managed_grafana ? 1 : 0
  name                      = "${var.name_prefix}-${var.environment}"
  description               = "Shop lab ${var.environment}: CloudWatch, X-Ray${var.enable_managed_prometheus ? ", Prometheus" : ""}"
  account_access_type       = "CURRENT_ACCOUNT"
  authentication_providers  = ["AWS_SSO"]
  permission_type           = "SERVICE_MANAGED"
  data_sources              = concat(["CLOUDWATCH", "XRAY"], var.enable_managed_prometheus ? ["PROMETHEUS"] : [])
  notification_destinations = ["SNS"]
}

# ---------------------------------------------------------------- OpenSearch for logs

# The shop's log group copied into an OpenSearch domain, for full-text search and Dashboards beside
# Logs Insights: a subscription filter sends every event to a Firehose stream, which unpacks
# CloudWatch Logs' gzip envelopes (its Decompression and CloudWatchLogProcessing processors: one
# document per log line, no Lambda function) and indexes them daily; documents OpenSearch refuses
# go to a bucket.
locals {
  opensearch = var.enable_opensearch_logs ? 1 : 0
}

resource "aws_opensearch_domain" "logs" {
  count          = local.opensearch
  domain_name    = "${var.name_prefix}-${var.environment}-logs"
  engine_version = var.opensearch_engine_version
  cluster_config {
    instance_type  = var.opensearch_instance_type
    instance_count = 1
  }
  ebs_options {
    ebs_enabled = true
    volume_type = "gp3"
    volume_size = 10
  }
  encrypt_at_rest {
    enabled = true
  }
  node_to_node_encryption {
    enabled = true
  }
  domain_endpoint_options {
    enforce_https       = true
    tls_security_policy = "Policy-Min-TLS-1-2-2019-07"
  }
  # Only the delivery role may write; readers are granted by the account's own IAM policies.
  access_policies = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = aws_iam_role.firehose_logs[0].arn }
      Action    = ["es:ESHttpPost", "es:ESHttpPut", "es:ESHttpGet"]
      Resource  = "arn:aws:es:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:domain/${var.name_prefix}-${var.environment}-logs/*"
    }]
  })
}

module "opensearch_failed_bucket" {
  source = "../../modules/private_bucket"
  count  = local.opensearch
  name   = "${var.name_prefix}-${var.environment}-logs-failed-${data.aws_caller_identity.current.account_id}"
}

resource "aws_iam_role" "firehose_logs" {
  count = local.opensearch
  name  = "${var.name_prefix}-${var.environment}-logs-firehose"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "firehose.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy" "firehose_logs" {
  count = local.opensearch
  name  = "deliver"
  role  = aws_iam_role.firehose_logs[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Index"
        Effect   = "Allow"
        Action   = ["es:DescribeDomain", "es:DescribeDomains", "es:DescribeDomainConfig", "es:ESHttpPost", "es:ESHttpPut", "es:ESHttpGet"]
        Resource = [aws_opensearch_domain.logs[0].arn, "${aws_opensearch_domain.logs[0].arn}/*"]
      },
      {
        Sid      = "FailedDocuments"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:GetBucketLocation", "s3:ListBucket", "s3:AbortMultipartUpload"]
        Resource = [module.opensearch_failed_bucket[0].arn, "${module.opensearch_failed_bucket[0].arn}/*"]
      },
    ]
  })
}

resource "aws_kinesis_firehose_delivery_stream" "logs" {
  count       = local.opensearch
  name        = "${var.name_prefix}-${var.environment}-logs"
  destination = "opensearch"
  opensearch_configuration {
    domain_arn            = aws_opensearch_domain.logs[0].arn
    role_arn              = aws_iam_role.firehose_logs[0].arn
    index_name            = "shop-logs"
    index_rotation_period = "OneDay"
    s3_backup_mode        = "FailedDocumentsOnly"
    s3_configuration {
      role_arn   = aws_iam_role.firehose_logs[0].arn
      bucket_arn = module.opensearch_failed_bucket[0].arn
    }
    processing_configuration {
      enabled = true
      processors {
        type = "Decompression"
        parameters {
          parameter_name  = "CompressionFormat"
          parameter_value = "GZIP"
        }
      }
      processors {
        type = "CloudWatchLogProcessing"
        parameters {
          parameter_name  = "DataMessageExtraction"
          parameter_value = "true"
        }
      }
    }
  }
  depends_on = [aws_iam_role_policy.firehose_logs]
}

resource "aws_iam_role" "logs_to_firehose" {
  count = local.opensearch
  name  = "${var.name_prefix}-${var.environment}-logs-subscription"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "logs.amazonaws.com" }
      Condition = { StringLike = { "aws:SourceArn" = "arn:aws:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:*" } }
    }]
  })
}

resource "aws_iam_role_policy" "logs_to_firehose" {
  count = local.opensearch
  name  = "put"
  role  = aws_iam_role.logs_to_firehose[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "Deliver"
      Effect   = "Allow"
      Action   = ["firehose:PutRecord", "firehose:PutRecordBatch"]
      Resource = aws_kinesis_firehose_delivery_stream.logs[0].arn
    }]
  })
}

resource "aws_cloudwatch_log_subscription_filter" "logs_to_opensearch" {
  count           = local.opensearch
  name            = "opensearch"
  log_group_name  = module.observability.log_group_names["app"]
  filter_pattern  = ""
  destination_arn = aws_kinesis_firehose_delivery_stream.logs[0].arn
  role_arn        = aws_iam_role.logs_to_firehose[0].arn
  depends_on      = [aws_iam_role_policy.logs_to_firehose]
}

# ---------------------------------------------------------------- DevOps Guru

# DevOps Guru analyses the resources tagged with its application-boundary key (main.tf adds the tag
# to every resource of this stack when this is on) and publishes its insights to the alert topic.
resource "aws_devopsguru_resource_collection" "main" {
  count = var.enable_devops_guru ? 1 : 0
  type  = "AWS_TAGS"
  tags {
    app_boundary_key = local.devops_guru_tag
    tag_values       = [var.environment]
  }
}

resource "aws_devopsguru_notification_channel" "alerts" {
  count = var.enable_devops_guru ? 1 : 0
  sns {
    topic_arn = module.observability.alert_topic_arn
  }
  filters {
    severities    = ["MEDIUM", "HIGH"]
    message_types = ["NEW_INSIGHT", "SEVERITY_UPGRADED", "CLOSED_INSIGHT"]
  }
}

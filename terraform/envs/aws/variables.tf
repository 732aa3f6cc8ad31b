variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "name_prefix" {
  description = "Prefix of every name (the shop's --events-prefix)."
  type        = string
  default     = "shop"
}

variable "environment" {
  description = "The shop's --environment; the log group is /shop-lab/<environment>."
  type        = string
  default     = "prod"
}

variable "telemetry_backend" {
  description = "The shop's telemetry build: otel (OTLP to an ADOT collector sidecar in each task), awssdk (the shop calls X-Ray, CloudWatch and Logs itself; no sidecar) or noop."
  type        = string
  default     = "otel"
  validation {
    condition     = contains(["otel", "awssdk", "noop"], var.telemetry_backend)
    error_message = "telemetry_backend is otel, awssdk or noop."
  }
}

variable "shop_image" {
  description = "The shop's container image (built from the repository's Dockerfile with the backend's cargo feature)."
  type        = string
  default     = "ghcr.io/example/observability-shop-lab:latest"
}

variable "ecr_repository_arns" {
  description = "The private ECR repositories shop_image (and any other task image) is pulled from. The task execution role may then get an ECR token and pull from these repositories only. Empty (default): the images are public (ghcr.io, public.ecr.aws) and the role has no ECR permission."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for a in var.ecr_repository_arns : can(regex("^arn:aws[a-z-]*:ecr:[a-z0-9-]+:[0-9]{12}:repository/[a-z0-9._/-]+$", a))])
    error_message = "ecr_repository_arns: repository ARNs (arn:aws:ecr:<region>:<account>:repository/<name>)."
  }
}

variable "release" {
  description = "The release the services report as service.version (on traces and every access-log line: the by-version saved query sets a release beside the one before it). Empty: shop_image's tag."
  type        = string
  default     = ""
}

variable "adot_image" {
  description = "The ADOT collector image (the sidecar of the otel backend); the same version docker-compose.yml runs."
  type        = string
  default     = "public.ecr.aws/aws-observability/aws-otel-collector:v0.49.0"
}

variable "services" {
  description = "The split topology: one ECS service per shop role, its size and count."
  type = map(object({
    cpu           = number
    memory        = number
    desired_count = number
  }))
  default = {
    catalog   = { cpu = 512, memory = 1024, desired_count = 2 }
    orders    = { cpu = 512, memory = 1024, desired_count = 2 }
    inventory = { cpu = 256, memory = 512, desired_count = 2 }
  }
  validation {
    condition     = alltrue([for k in keys(var.services) : contains(["catalog", "orders", "inventory"], k)]) && length(var.services) == 3
    error_message = "services: exactly catalog, orders and inventory (the shop's --role values of the split topology)."
  }
}

variable "vpc_cidr" {
  type    = string
  default = "10.40.0.0/16"
}

variable "az_count" {
  type    = number
  default = 2
}

variable "db_instance_class" {
  type    = string
  default = "db.t4g.micro"
}

variable "db_multi_az" {
  type    = bool
  default = true
}

variable "deletion_protection" {
  description = "RDS deletion protection and final snapshot (false only for throw-away stacks)."
  type        = bool
  default     = true
}

variable "certificate_arn" {
  description = "An ACM certificate for the ALB's HTTPS listener; empty: HTTP only (a test stack)."
  type        = string
  default     = ""
}

variable "mail_from" {
  type    = string
  default = "shop@example.com"
}

variable "alert_email" {
  description = "Where alarms are mailed (an SNS e-mail subscription, beside the alert queue); empty: none."
  type        = string
  default     = ""
}

variable "log_retention_days" {
  type    = number
  default = 30
}

variable "log_level" {
  description = "The shop's log filter (SHOP_LOG, tracing EnvFilter directives): INFO everywhere, DEBUG lines from the shop's own crates, of which log_debug_sample keep theirs."
  type        = string
  default     = "info,shop=debug,shop_core=debug"
}

variable "log_debug_sample" {
  description = "Share of traces whose DEBUG lines are kept (SHOP_LOG_DEBUG_SAMPLE, 0 to 1): a trace keeps all of them or none, chosen by trace id like the trace sampler, so at a share no larger than sampling_rate they fall on sampled traces."
  type        = number
  default     = 0.01
  validation {
    condition     = var.log_debug_sample >= 0 && var.log_debug_sample <= 1
    error_message = "log_debug_sample is a share of traces, between 0 and 1."
  }
}

variable "replay_sample_ratio" {
  description = "Share of browser tab sessions recorded for replay (SHOP_RUM_REPLAY_SAMPLE_RATIO, 0 to 1; 0: off). Inputs and the account, checkout and order pages are masked in the browser and again by the intake (docs/rum.md)."
  type        = number
  default     = 0
  validation {
    condition     = var.replay_sample_ratio >= 0 && var.replay_sample_ratio <= 1
    error_message = "replay_sample_ratio is a share of sessions, between 0 and 1."
  }
}

variable "sampling_rate" {
  type    = number
  default = 0.05
}

# ---- optional services of the production shape, off by default
variable "enable_container_insights" {
  description = "ECS Container Insights on the cluster (container CPU, memory, network)."
  type        = bool
  default     = true
}

variable "enable_cloudtrail" {
  description = "A multi-region CloudTrail trail into a bucket of its own."
  type        = bool
  default     = false
}

variable "enable_managed_prometheus" {
  description = "An Amazon Managed Service for Prometheus workspace (the otel backend's metrics could also go there)."
  type        = bool
  default     = false
}

variable "enable_config" {
  description = "AWS Config: a recorder for this stack's kinds of resource (daily), its bucket, six managed rules, and non-compliance to the alert topic."
  type        = bool
  default     = false
}

variable "enable_managed_grafana" {
  description = "An Amazon Managed Grafana workspace reading CloudWatch, X-Ray (and Prometheus when enabled); sign-in through IAM Identity Center."
  type        = bool
  default     = false
}

variable "enable_opensearch_logs" {
  description = "The shop's log group copied into an OpenSearch domain (subscription filter → Firehose → OpenSearch)."
  type        = bool
  default     = false
}

variable "opensearch_engine_version" {
  type    = string
  default = "OpenSearch_2.13"
}

variable "opensearch_instance_type" {
  type    = string
  default = "t3.small.search"
}

variable "enable_devops_guru" {
  description = "DevOps Guru on this stack's resources (tagged with its application-boundary key), insights to the alert topic."
  type        = bool
  default     = false
}

# ---- the synthetic canary (canary.tf, docs/canary.md)
variable "canary_runtime_version" {
  description = "The CloudWatch Synthetics runtime of the canary: a Node.js Playwright one (the handler imports @aws/synthetics-playwright, the library's name from syn-nodejs-playwright-5.1 on)."
  type        = string
  default     = "syn-nodejs-playwright-5.1"
  validation {
    condition     = can(regex("^syn-nodejs-playwright-([5-9]|[1-9][0-9])\\.[0-9]+$", var.canary_runtime_version)) && var.canary_runtime_version != "syn-nodejs-playwright-5.0"
    error_message = "canary_runtime_version: syn-nodejs-playwright-5.1 or later (the package is a Playwright handler using @aws/synthetics-playwright)."
  }
}

variable "canary_interval_minutes" {
  description = "How often the canary runs (its schedule's rate); also the alarm's period."
  type        = number
  default     = 5
  validation {
    condition     = var.canary_interval_minutes >= 1 && var.canary_interval_minutes <= 60 && floor(var.canary_interval_minutes) == var.canary_interval_minutes
    error_message = "canary_interval_minutes: a whole number from 1 to 60."
  }
}

variable "canary_account_secret_arn" {
  description = "The Secrets Manager secret ({\"email\", \"password\"}) of the canary's own customer account; set, it adds the sign-in canary <p>-sign-in (empty: only the purchase canary)."
  type        = string
  default     = ""
  validation {
    condition     = var.canary_account_secret_arn == "" || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.canary_account_secret_arn))
    error_message = "canary_account_secret_arn: a Secrets Manager secret ARN, or empty."
  }
}

variable "canary_admin_secret_arn" {
  description = "The Secrets Manager secret ({\"email\", \"password\", \"totp_secret\"}) of the canary's own admin, holding the viewer role only; set, it adds the back-office canary <p>-back-office (empty: none)."
  type        = string
  default     = ""
  validation {
    condition     = var.canary_admin_secret_arn == "" || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.canary_admin_secret_arn))
    error_message = "canary_admin_secret_arn: a Secrets Manager secret ARN, or empty."
  }
}

variable "canary_start" {
  description = "Start the canary once created (false: deployed stopped, and its alarm does not treat missing data as a failure)."
  type        = bool
  default     = true
}

variable "canary_run_retention_days" {
  description = "How long Synthetics keeps the records of successful and of failed runs."
  type        = number
  default     = 31
}

variable "canary_artifact_retention_days" {
  description = "How long the canary's files (screenshots, HAR, reports) stay in its bucket."
  type        = number
  default     = 31
}

variable "latency_statistic" {
  description = "The statistic of the awssdk backend's checkout latency alarm (the observability module's latency_statistic): p99 in AWS."
  type        = string
  default     = "p99"
}

# ---- CloudWatch RUM (rum.tf, docs/rum.md)
variable "enable_cloudwatch_rum" {
  description = "A CloudWatch RUM app monitor for the UI, whose web client the UI then loads beside its own telemetry."
  type        = bool
  default     = false
}

variable "rum_session_sample_rate" {
  description = "The share of browser sessions CloudWatch RUM records (it bills per event)."
  type        = number
  default     = 0.1
  validation {
    condition     = var.rum_session_sample_rate >= 0 && var.rum_session_sample_rate <= 1
    error_message = "rum_session_sample_rate is a share, between 0 and 1."
  }
}

# ---- the CDN's monitoring (cdn.tf)
variable "enable_cdn_additional_metrics" {
  description = "CloudFront's additional metrics for the UI's distribution (cache hit rate, origin latency, error rate per status), billed as custom metrics, and the alarm on origin latency."
  type        = bool
  default     = true
}

variable "cdn_5xx_rate_percent" {
  description = "The CDN 5xx alarm's threshold: the share of requests through CloudFront answered 5xx over 5 minutes (%)."
  type        = number
  default     = 5
}

variable "cdn_origin_latency_ms" {
  description = "The CDN origin-latency alarm's threshold: p90 of CloudFront's origin latency over 5 minutes (ms)."
  type        = number
  default     = 1000
}

variable "max_receive_count" {
  description = "Receives of a message before SQS moves it to its dead-letter queue: the messaging module's queues and the image-resize function's originals queue (the shop's SHOP_EVENTS_MAX_RECEIVES)."
  type        = number
  default     = 5
}

# ---- the image-resize function (functions.tf, docs/functions.md)
variable "image_resize_package" {
  description = "The image-resize function's package, as cargo-lambda writes it (`cargo lambda build --release --arm64 --output-format zip -p shop-functions --bin image-resize --features <telemetry_backend>`). Null: <repository>/target/lambda/image-resize/bootstrap.zip."
  type        = string
  default     = null
}

variable "image_resize_architecture" {
  description = "The function's architecture: arm64 (cargo lambda build --arm64) or x86_64 (--x86-64); the package must be built for it."
  type        = string
  default     = "arm64"
  validation {
    condition     = contains(["arm64", "x86_64"], var.image_resize_architecture)
    error_message = "image_resize_architecture is arm64 or x86_64."
  }
}

variable "image_resize_memory_mb" {
  description = "The function's memory (Lambda gives CPU in proportion). An original is at most 8 MiB and 24 million pixels, decoded within 128 MiB (shop_core::catalog::resize)."
  type        = number
  default     = 1024
  validation {
    condition     = var.image_resize_memory_mb >= 128 && var.image_resize_memory_mb <= 10240
    error_message = "image_resize_memory_mb: 128 to 10240."
  }
}

variable "image_resize_timeout_seconds" {
  description = "The function's timeout. Below the originals queue's visibility timeout (60 s), which AWS advises be at least six times the function's timeout: 10 s."
  type        = number
  default     = 10
  validation {
    condition     = var.image_resize_timeout_seconds >= 1 && var.image_resize_timeout_seconds < local.originals_visibility_timeout_seconds
    error_message = "image_resize_timeout_seconds: at least 1 and below the originals queue's visibility timeout (60 s)."
  }
}

variable "image_resize_max_concurrency" {
  description = "At most this many functions at once for the originals queue (the event-source mapping's maximum concurrency, 2 to 1000); each holds up to 2 database connections."
  type        = number
  default     = 5
  validation {
    condition     = var.image_resize_max_concurrency >= 2 && var.image_resize_max_concurrency <= 1000
    error_message = "image_resize_max_concurrency: 2 to 1000."
  }
}

variable "adot_lambda_layer_arn" {
  description = "With telemetry_backend = otel, the ADOT collector Lambda layer the function runs (the sidecar's place). Empty: AWS's aws-otel-collector-<arm64|amd64>-ver-0-117-0:1 in this region."
  type        = string
  default     = ""
}

# ---- FIS inside the tasks (fis_tasks.tf)
variable "enable_fis_task_actions" {
  description = "FIS's aws:ecs:task-* experiments (network latency on inventory, CPU stress on orders): an SSM agent sidecar in every task, registered as a managed instance, and the two templates. Off by default: a container more per task, and a managed instance per running task."
  type        = bool
  default     = false
}

variable "ssm_agent_image" {
  description = "The image of the FIS agent sidecar (AWS's SSM agent; the FIS user guide's). Pin a version tag in production."
  type        = string
  default     = "public.ecr.aws/amazon-ssm-agent/amazon-ssm-agent:latest"
}

variable "fis_latency_ms" {
  description = "The network latency the inventory-network-latency experiment adds to inventory's tasks, in milliseconds (its jitter is a tenth of it). Keep it well under the 10 s orders gives an inventory call (app/core/src/inventory/remote.rs) for the hypothesis to hold."
  type        = number
  default     = 200
  validation {
    condition     = var.fis_latency_ms >= 10 && var.fis_latency_ms <= 5000
    error_message = "fis_latency_ms: between 10 and 5000."
  }
}

# ---- the UI's releases (ui_releases.tf, scripts/deploy-ui.sh)
variable "ui_initial_release" {
  description = "The UI release the key-value store names when it is made (scripts/deploy-ui.sh sets it afterwards; Terraform leaves it alone). Upload that release first: `scripts/deploy-ui.sh <name>`."
  type        = string
  default     = "initial"
  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,64}$", var.ui_initial_release))
    error_message = "ui_initial_release: 1 to 64 letters, digits, '.', '_' or '-' (a directory name under releases/)."
  }
}

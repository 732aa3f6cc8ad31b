# The split topology on ECS Fargate: catalog and orders behind the ALB, inventory reached by orders
# through Cloud Map (inventory.<prefix>.internal). With telemetry_backend = "otel" each task runs
# an ADOT collector sidecar loaded with the lab's pipeline (collector/pipeline.yaml), its AWS
# exporters (collector/aws.yaml) and what only exists in AWS (docker/collector.yaml) — the files
# docker-compose.yml gives ADOT.

locals {
  shop_port = 8080
  # Session replay: opt-in (a recording is behaviour, even masked), and only with a backend.
  replay    = var.replay_sample_ratio > 0 && var.telemetry_backend != "noop"
  repo_root = "${path.module}/../../.."

  # Who talks to what (least privilege per service, iam.tf).
  roles = {
    # replays: the service that answers /api/rum/* (the RUM intake) keeps the session recordings.
    catalog   = { public = true, events = false, notifications = false, images = true, exports = false, replays = true }
    orders    = { public = true, events = true, notifications = true, images = false, exports = true, replays = false }
    inventory = { public = false, events = true, notifications = false, images = false, exports = false, replays = false }
  }

  collector_env = local.otel ? [
    { name = "AWS_REGION", value = data.aws_region.current.name },
    { name = "SHOP_XRAY_ENDPOINT", value = "" },
    { name = "SHOP_LOGS_ENDPOINT", value = "" },
    { name = "SHOP_COLLECTOR_ENVIRONMENT", value = var.environment },
    { name = "SHOP_COLLECTOR_PIPELINE", value = file("${local.repo_root}/collector/pipeline.yaml") },
    { name = "SHOP_COLLECTOR_AWS", value = file("${local.repo_root}/collector/aws.yaml") },
    { name = "SHOP_COLLECTOR_ADOT", value = file("${local.repo_root}/docker/collector.yaml") },
  ] : []

  telemetry_env = {
    otel = [
      { name = "OTEL_EXPORTER_OTLP_ENDPOINT", value = "http://127.0.0.1:4318" },
      { name = "OTEL_EXPORTER_OTLP_PROTOCOL", value = "http/protobuf" },
      { name = "OTEL_PROPAGATORS", value = "xray" },
      { name = "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", value = "delta" },
      # The awssdk backend takes X-Ray's sampling rules; the SDK has no X-Ray remote sampler for
      # Rust, so the otel build keeps sampling_rate of new traces and follows its callers.
      { name = "OTEL_TRACES_SAMPLER", value = "parentbased_traceidratio" },
      { name = "OTEL_TRACES_SAMPLER_ARG", value = tostring(var.sampling_rate) },
    ]
    awssdk = [
      { name = "SHOP_CW_LOG_GROUP", value = local.log_group_base },
      { name = "SHOP_XRAY_SAMPLING_SOURCE", value = "api" },
      # Histograms as Values/Counts rather than statistic sets, so that CloudWatch computes the
      # percentiles the dashboards show and the latency alarm uses (p99).
      { name = "SHOP_CW_HISTOGRAMS", value = "values" },
    ]
    noop = []
  }

  service_env = {
    for s, r in local.roles : s => concat(
      [
        { name = "SHOP_ROLE", value = s },
        { name = "SHOP_SERVICE_NAME", value = "shop-${s}" },
        { name = "SHOP_ENVIRONMENT", value = var.environment },
        { name = "SHOP_SERVICE_VERSION", value = local.release },
        { name = "SHOP_TELEMETRY", value = var.telemetry_backend },
        { name = "SHOP_LISTEN", value = "0.0.0.0:${local.shop_port}" },
        { name = "AWS_REGION", value = data.aws_region.current.name },
        { name = "SHOP_EVENTS_PREFIX", value = var.name_prefix },
        { name = "SHOP_MAIL_FROM", value = var.mail_from },
        # Production log settings (O-LOG-06, docs/logging.md): the level filter, and the share of
        # traces that keep their debug lines.
        { name = "SHOP_LOG", value = var.log_level },
        { name = "SHOP_LOG_DEBUG_SAMPLE", value = tostring(var.log_debug_sample) },
      ],
      s == "orders" ? [
        { name = "SHOP_INVENTORY_URL", value = "http://inventory.${aws_service_discovery_private_dns_namespace.main.name}:${local.shop_port}" },
        { name = "SHOP_EVENTS", value = "true" },
        { name = "SHOP_NOTIFICATIONS", value = "true" },
      ] : [],
      # Admins' pictures: the original goes to S3 and the image-resize function (functions.tf)
      # resizes it (202, then the back office polls), rather than in the upload request.
      r.images ? [
        { name = "SHOP_IMAGES_BUCKET", value = module.storage.bucket_names["images"] },
        { name = "SHOP_IMAGE_RESIZE", value = "function" },
      ] : [],
      r.exports ? [{ name = "SHOP_EXPORT_BUCKET", value = module.storage.bucket_names["exports"] }] : [],
      r.replays && local.replay ? [
        { name = "SHOP_RUM_REPLAY_BUCKET", value = module.storage.bucket_names["replays"] },
        { name = "SHOP_RUM_REPLAY_SAMPLE_RATIO", value = tostring(var.replay_sample_ratio) },
      ] : [],
      # CloudWatch RUM's app monitor (rum.tf), told to the UI by /api/rum/config.
      r.replays && var.enable_cloudwatch_rum ? [
        { name = "SHOP_CLOUDWATCH_RUM_APP_MONITOR_ID", value = aws_rum_app_monitor.shop[0].app_monitor_id },
        { name = "SHOP_CLOUDWATCH_RUM_REGION", value = data.aws_region.current.name },
        { name = "SHOP_CLOUDWATCH_RUM_IDENTITY_POOL_ID", value = aws_cognito_identity_pool.rum[0].id },
        { name = "SHOP_CLOUDWATCH_RUM_GUEST_ROLE_ARN", value = aws_iam_role.rum_guest[0].arn },
        # The client records the share of sessions the shop tells it (its --rum-sample-ratio, the
        # intake's too): the app monitor's.
        { name = "SHOP_RUM_SAMPLE_RATIO", value = tostring(var.rum_session_sample_rate) },
      ] : [],
      local.telemetry_env[var.telemetry_backend],
    )
  }

  # Every container logs to its service's group, in a stream prefix of its own.
  log_configuration = { for s, r in local.roles : s => { for prefix in ["shop", "adot", "fis-agent"] : prefix => {
    logDriver = "awslogs"
    options = {
      awslogs-group         = aws_cloudwatch_log_group.ecs[s].name
      awslogs-region        = data.aws_region.current.name
      awslogs-stream-prefix = prefix
    }
  } } }

  containers = {
    for s, r in local.roles : s => concat(
      [{
        name             = "shop"
        image            = var.shop_image
        essential        = true
        portMappings     = [{ containerPort = local.shop_port, protocol = "tcp" }]
        environment      = local.service_env[s]
        secrets          = [{ name = "DATABASE_URL", valueFrom = aws_secretsmanager_secret.database_url.arn }]
        logConfiguration = local.log_configuration[s]["shop"]
        dependsOn        = local.otel ? [{ containerName = "adot-collector", condition = "START" }] : []
      }],
      local.otel ? [{
        name             = "adot-collector"
        image            = var.adot_image
        essential        = true
        command          = ["--config=env:SHOP_COLLECTOR_PIPELINE", "--config=env:SHOP_COLLECTOR_AWS", "--config=env:SHOP_COLLECTOR_ADOT"]
        environment      = local.collector_env
        logConfiguration = local.log_configuration[s]["adot"]
      }] : [],
      # FIS's agent (fis_tasks.tf), with its own log stream.
      local.fis_tasks ? [merge(local.fis_agent_container, { logConfiguration = local.log_configuration[s]["fis-agent"] })] : [],
    )
  }
}

resource "aws_ecs_cluster" "main" {
  name = "${var.name_prefix}-${var.environment}"
  setting {
    name  = "containerInsights"
    value = var.enable_container_insights ? "enabled" : "disabled"
  }
}

resource "aws_cloudwatch_log_group" "ecs" {
  for_each          = local.roles
  name              = "/ecs/${var.name_prefix}-${var.environment}/${each.key}"
  retention_in_days = var.log_retention_days
}

# The ADOT collector's log groups (collector/aws.yaml: awscloudwatchlogs' log_group_name for the
# log records, awsemf's for the metrics; the image-resize function's layer writes EMF to the
# second too). Made here, with the stack's retention: the exporters create a missing group only
# with logs:CreateLogGroup, which no role has (iam.tf), and a group they made would keep its
# logs forever.
resource "aws_cloudwatch_log_group" "otel" {
  for_each          = local.otel ? toset(["/observability-shop-lab/otel", "/observability-shop-lab/otel/metrics"]) : toset([])
  name              = each.value
  retention_in_days = var.log_retention_days
}

resource "aws_service_discovery_private_dns_namespace" "main" {
  name = "${var.name_prefix}.internal"
  vpc  = aws_vpc.main.id
}

resource "aws_service_discovery_service" "service" {
  for_each = local.roles
  name     = each.key
  dns_config {
    namespace_id = aws_service_discovery_private_dns_namespace.main.id
    dns_records {
      type = "A"
      ttl  = 10
    }
  }
}

resource "aws_ecs_task_definition" "service" {
  for_each                 = local.roles
  family                   = "${var.name_prefix}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.services[each.key].cpu
  memory                   = var.services[each.key].memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task[each.key].arn
  container_definitions    = jsonencode(local.containers[each.key])
  # FIS's task actions (fis_tasks.tf): the agent sees the shop's processes, and the network actions
  # use Fargate's fault-injection endpoints.
  pid_mode               = local.fis_tasks ? "task" : null
  enable_fault_injection = local.fis_tasks
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }
}

resource "aws_ecs_service" "service" {
  for_each        = local.roles
  name            = each.key
  cluster         = aws_ecs_cluster.main.id
  task_definition = aws_ecs_task_definition.service[each.key].arn
  desired_count   = var.services[each.key].desired_count
  launch_type     = "FARGATE"
  network_configuration {
    subnets         = aws_subnet.private[*].id
    security_groups = [aws_security_group.services.id]
  }
  service_registries {
    registry_arn = aws_service_discovery_service.service[each.key].arn
  }
  dynamic "load_balancer" {
    for_each = each.value.public ? [1] : []
    content {
      target_group_arn = aws_lb_target_group.service[each.key].arn
      container_name   = "shop"
      container_port   = local.shop_port
    }
  }
  # A deployment that does not become healthy is rolled back (the circuit breaker), and so is one
  # that starts answering 5xx while it runs (F-DEPLOY-01): ECS watches the alarms below during the
  # deployment and its bake time, and rolls back when one goes to ALARM.
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
  alarms {
    alarm_names = module.observability.deployment_alarm_names
    enable      = true
    rollback    = true
  }
}

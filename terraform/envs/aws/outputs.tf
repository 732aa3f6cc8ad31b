output "url" {
  description = "The shop (UI and API) through CloudFront."
  value       = "https://${aws_cloudfront_distribution.ui.domain_name}"
}

output "alb_dns_name" {
  value = aws_lb.main.dns_name
}

output "ui_bucket" {
  value = aws_s3_bucket.ui.bucket
}

output "ui_deploy" {
  description = "What scripts/deploy-ui.sh needs (ui_releases.tf): the bucket, the key-value store that names the live release, the distribution, and the alarms a deployment watches during its bake time."
  value = {
    bucket          = aws_s3_bucket.ui.bucket
    kvs_arn         = aws_cloudfront_key_value_store.ui.arn
    distribution_id = aws_cloudfront_distribution.ui.id
    region          = data.aws_region.current.name
    alarms          = local.ui_alarm_names
  }
}

output "alert_topic_arn" {
  value = module.observability.alert_topic_arn
}

output "task_definitions" {
  description = "Service → its containers (decoded), for the tests and for people."
  value       = { for s, t in aws_ecs_task_definition.service : s => jsondecode(t.container_definitions) }
}

output "task_policies" {
  description = "Service → its task role's policy document (decoded)."
  value       = local.task_policies
}

output "execution_policy" {
  value = local.execution_policy
}

output "alarms" {
  description = "Alarm name → its metric and actions (the observability module's)."
  value       = module.observability.alarms
}

output "log_retention" {
  description = "Every log group this stack declares → retention in days."
  value = merge(
    module.observability.log_group_retention,
    { for g in aws_cloudwatch_log_group.ecs : g.name => g.retention_in_days },
    { for g in aws_cloudwatch_log_group.otel : g.name => g.retention_in_days },
    { for g in aws_cloudwatch_log_group.rds : g.name => g.retention_in_days },
    { (aws_cloudwatch_log_group.cdn.name) = aws_cloudwatch_log_group.cdn.retention_in_days },
    { (aws_cloudwatch_log_group.image_resize.name) = aws_cloudwatch_log_group.image_resize.retention_in_days },
  )
}

output "canary" {
  description = "The purchase canary: what it runs, where, how often."
  value = {
    name                 = aws_synthetics_canary.journey["purchase"].name
    runtime_version      = aws_synthetics_canary.journey["purchase"].runtime_version
    handler              = aws_synthetics_canary.journey["purchase"].handler
    schedule             = one(aws_synthetics_canary.journey["purchase"].schedule).expression
    active_tracing       = one(aws_synthetics_canary.journey["purchase"].run_config).active_tracing
    base_url             = one(aws_synthetics_canary.journey["purchase"].run_config).environment_variables["SHOP_CANARY_BASE_URL"]
    artifact_s3_location = aws_synthetics_canary.journey["purchase"].artifact_s3_location
    code                 = "s3://${aws_synthetics_canary.journey["purchase"].s3_bucket}/${aws_synthetics_canary.journey["purchase"].s3_key}"
  }
}

output "canaries" {
  description = "Every canary (canary.tf): journey key → its name, the journey it runs, the secret it reads (empty: none)."
  value       = { for k, c in local.canaries : k => { name = aws_synthetics_canary.journey[k].name, journey = c.journey, secret = c.secret } }
}

output "canary_policy" {
  description = "The purchase canary's execution role's policy document (every canary's: local.canary_policies)."
  value       = local.canary_policies["purchase"]
}

output "canary_alarm" {
  value = {
    arn           = aws_cloudwatch_metric_alarm.canary["purchase"].arn
    namespace     = aws_cloudwatch_metric_alarm.canary["purchase"].namespace
    metric_name   = aws_cloudwatch_metric_alarm.canary["purchase"].metric_name
    dimensions    = aws_cloudwatch_metric_alarm.canary["purchase"].dimensions
    threshold     = aws_cloudwatch_metric_alarm.canary["purchase"].threshold
    comparison    = aws_cloudwatch_metric_alarm.canary["purchase"].comparison_operator
    alarm_actions = aws_cloudwatch_metric_alarm.canary["purchase"].alarm_actions
    ok_actions    = aws_cloudwatch_metric_alarm.canary["purchase"].ok_actions
  }
}

output "fis_templates" {
  description = "FIS experiment templates (fis.tf): name → id, action, target type and selection, stop condition."
  value = { for k, t in aws_fis_experiment_template.shop : k => {
    id         = t.id
    action     = one(t.action).action_id
    parameters = { for p in one(t.action).parameter : p.key => p.value }
    target     = one(t.target).resource_type
    selection  = one(t.target).selection_mode
    target_by  = one(t.target).parameters
    stop       = one(t.stop_condition)
    role_arn   = t.role_arn
  } }
}

output "fis_policy" {
  description = "The FIS experiment role's policy document (fis.tf)."
  value       = local.fis_policy
}

output "fis_agent" {
  description = "FIS inside the tasks (fis_tasks.tf), when enable_fis_task_actions is on: the task roles' policy for the agent, the managed-instance role, its trust and managed policy, and the task definitions' pidMode and fault-injection opt-in."
  value = local.fis_tasks ? {
    policy                 = local.fis_agent_policy
    policy_roles           = sort([for p in aws_iam_role_policy.fis_agent : p.role])
    managed_role_name      = aws_iam_role.fis_managed_instance[0].name
    managed_role_arn       = aws_iam_role.fis_managed_instance[0].arn
    managed_role_trust     = jsondecode(aws_iam_role.fis_managed_instance[0].assume_role_policy)
    managed_role_policy    = aws_iam_role_policy_attachment.fis_managed_instance[0].policy_arn
    pid_mode               = { for s, t in aws_ecs_task_definition.service : s => t.pid_mode }
    enable_fault_injection = { for s, t in aws_ecs_task_definition.service : s => t.enable_fault_injection }
  } : null
}

output "fis_trust" {
  description = "Who may assume the FIS experiment role."
  value       = jsondecode(aws_iam_role.fis.assume_role_policy)
}

output "query_definitions" {
  description = "The saved Logs Insights queries (terraform/modules/observability/queries), by name."
  value       = module.observability.query_definition_names
}

output "rum_app_monitor_id" {
  description = "The CloudWatch RUM app monitor's id (null unless enable_cloudwatch_rum)."
  value       = one(aws_rum_app_monitor.shop[*].app_monitor_id)
}

output "image_resize_function" {
  description = "The image-resize function (functions.tf): what it runs, its settings (names of its environment variables; the values only of the bucket and the backend), its role's policy (decoded) and managed policies, its network, its log group, what feeds it and its alarms."
  value = {
    name                = aws_lambda_function.image_resize.function_name
    runtime             = aws_lambda_function.image_resize.runtime
    handler             = aws_lambda_function.image_resize.handler
    architectures       = aws_lambda_function.image_resize.architectures
    package             = aws_lambda_function.image_resize.filename
    memory_size         = aws_lambda_function.image_resize.memory_size
    timeout             = aws_lambda_function.image_resize.timeout
    layers              = aws_lambda_function.image_resize.layers
    tracing_mode        = one(aws_lambda_function.image_resize.tracing_config).mode
    env_keys            = sort(keys(nonsensitive(one(aws_lambda_function.image_resize.environment).variables)))
    images_bucket       = nonsensitive(one(aws_lambda_function.image_resize.environment).variables["SHOP_IMAGES_BUCKET"])
    telemetry           = nonsensitive(one(aws_lambda_function.image_resize.environment).variables["SHOP_TELEMETRY"])
    subnet_ids          = one(aws_lambda_function.image_resize.vpc_config).subnet_ids
    security_group_ids  = one(aws_lambda_function.image_resize.vpc_config).security_group_ids
    role_arn            = aws_lambda_function.image_resize.role
    policy              = jsondecode(aws_iam_role_policy.image_resize.policy)
    managed_policy_arns = [aws_iam_role_policy_attachment.image_resize_eni.policy_arn]
    trust               = jsondecode(aws_iam_role.image_resize.assume_role_policy)
    log_group           = aws_cloudwatch_log_group.image_resize.name
    queue = {
      name                       = module.storage.originals_queue.name
      arn                        = module.storage.originals_queue.arn
      dlq_name                   = module.storage.originals_queue.dlq_name
      visibility_timeout_seconds = local.originals_visibility_timeout_seconds
    }
    event_source = {
      queue_arn               = aws_lambda_event_source_mapping.image_resize.event_source_arn
      function_name           = aws_lambda_event_source_mapping.image_resize.function_name
      batch_size              = aws_lambda_event_source_mapping.image_resize.batch_size
      function_response_types = aws_lambda_event_source_mapping.image_resize.function_response_types
      maximum_concurrency     = one(aws_lambda_event_source_mapping.image_resize.scaling_config).maximum_concurrency
    }
    alarms = { for a in aws_cloudwatch_metric_alarm.image_resize : a.alarm_name => {
      namespace     = a.namespace
      metric_name   = a.metric_name
      dimensions    = a.dimensions
      statistic     = a.statistic
      period        = a.period
      threshold     = a.threshold
      comparison    = a.comparison_operator
      missing_data  = a.treat_missing_data
      alarm_actions = a.alarm_actions
      ok_actions    = a.ok_actions
    } }
  }
}

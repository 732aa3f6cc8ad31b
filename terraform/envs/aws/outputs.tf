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
    { for g in aws_cloudwatch_log_group.rds : g.name => g.retention_in_days },
  )
}

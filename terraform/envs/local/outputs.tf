output "bus_name" {
  value = module.messaging.bus_name
}

output "queue_urls" {
  value = module.messaging.queue_urls
}

output "topic_arns" {
  value = module.messaging.topic_arns
}

output "rules" {
  value = module.messaging.rules
}

output "bucket_names" {
  value = module.storage.bucket_names
}

output "log_group_names" {
  value = module.observability.log_group_names
}

output "alert_topic_arn" {
  value = module.observability.alert_topic_arn
}

output "alert_topic_name" {
  value = "${var.name_prefix}-alerts"
}

output "alert_queue_url" {
  value = module.observability.alert_queue_url
}

output "alarm_names" {
  value = module.observability.alarm_names
}

output "dashboard_names" {
  value = module.observability.dashboard_names
}

# The modules' read-back views, for the test and for people.
output "messaging" {
  value = {
    queues         = module.messaging.queues
    rule_routes    = module.messaging.rule_routes
    topics         = module.messaging.topics
    ses_identities = module.messaging.ses_identities
  }
}

output "storage" {
  value = {
    versioning             = module.storage.versioning
    export_expiration_days = module.storage.export_expiration_days
  }
}

output "observability" {
  value = {
    log_group_retention    = module.observability.log_group_retention
    alarms                 = module.observability.alarms
    metric_filters         = module.observability.metric_filters
    alert_subscription     = module.observability.alert_subscription
    dashboard_bodies       = module.observability.dashboard_bodies
    sampling_rule_names    = module.observability.sampling_rule_names
    xray_group_names       = module.observability.xray_group_names
    query_definition_names = module.observability.query_definition_names
  }
}

# What the test's later runs (tests/alarmeval) need to reach the same emulator and names: terraform
# test cannot pass the root module's variables to another module's run.
output "emulator" {
  value = {
    name_prefix         = var.name_prefix
    localstack_endpoint = var.localstack_endpoint
    region              = var.region
    moto_endpoint       = var.moto_endpoint
    log_group_base      = "/${var.name_prefix}/${var.environment}"
  }
}

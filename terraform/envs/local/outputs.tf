output "bus_name" {
  value = module.messaging[local.primary].bus_name
}

output "queue_urls" {
  value = module.messaging[local.primary].queue_urls
}

output "topic_arns" {
  value = module.messaging[local.primary].topic_arns
}

output "rules" {
  value = module.messaging[local.primary].rules
}

output "bucket_names" {
  value = module.storage[local.primary].bucket_names
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

# Every shop's names: what scripts/lab/shop.sh tells each shop.
output "shops" {
  value = { for k, p in local.shop_prefixes : k => {
    events_prefix = p
    bus_name      = module.messaging[k].bus_name
    queue_urls    = module.messaging[k].queue_urls
    topic_arns    = module.messaging[k].topic_arns
    bucket_names  = module.storage[k].bucket_names
  } }
}

# The modules' read-back views, for the test and for people.
output "messaging" {
  value = {
    queues         = module.messaging[local.primary].queues
    rule_routes    = module.messaging[local.primary].rule_routes
    topics         = module.messaging[local.primary].topics
    ses_identities = module.messaging[local.primary].ses_identities
  }
}

output "storage" {
  value = {
    versioning             = module.storage[local.primary].versioning
    export_expiration_days = module.storage[local.primary].export_expiration_days
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

output "originals_queues" {
  description = "Shop key → the image-resize function's input queue (name, URL, ARN, dead-letter queue), for the shops in image_resize_function_shops."
  value       = { for k in keys(var.shops) : k => module.storage[k].originals_queue if module.storage[k].originals_queue != null }
}

# envs/aws without an AWS account: the real provider's schema, mocked answers. What is asserted is
# what this configuration decides (wiring, policies, containers, toggles), not what AWS would do.

mock_provider "aws" {
  mock_data "aws_availability_zones" {
    defaults = { names = ["eu-west-1a", "eu-west-1b", "eu-west-1c"] }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_secretsmanager_random_password" {
    defaults = { random_password = "mock-password" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:eu-west-1:123456789012:mock-topic" }
  }
  mock_resource "aws_sqs_queue" {
    defaults = { arn = "arn:aws:sqs:eu-west-1:123456789012:mock-queue", id = "https://sqs.eu-west-1.amazonaws.com/123456789012/mock-queue" }
  }
  mock_resource "aws_cloudwatch_event_bus" {
    defaults = { arn = "arn:aws:events:eu-west-1:123456789012:event-bus/mock" }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:eu-west-1:123456789012:rule/mock/mock" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::mock-bucket" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:mock" }
  }
  mock_resource "aws_secretsmanager_secret" {
    defaults = { arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mock" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
  }
  mock_resource "aws_lb_target_group" {
    defaults = { arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/mock/0123456789abcdef" }
  }
  mock_resource "aws_cloudfront_distribution" {
    defaults = { arn = "arn:aws:cloudfront::123456789012:distribution/MOCK" }
  }
  mock_resource "aws_lb" {
    defaults = { arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/mock/0123456789abcdef", dns_name = "mock.eu-west-1.elb.amazonaws.com" }
  }
  mock_resource "aws_lb_listener" {
    defaults = { arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/mock/0123456789abcdef/0123456789abcdef" }
  }
  mock_resource "aws_service_discovery_service" {
    defaults = { arn = "arn:aws:servicediscovery:eu-west-1:123456789012:service/srv-mock" }
  }
  mock_resource "aws_ecs_task_definition" {
    defaults = { arn = "arn:aws:ecs:eu-west-1:123456789012:task-definition/mock:1" }
  }
  mock_resource "aws_ecs_cluster" {
    defaults = { arn = "arn:aws:ecs:eu-west-1:123456789012:cluster/mock", id = "arn:aws:ecs:eu-west-1:123456789012:cluster/mock" }
  }
  mock_resource "aws_db_instance" {
    defaults = { endpoint = "mock.rds.amazonaws.com:3306", arn = "arn:aws:rds:eu-west-1:123456789012:db:shop-prod" }
  }
  mock_resource "aws_cloudwatch_metric_alarm" {
    defaults = { arn = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:mock" }
  }
  mock_resource "aws_rum_app_monitor" {
    defaults = { arn = "arn:aws:rum:eu-west-1:123456789012:appmonitor/shop-prod", app_monitor_id = "0f4b8a9e-5b7c-4d2e-9f1a-3c6d8e2b7a10" }
  }
  mock_resource "aws_cognito_identity_pool" {
    defaults = { id = "eu-west-1:11111111-2222-3333-4444-555555555555" }
  }
  mock_resource "aws_opensearch_domain" {
    defaults = { arn = "arn:aws:es:eu-west-1:123456789012:domain/shop-prod-logs" }
  }
  mock_resource "aws_kinesis_firehose_delivery_stream" {
    defaults = { arn = "arn:aws:firehose:eu-west-1:123456789012:deliverystream/shop-prod-logs" }
  }
}

# CloudFront's alarms, topic and access logs (cdn.tf) are in us-east-1.
mock_provider "aws" {
  alias = "us_east_1"
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:us-east-1:123456789012:cdn-alerts" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:cdn" }
  }
  mock_resource "aws_cloudwatch_metric_alarm" {
    defaults = { arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:cdn" }
  }
  mock_resource "aws_cloudwatch_log_delivery_destination" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:delivery-destination:cdn" }
  }
}

# Distinct ARNs for the alarms the FIS templates stop on (fis.tf), so that a test can tell them apart.
override_resource {
  target = aws_cloudwatch_metric_alarm.canary
  values = { arn = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:canary" }
}
override_resource {
  target = module.observability.aws_cloudwatch_metric_alarm.log_count
  values = { arn = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:log-count" }
}
# The UI releases' key-value store (ui_releases.tf): its ARN is validated where it is used.
override_resource {
  target = aws_cloudfront_key_value_store.ui
  values = { arn = "arn:aws:cloudfront::123456789012:key-value-store/0d5bc5ab-1c0e-4b4d-9f5c-0a9b3d2f6e71" }
}
override_resource {
  target = aws_cloudfront_function.ui_router
  values = { arn = "arn:aws:cloudfront::123456789012:function/shop-prod-ui-router" }
}
# A distinct ARN for the managed-instance role of FIS's agent (fis_tasks.tf).
override_resource {
  target = aws_iam_role.fis_managed_instance
  values = { arn = "arn:aws:iam::123456789012:role/shop-prod-fis-managed-instance" }
}
# A distinct ARN for the image-resize function's queue, so that a test can tell it from the others.
override_resource {
  target = module.storage.aws_sqs_queue.originals
  values = { arn = "arn:aws:sqs:eu-west-1:123456789012:shop-prod-123456789012-image-originals", id = "https://sqs.eu-west-1.amazonaws.com/123456789012/shop-prod-123456789012-image-originals" }
}

variables {
  alert_email = "ops@example.com"
}

run "otel" {
  command = apply

  assert {
    condition     = alltrue([for s, c in output.task_definitions : contains([for x in c : x.name], "adot-collector")])
    error_message = "telemetry_backend = otel: every task runs the ADOT collector sidecar"
  }
  assert {
    condition = alltrue([for s, c in output.task_definitions : one([for x in c : x.command if x.name == "adot-collector"]) == [
      "--config=env:SHOP_COLLECTOR_PIPELINE", "--config=env:SHOP_COLLECTOR_AWS", "--config=env:SHOP_COLLECTOR_ADOT",
    ]])
    error_message = "the sidecar loads the lab's pipeline, its AWS exporters and the ADOT additions, in docker-compose.yml's order"
  }
  assert {
    condition = alltrue([for s, c in output.task_definitions :
      strcontains(one([for x in c : x.environment if x.name == "adot-collector"])[index([for e in one([for x in c : x.environment if x.name == "adot-collector"]) : e.name], "SHOP_COLLECTOR_PIPELINE")].value, "receivers:")
    ])
    error_message = "the sidecar's pipeline is the content of collector/pipeline.yaml"
  }
  assert {
    condition = alltrue([for s, c in output.task_definitions :
      contains([for e in one([for x in c : x.environment if x.name == "shop"]) : "${e.name}=${e.value}"], "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318") &&
      contains([for e in one([for x in c : x.environment if x.name == "shop"]) : "${e.name}=${e.value}"], "SHOP_TELEMETRY=otel")
    ])
    error_message = "the shop sends OTLP to the sidecar on localhost"
  }
  assert {
    condition = alltrue([for s, c in output.task_definitions :
      contains([for e in one([for x in c : x.environment if x.name == "shop"]) : "${e.name}=${e.value}"], "OTEL_TRACES_SAMPLER=parentbased_traceidratio") &&
      contains([for e in one([for x in c : x.environment if x.name == "shop"]) : "${e.name}=${e.value}"], "OTEL_TRACES_SAMPLER_ARG=0.05")
    ])
    error_message = "the otel build keeps sampling_rate (5 %) of new traces and follows its callers' decisions"
  }
  assert {
    condition = (
      contains([for e in one([for x in output.task_definitions["catalog"] : x.environment if x.name == "shop"]) : "${e.name}=${e.value}"], "SHOP_IMAGE_RESIZE=function") &&
      alltrue([for s in ["orders", "inventory"] : !contains([for e in one([for x in output.task_definitions[s] : x.environment if x.name == "shop"]) : e.name], "SHOP_IMAGE_RESIZE")])
    )
    error_message = "the catalog service (the one with the images bucket) hands admins' uploads to the image-resize function"
  }
  assert {
    condition     = length(output.alarms) == 30 && alltrue([for a in output.alarms : a.alarm_actions == toset([output.alert_topic_arn]) && a.ok_actions == toset([output.alert_topic_arn])])
    error_message = "every alarm (5xx, 4xx, low stock, security events, JS errors, the same five from the collector's log group, four dead-letter queues (the image-resize function's originals too), the otel error rate, the checkout's latency (a threshold and an anomaly band), four other routes' latency, checkout errors, failed logins, card and wallet declines and poor LCP, telemetry dropped by each of the three services, telemetry drops) notifies the alert topic"
  }
  assert {
    condition = toset(keys(output.alarms)) == toset([
      "shop-http-5xx", "shop-http-4xx", "shop-low-stock", "shop-security-events", "shop-js-errors",
      "shop-http-5xx-otel", "shop-http-4xx-otel", "shop-low-stock-otel", "shop-security-events-otel", "shop-js-errors-otel",
      "shop-dlq-notifications", "shop-dlq-sale-notices", "shop-dlq-admin-alerts", "shop-dlq-image-originals",
      "shop-latency-anomaly-otel", "shop-latency-products-otel", "shop-latency-product-otel", "shop-latency-search-otel", "shop-latency-cart-add-otel",
      "shop-error-rate-otel", "shop-latency-otel", "shop-checkout-errors-otel", "shop-failed-logins-otel", "shop-poor-lcp-otel", "shop-telemetry-drops",
      "shop-payment-declines-card-otel", "shop-payment-declines-wallet-otel",
      "shop-telemetry-dropped-otel-shop-catalog", "shop-telemetry-dropped-otel-shop-orders", "shop-telemetry-dropped-otel-shop-inventory",
    ])
    error_message = "otel: the log-count alarms (and the otel backend's, on the collector's log group), the dead-letter alarms, the otel error rate, latency, checkout errors and failed logins, telemetry drops; no awssdk alarm"
  }

  # The otel backend's log-derived counts (docs/dashboards.md): the collector's awscloudwatchlogs
  # exporter writes each log record as JSON with `body`, `severity_text`, `attributes`, `scope`
  # and `resource`, so its filters read those, on the collector's log group, into a namespace of
  # their own with the awssdk backend's metric names.
  assert {
    condition = (
      toset([for n, f in module.observability.metric_filters : n if f.log_group == aws_cloudwatch_log_group.otel["/observability-shop-lab/otel"].name]) == toset([
        for k in ["http-5xx", "error-logs", "security-events", "http-requests-ok", "http-requests-4xx", "http-requests-5xx", "http-4xx", "low-stock", "js-errors"] : "shop-otel-${k}"
      ]) &&
      alltrue([for n, p in {
        "shop-otel-http-5xx"          = ["{ $.body = \"request failed\" }", "HttpServerErrors"]
        "shop-otel-error-logs"        = ["{ $.severity_text = \"ERROR\" }", "ErrorLogs"]
        "shop-otel-security-events"   = ["{ $.body = \"security event\" }", "SecurityEvents"]
        "shop-otel-http-requests-ok"  = ["{ $.body = \"request completed\" }", "HttpRequests"]
        "shop-otel-http-requests-4xx" = ["{ $.body = \"request rejected\" }", "HttpRequests"]
        "shop-otel-http-requests-5xx" = ["{ $.body = \"request failed\" }", "HttpRequests"]
        "shop-otel-http-4xx"          = ["{ $.body = \"request rejected\" }", "HttpClientErrors"]
        "shop-otel-low-stock"         = ["{ $.body = \"low stock\" }", "LowStock"]
        "shop-otel-js-errors"         = ["{ $.scope.name = \"shop-web\" && $.severity_text = \"ERROR\" }", "JsErrors"]
        } : module.observability.metric_filters[n] == { pattern = p[0], log_group = "/observability-shop-lab/otel", metric = p[1], namespace = "ShopLab/Logs/otel" }
      ])
    )
    error_message = "otel: the access-log, error, security-event, low-stock and JS-error filters read the collector's fields (body, severity_text, scope.name) on its log group, into ShopLab/Logs/otel under the awssdk backend's metric names"
  }
  assert {
    condition = (
      output.alarms["shop-http-5xx"].namespace == "ShopLab/Logs" && module.observability.metric_filters["shop-http-5xx"].log_group == "/shop-lab/prod" &&
      module.observability.metric_filters["shop-http-5xx"].pattern == "{ $.message = \"request failed\" }"
    )
    error_message = "the awssdk backend's filters and alarms keep their names, group, pattern and namespace"
  }
  assert {
    condition = alltrue([for k, m in {
      "http-5xx"        = ["HttpServerErrors", 5], "http-4xx" = ["HttpClientErrors", 100], "low-stock" = ["LowStock", 1],
      "security-events" = ["SecurityEvents", 10], "js-errors" = ["JsErrors", 5],
      } : (
      output.alarms["shop-${k}-otel"].namespace == "ShopLab/Logs/otel" && output.alarms["shop-${k}-otel"].metric_name == m[0] &&
      output.alarms["shop-${k}-otel"].statistic == "Sum" && output.alarms["shop-${k}-otel"].threshold == m[1] &&
      output.alarms["shop-${k}-otel"].comparison == "GreaterThanOrEqualToThreshold" && length(output.alarms["shop-${k}-otel"].dimensions) == 0 &&
      contains([for f in values(module.observability.metric_filters) : f.metric if f.namespace == "ShopLab/Logs/otel"], m[0]) &&
      output.alarms["shop-${k}-otel"].alarm_actions == toset([output.alert_topic_arn]) && output.alarms["shop-${k}-otel"].ok_actions == toset([output.alert_topic_arn])
    )])
    error_message = "otel: the 5xx, 4xx, low-stock, security-events and JS-errors counts of the collector's log group alarm like the awssdk ones (Sum, same thresholds), each on a metric its filter makes, on the alert topic for ALARM and OK"
  }
  assert {
    condition = (
      toset([for n, q in module.observability.saved_queries : n if startswith(n, "shop/otel/")]) == toset([
        for q in ["admin-actions", "browser-paths", "browser-sessions", "by-version", "errors-by-route", "one-trace", "product-purchases", "product-views", "products-added-to-cart", "security-events", "slow-requests"] : "shop/otel/${q}"
      ]) &&
      alltrue([for n, q in module.observability.saved_queries : q.log_groups == tolist(["/observability-shop-lab/otel"]) && !strcontains(q.query, "message") if startswith(n, "shop/otel/")]) &&
      module.observability.saved_queries["shop/errors-by-route"].log_groups == tolist(["/shop-lab/prod"]) &&
      strcontains(module.observability.saved_queries["shop/otel/errors-by-route"].query, "filter body = \"request failed\" | stats count(*) as errors by `attributes.http.route`") &&
      strcontains(module.observability.saved_queries["shop/otel/slow-requests"].query, "filter `attributes.duration_ms` > 1000") &&
      strcontains(module.observability.saved_queries["shop/otel/one-trace"].query, "filter trace_id = ")
    )
    error_message = "otel: each saved query has an otel variant (shop/otel/<name>) on the collector's log group that reads its fields (body, attributes.*), beside the awssdk ones on the shop's group"
  }
  assert {
    condition = (
      strcontains(jsonencode(module.observability.dashboard_bodies["shop-red-otel"]), "[\"ShopLab/Logs/otel\",\"HttpServerErrors\"") &&
      strcontains(jsonencode(module.observability.dashboard_bodies["shop-ux-otel"]), "[\"ShopLab/Logs/otel\",\"JsErrors\"") &&
      strcontains(jsonencode(module.observability.dashboard_bodies["shop-security-otel"]), "[\"ShopLab/Logs/otel\",\"SecurityEvents\"") &&
      strcontains(jsonencode(module.observability.dashboard_bodies["shop-security-otel"]), "[\"ShopLab/Logs/otel\",\"HttpClientErrors\"") &&
      strcontains(jsonencode(module.observability.dashboard_bodies["shop-business-otel"]), "SOURCE '/observability-shop-lab/otel' | filter body = \\\"item added to cart\\\"") &&
      strcontains(jsonencode(module.observability.dashboard_bodies["shop-business-otel"]), "SOURCE '/observability-shop-lab/otel' | filter body = \\\"product purchased\\\"") &&
      strcontains(jsonencode(module.observability.dashboard_bodies["shop-business-otel"]), "stats count(*) as views by `attributes.shop.product.id`") &&
      length([for w in module.observability.dashboard_bodies["shop-business-otel"].widgets : w if w.type == "text" && strcontains(try(w.properties.markdown, ""), "Products viewed")]) == 0 &&
      !strcontains(jsonencode(module.observability.dashboard_bodies), "\"ShopLab/Logs\"")
    )
    error_message = "the otel dashboards chart the collector's log-derived counts (5xx, JS errors, security events, 4xx) and query its log group for the products viewed, added to carts and bought; nothing reads the awssdk backend's log counts"
  }
  assert {
    condition = (
      [for w in module.observability.dashboard_bodies["shop-service"].widgets : w.properties.title if w.type == "log"] == ["Slowest requests with their trace ids (access log, otel)"] &&
      strcontains(one([for w in module.observability.dashboard_bodies["shop-service"].widgets : w.properties.query if w.type == "log"]), "SOURCE '/observability-shop-lab/otel' | fields @timestamp, `resource.service.name`, `attributes.http.route`")
    )
    error_message = "the otel stack's service view lists the slowest requests from the collector's log group"
  }
  assert {
    condition     = output.alarms["shop-checkout-errors-otel"].dimensions == tomap({ "service.name" = "shop-orders", "http.response.status_code" = "500" }) && output.alarms["shop-checkout-errors-otel"].statistic == "Sum"
    error_message = "the otel checkout-errors alarm counts the orders service's 500s (the collector's per-service, per-status roll-up)"
  }
  assert {
    condition = (
      output.alarms["shop-error-rate-otel"].expression == "100 * SUM([FILL(e0, 0), FILL(e1, 0), FILL(e2, 0)]) / SUM([r0, r1, r2])" &&
      output.alarms["shop-error-rate-otel"].metrics == {
        e0 = "ObservabilityShopLab/otel http.server.errors", e1 = "ObservabilityShopLab/otel http.server.errors", e2 = "ObservabilityShopLab/otel http.server.errors",
        r0 = "ObservabilityShopLab/otel http.server.requests", r1 = "ObservabilityShopLab/otel http.server.requests", r2 = "ObservabilityShopLab/otel http.server.requests",
      } &&
      output.alarms["shop-error-rate-otel"].threshold == 5 && output.alarms["shop-error-rate-otel"].comparison == "GreaterThanThreshold"
    )
    error_message = "the otel error rate: 5xx / requests summed over the three services, above 5 %"
  }
  assert {
    condition = alltrue([for i, s in ["shop-catalog", "shop-inventory", "shop-orders"] :
      output.alarms["shop-error-rate-otel"].metric_dimensions["e${i}"] == tomap({ "service.name" = s }) && output.alarms["shop-error-rate-otel"].metric_dimensions["r${i}"] == tomap({ "service.name" = s })
    ])
    error_message = "each service's errors are read by its service.name (the collector's {service.name} roll-up)"
  }
  assert {
    condition     = output.alarms["shop-latency-otel"].statistic == "Average" && output.alarms["shop-latency-otel"].dimensions == tomap({ "service.name" = "shop-orders", "http.route" = "/api/orders" })
    error_message = "the otel latency alarm: the checkout's Average (awsemf's statistic sets carry no percentiles), on the orders service"
  }
  assert {
    condition = (
      output.alarms["shop-telemetry-drops"].metric_name == "TelemetryDropReports" &&
      toset([for n, f in module.observability.metric_filters : f.log_group if f.metric == "TelemetryDropReports"]) == toset([for g in aws_cloudwatch_log_group.ecs : g.name]) &&
      alltrue([for n, f in module.observability.metric_filters : strcontains(f.pattern, "\"items dropped\"") && strcontains(f.pattern, "\"Dropping data\"") if f.metric == "TelemetryDropReports"])
    )
    error_message = "telemetry drops: the backends' and the collector's drop reports counted in every container log group"
  }
  assert {
    condition = alltrue([for s in ["shop-catalog", "shop-orders", "shop-inventory"] :
      output.alarms["shop-telemetry-dropped-otel-${s}"].namespace == "ObservabilityShopLab/otel" &&
      output.alarms["shop-telemetry-dropped-otel-${s}"].metric_name == "shop.telemetry.dropped" &&
      output.alarms["shop-telemetry-dropped-otel-${s}"].statistic == "Sum" &&
      output.alarms["shop-telemetry-dropped-otel-${s}"].dimensions == tomap({ "service.name" = s })
    ])
    error_message = "telemetry dropped: per service, the backend's own drop count (shop.telemetry.dropped) in the otel namespace"
  }
  assert {
    condition     = toset(keys(module.observability.dashboard_bodies)) == toset(["shop-red-otel", "shop-business-otel", "shop-ux-otel", "shop-security-otel", "shop-service"])
    error_message = "otel: the four dashboards of the otel backend and the service view"
  }
  assert {
    condition = (
      strcontains(jsonencode(module.observability.dashboard_bodies["shop-red-otel"]), "{\\\"ObservabilityShopLab/otel\\\",\\\"service.name\\\",\\\"http.route\\\"}") &&
      !strcontains(jsonencode(module.observability.dashboard_bodies["shop-red-otel"]), "{\\\"ShopLab\\\",")
    )
    error_message = "the otel RED dashboard searches the collector's namespace and its declared {service.name, http.route} set"
  }
  assert {
    # The processes' row (O-METRIC-02) reads the dimension sets collector/aws.yaml declares.
    condition = alltrue([for set in [
      "{\\\"ObservabilityShopLab/otel\\\",\\\"service.name\\\"} MetricName=\\\"process.cpu.utilization\\\"",
      "{\\\"ObservabilityShopLab/otel\\\",\\\"service.name\\\"} MetricName=\\\"process.memory.usage\\\"",
      "{\\\"ObservabilityShopLab/otel\\\",\\\"service.name\\\",\\\"disk.io.direction\\\"} MetricName=\\\"process.disk.io\\\"",
      "{\\\"ObservabilityShopLab/otel\\\",\\\"service.name\\\",\\\"network.interface.name\\\",\\\"network.io.direction\\\"} MetricName=\\\"system.network.io\\\"",
    ] : strcontains(jsonencode(module.observability.dashboard_bodies["shop-red-otel"]), set)])
    error_message = "the otel RED dashboard charts the processes' CPU, memory, storage and network with the dimension sets the collector declares"
  }
  assert {
    condition = contains(
      [for w in module.observability.dashboard_bodies["shop-service"].widgets : try(w.properties.metrics[0], null)],
      ["CloudWatchSynthetics", "SuccessPercent", "CanaryName", "shop-purchase"]
    ) && strcontains(jsonencode(module.observability.dashboard_bodies["shop-service"]), "{\\\"AWS/X-Ray\\\",GroupName} GroupName=\\\"shop-errors\\\"")
    error_message = "the service view shows the canary's SuccessPercent and the X-Ray groups' metrics"
  }
  assert {
    condition     = module.observability.alert_email_subscriptions == ["ops@example.com"]
    error_message = "the alert topic mails alert_email"
  }
  assert {
    condition = alltrue(flatten([for p in concat(values(output.task_policies), [output.execution_policy, output.image_resize_function.policy]) : [for st in p.Statement : [
      for a in flatten([st.Action]) : a != "*" && !endswith(a, ":*")
    ]]]))
    error_message = "least privilege: no role (the image-resize function's included) has a * action or a service-wide service:* action"
  }
  assert {
    condition = alltrue(flatten([for p in concat(values(output.task_policies), [output.execution_policy, output.image_resize_function.policy]) : [for st in p.Statement :
      !contains(flatten([st.Resource]), "*") || contains(["XRay", "Metrics"], st.Sid)
    ]]))
    error_message = "Resource * only where AWS has no resource-level permissions (X-Ray, PutMetricData); the function's ENI actions come from AWS's managed policy"
  }
  assert {
    condition     = length([for st in output.execution_policy.Statement : st if startswith(st.Sid, "Ecr")]) == 0
    error_message = "with public images (no ecr_repository_arns) the execution role has no ECR permission"
  }
  assert {
    condition     = one([for st in output.task_policies["orders"].Statement : st.Condition if st.Sid == "Metrics"]) == { StringEquals = { "cloudwatch:namespace" = "ObservabilityShopLab/otel" } }
    error_message = "PutMetricData is held to the otel backend's namespace"
  }
  assert {
    condition     = !contains([for st in output.task_policies["catalog"].Statement : st.Sid], "PublishEvents") && contains([for st in output.task_policies["orders"].Statement : st.Sid], "PublishEvents")
    error_message = "catalog publishes no events; orders does"
  }
  assert {
    condition     = !contains([for st in output.task_policies["inventory"].Statement : st.Sid], "Images") && !contains([for st in output.task_policies["orders"].Statement : st.Sid], "Images")
    error_message = "only catalog touches the images bucket"
  }
  assert {
    condition     = !contains(flatten([for s, p in output.task_policies : [for st in p.Statement : st.Sid]]), "Replays") && !contains([for e in local.service_env["catalog"] : e.name], "SHOP_RUM_REPLAY_BUCKET")
    error_message = "session replay is off unless replay_sample_ratio is set (F-RUM-03)"
  }
  assert {
    condition     = length(output.log_retention) == 11 && alltrue([for d in values(output.log_retention) : d == 30]) && output.log_retention["/aws/lambda/shop-image-resize"] == 30 && output.log_retention["/observability-shop-lab/otel"] == 30 && output.log_retention["/observability-shop-lab/otel/metrics"] == 30
    error_message = "every log group (shop, EMF, three ECS, two RDS, CloudFront's access logs, the image-resize function's, and the collector's two for otel: log records and EMF metrics) keeps 30 days"
  }
  assert {
    condition     = one(aws_ecs_cluster.main.setting).value == "enabled"
    error_message = "Container Insights is on"
  }
  assert {
    condition     = aws_db_instance.main.storage_encrypted && !aws_db_instance.main.publicly_accessible && aws_db_instance.main.deletion_protection
    error_message = "the database is encrypted, private and protected from deletion"
  }
  assert {
    condition = (
      length(aws_cloudtrail.main) == 0 && length(aws_prometheus_workspace.main) == 0 && length(aws_config_configuration_recorder.main) == 0 &&
      length(aws_grafana_workspace.main) == 0 && length(aws_opensearch_domain.logs) == 0 && length(aws_cloudwatch_log_subscription_filter.logs_to_opensearch) == 0 &&
      length(aws_devopsguru_resource_collection.main) == 0 && length(aws_rum_app_monitor.shop) == 0 && length(aws_cognito_identity_pool.rum) == 0
    )
    error_message = "optional services are off by default (CloudTrail, Managed Prometheus, AWS Config, Managed Grafana, OpenSearch, DevOps Guru, CloudWatch RUM)"
  }
  assert {
    condition     = !contains([for e in local.service_env["catalog"] : e.name], "SHOP_CLOUDWATCH_RUM_APP_MONITOR_ID") && !contains(keys(local.default_tags), "DevOps-Guru-shop")
    error_message = "without their toggles, the UI is told of no RUM app monitor, and nothing carries DevOps Guru's tag"
  }

  # Deployments (F-DEPLOY-01): rolled back when they do not become healthy, or when they make 5xx.
  assert {
    condition = alltrue([for s in aws_ecs_service.service :
      one(s.deployment_circuit_breaker).enable && one(s.deployment_circuit_breaker).rollback &&
      one(s.alarms).enable && one(s.alarms).rollback && one(s.alarms).alarm_names == toset(["shop-http-5xx-otel", "shop-error-rate-otel"])
    ])
    error_message = "every service rolls a deployment back on the circuit breaker and when the otel backend's 5xx count (the collector's log group; the awssdk group gets no lines here) or its error rate goes to ALARM"
  }

  # FIS (fis.tf): in an otel stack the task experiments stop on the otel backend's 5xx count.
  assert {
    condition = (
      output.fis_templates["stop-orders-tasks"].stop.value == output.alarms["shop-http-5xx-otel"].arn &&
      output.fis_templates["stop-inventory-tasks"].stop.value == output.alarms["shop-http-5xx-otel"].arn
    )
    error_message = "FIS in an otel stack: the task experiments stop on the otel backend's 5xx count alarm"
  }
  assert {
    condition = (
      output.fis_agent == null && toset(keys(output.fis_templates)) == toset(["stop-orders-tasks", "stop-inventory-tasks", "reboot-database"]) &&
      alltrue([for s, c in output.task_definitions : !contains([for x in c : x.name], "fis-agent")]) &&
      alltrue([for t in aws_ecs_task_definition.service : t.pid_mode == null && !t.enable_fault_injection]) &&
      !anytrue([for st in output.fis_policy.Statement : contains(["RunFaultDocuments", "OnClusterTasks", "FollowCommands"], st.Sid)])
    )
    error_message = "FIS inside the tasks is off by default: no agent sidecar, no shared process namespace or fault injection, no task-action templates, no SSM permissions for FIS"
  }

  # The UI's releases (ui_releases.tf, F-DEPLOY-01): the live one named by a key-value store,
  # served by a viewer-request function; scripts/deploy-ui.sh watches the UI's alarms.
  assert {
    condition = (
      [for f in aws_cloudfront_distribution.ui.default_cache_behavior[0].function_association : [f.event_type, f.function_arn]] == [["viewer-request", aws_cloudfront_function.ui_router.arn]] &&
      aws_cloudfront_function.ui_router.runtime == "cloudfront-js-2.0" && aws_cloudfront_function.ui_router.publish &&
      aws_cloudfront_function.ui_router.code == file("ui/router.js") &&
      tolist(aws_cloudfront_function.ui_router.key_value_store_associations) == tolist([aws_cloudfront_key_value_store.ui.arn]) &&
      aws_cloudfrontkeyvaluestore_key.release.key_value_store_arn == aws_cloudfront_key_value_store.ui.arn &&
      aws_cloudfrontkeyvaluestore_key.release.key == "release" && aws_cloudfrontkeyvaluestore_key.release.value == "initial" &&
      length([for b in aws_cloudfront_distribution.ui.ordered_cache_behavior : b if length(b.function_association) > 0]) == 0
    )
    error_message = "the UI's default behaviour runs the router function (cloudfront-js-2.0, ui/router.js) with the releases' key-value store, whose key `release` starts as ui_initial_release; /api/* runs no function"
  }
  assert {
    condition = (
      output.ui_deploy.alarms == ["shop-js-errors-otel", "shop-poor-lcp-otel"] &&
      output.ui_deploy.kvs_arn == aws_cloudfront_key_value_store.ui.arn && output.ui_deploy.bucket == aws_s3_bucket.ui.bucket &&
      output.ui_deploy.distribution_id == aws_cloudfront_distribution.ui.id
    )
    error_message = "a UI deployment (scripts/deploy-ui.sh) watches the otel backend's JS-error count and poor-LCP alarm during its bake time"
  }

  # The CDN (cdn.tf, F-INFRA-01/02): CloudFront's metrics, alarms and logs live in us-east-1.
  assert {
    condition     = one(one(aws_cloudfront_monitoring_subscription.ui[0].monitoring_subscription).realtime_metrics_subscription_config).realtime_metrics_subscription_status == "Enabled"
    error_message = "CloudFront's additional metrics (cache hit rate, origin latency, per-status error rates) are on by default"
  }
  assert {
    condition = (
      toset(keys(aws_cloudwatch_metric_alarm.cdn)) == toset(["cdn-5xx-rate", "cdn-origin-latency"]) &&
      alltrue([for a in aws_cloudwatch_metric_alarm.cdn : a.namespace == "AWS/CloudFront" && a.dimensions == tomap({ DistributionId = aws_cloudfront_distribution.ui.id, Region = "Global" }) &&
      a.alarm_actions == toset([aws_sns_topic.cdn_alerts.arn]) && a.ok_actions == toset([aws_sns_topic.cdn_alerts.arn])]) &&
      aws_cloudwatch_metric_alarm.cdn["cdn-origin-latency"].extended_statistic == "p90" && aws_cloudwatch_metric_alarm.cdn["cdn-5xx-rate"].threshold == 5
    )
    error_message = "the CDN's 5xx-rate and origin-latency (p90) alarms read the distribution's metrics and notify the us-east-1 topic on ALARM and OK"
  }
  assert {
    condition = (
      startswith(aws_sns_topic.cdn_alerts.arn, "arn:aws:sns:us-east-1:") &&
      aws_sns_topic_subscription.cdn_alerts_queue.protocol == "sqs" && aws_sns_topic_subscription.cdn_alerts_queue.endpoint == module.observability.alert_queue_arn &&
      aws_sns_topic_subscription.cdn_alerts_email[0].endpoint == "ops@example.com" &&
      module.observability.alert_queue_source_topics == [output.alert_topic_arn, aws_sns_topic.cdn_alerts.arn]
    )
    error_message = "the CDN's topic (us-east-1) forwards to the stack's alert queue, which admits it, and to the e-mail"
  }
  assert {
    condition = (
      aws_cloudwatch_log_delivery_source.cdn.resource_arn == aws_cloudfront_distribution.ui.arn && aws_cloudwatch_log_delivery_source.cdn.log_type == "ACCESS_LOGS" &&
      one(aws_cloudwatch_log_delivery_destination.cdn.delivery_destination_configuration).destination_resource_arn == aws_cloudwatch_log_group.cdn.arn &&
      aws_cloudwatch_log_delivery.cdn.delivery_destination_arn == aws_cloudwatch_log_delivery_destination.cdn.arn &&
      toset(keys(aws_cloudwatch_query_definition.cdn)) == toset(["cdn-slow-requests", "cdn-errors", "cdn-cache-results"])
    )
    error_message = "CloudFront's access logs go to their log group, with three saved queries"
  }
  assert {
    condition = (
      alltrue([for w in jsondecode(aws_cloudwatch_dashboard.cdn.dashboard_body).widgets : w.properties.region == (startswith(w.properties.title, "The S3 origin") ? "eu-west-1" : "us-east-1")]) &&
      toset([for w in jsondecode(aws_cloudwatch_dashboard.cdn.dashboard_body).widgets : w.properties.title]) == toset([
        "Requests and bytes", "Error rates (%)", "Cache hit rate (%)", "Origin latency (ms)", "Error rate by status (%)", "The S3 origin: requests, errors, first-byte latency (ms)", "Slowest requests at the edge", "CDN alarms",
      ]) &&
      aws_s3_bucket_metric.ui.bucket == aws_s3_bucket.ui.id && length(aws_s3_bucket_metric.ui.filter) == 0
    )
    error_message = "the CDN dashboard: traffic, error rates, cache hit rate, origin latency, per-status errors, the S3 origin's request metrics (whole bucket, its region), the slowest requests and the alarms; CloudFront's read in us-east-1"
  }

  # The synthetic canary (canary.tf, docs/canary.md).
  assert {
    condition     = output.canary.name == "shop-purchase" && output.canary.handler == "index.handler" && startswith(output.canary.runtime_version, "syn-nodejs-playwright-") && aws_synthetics_canary.journey["purchase"].start_canary
    error_message = "the canary runs the packaged Playwright handler (index.handler) on a Node.js Playwright runtime, and is started"
  }
  assert {
    condition     = output.canary.schedule == "rate(5 minutes)" && output.canary.active_tracing && output.canary.base_url == output.url
    error_message = "the canary runs every 5 minutes, with active tracing, against the shop's public URL"
  }
  assert {
    condition     = aws_s3_object.canary_code.key == "code/shop-canary-${filemd5("canary/shop-canary.zip")}.zip" && output.canary.code == "s3://${aws_s3_bucket.canary.bucket}/${aws_s3_object.canary_code.key}"
    error_message = "the canary's code is the committed package, under a key named by its hash (a new package updates the canary)"
  }
  assert {
    condition     = startswith(output.canary.artifact_s3_location, "s3://${aws_s3_bucket.canary.bucket}/canary/") && aws_s3_bucket_public_access_block.canary.block_public_acls && aws_s3_bucket_public_access_block.canary.restrict_public_buckets
    error_message = "the canary's artefacts go to its own private bucket"
  }
  assert {
    condition     = output.canary_alarm.namespace == "CloudWatchSynthetics" && output.canary_alarm.metric_name == "SuccessPercent" && output.canary_alarm.dimensions["CanaryName"] == "shop-purchase" && output.canary_alarm.threshold == 100 && output.canary_alarm.comparison == "LessThanThreshold"
    error_message = "the canary's alarm fires when SuccessPercent drops below 100"
  }
  assert {
    condition     = output.canary_alarm.alarm_actions == toset([output.alert_topic_arn]) && output.canary_alarm.ok_actions == toset([output.alert_topic_arn])
    error_message = "the canary's alarm notifies the alert topic on ALARM and on OK"
  }
  assert {
    condition     = alltrue(flatten([for st in output.canary_policy.Statement : [for a in flatten([st.Action]) : a != "*" && !endswith(a, ":*")]]))
    error_message = "least privilege: the canary's role has no * action or service:* action"
  }
  assert {
    condition     = alltrue([for st in output.canary_policy.Statement : !contains(flatten([st.Resource]), "*") || contains(["ListBuckets", "Metrics", "XRay"], st.Sid)])
    error_message = "the canary's role has Resource * only for ListAllMyBuckets, PutMetricData and X-Ray (no resource-level permissions)"
  }
  assert {
    condition     = one([for st in output.canary_policy.Statement : st.Condition if st.Sid == "Metrics"]) == { StringEquals = { "cloudwatch:namespace" = "CloudWatchSynthetics" } }
    error_message = "the canary may put metrics in CloudWatchSynthetics only"
  }
  assert {
    condition     = one([for st in output.canary_policy.Statement : st.Resource if st.Sid == "Artifacts"]) == ["${aws_s3_bucket.canary.arn}/canary/shop-purchase/*"]
    error_message = "the canary writes and reads its own artefact prefix only"
  }
  assert {
    condition     = keys(aws_synthetics_canary.journey) == ["purchase"] && keys(output.canaries) == ["purchase"] && !contains([for st in output.canary_policy.Statement : st.Sid], "CanaryAccount")
    error_message = "no sign-in or back-office canary, and no secret read, without their secrets"
  }

  # The image-resize function (functions.tf, docs/functions.md).
  assert {
    condition = (
      output.image_resize_function.name == "shop-image-resize" && output.image_resize_function.runtime == "provided.al2023" &&
      output.image_resize_function.handler == "bootstrap" && output.image_resize_function.architectures == tolist(["arm64"]) &&
      endswith(output.image_resize_function.package, "/target/lambda/image-resize/bootstrap.zip") &&
      output.image_resize_function.tracing_mode == "Active"
    )
    error_message = "image-resize: cargo-lambda's bootstrap.zip on provided.al2023 (arm64), with X-Ray active tracing"
  }
  assert {
    condition = (
      output.image_resize_function.images_bucket == module.storage.bucket_names["images"] && output.image_resize_function.telemetry == "otel" &&
      toset(output.image_resize_function.env_keys) == toset([
        "SHOP_IMAGES_BUCKET", "SHOP_DATABASE_URL_SECRET", "SHOP_DB_MAX_CONNECTIONS", "SHOP_TELEMETRY", "SHOP_ENVIRONMENT",
        "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_PROPAGATORS", "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
        "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG", "OPENTELEMETRY_COLLECTOR_CONFIG_URI", "SHOP_COLLECTOR_LAMBDA",
      ])
    )
    error_message = "image-resize (otel): the images bucket, the database, the otel backend with the tasks' OTLP settings and the ADOT layer's collector configuration"
  }
  assert {
    condition = (
      !contains(output.image_resize_function.env_keys, "DATABASE_URL") &&
      aws_lambda_function.image_resize.environment[0].variables["SHOP_DATABASE_URL_SECRET"] == aws_secretsmanager_secret.database_url.arn &&
      aws_lambda_function.image_resize.environment[0].variables["SHOP_DATABASE_URL_SECRET"] == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mock" &&
      !anytrue([for v in values(aws_lambda_function.image_resize.environment[0].variables) : strcontains(v, "mock-password")])
    )
    error_message = "image-resize: no DATABASE_URL and no database password in its environment (anyone with lambda:GetFunctionConfiguration reads it); SHOP_DATABASE_URL_SECRET names the database URL secret's ARN, read at cold start"
  }
  assert {
    condition = (
      aws_lambda_function.image_resize.layers == tolist(["arn:aws:lambda:eu-west-1:901920570463:layer:aws-otel-collector-arm64-ver-0-117-0:1"]) &&
      aws_lambda_function.image_resize.environment[0].variables["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://127.0.0.1:4318" &&
      aws_lambda_function.image_resize.environment[0].variables["OPENTELEMETRY_COLLECTOR_CONFIG_URI"] == "env:SHOP_COLLECTOR_LAMBDA" &&
      yamldecode(aws_lambda_function.image_resize.environment[0].variables["SHOP_COLLECTOR_LAMBDA"]).service.pipelines.traces.exporters == ["awsxray"] &&
      yamldecode(aws_lambda_function.image_resize.environment[0].variables["SHOP_COLLECTOR_LAMBDA"]).exporters.awsemf.namespace == "ObservabilityShopLab/otel" &&
      sum([for k, v in aws_lambda_function.image_resize.environment[0].variables : length(k) + length(v)]) < 4096
    )
    error_message = "image-resize (otel): the ADOT collector layer for arm64 takes the sidecar's place (OTLP on localhost, traces to X-Ray, metrics as EMF in the otel namespace), and the environment stays within Lambda's 4 KB"
  }
  assert {
    condition = (
      output.image_resize_function.timeout < output.image_resize_function.queue.visibility_timeout_seconds &&
      output.image_resize_function.timeout * 6 <= output.image_resize_function.queue.visibility_timeout_seconds &&
      output.image_resize_function.memory_size == 1024
    )
    error_message = "image-resize: its timeout (10 s) is below the originals queue's visibility timeout (60 s), at most a sixth of it as AWS advises"
  }
  assert {
    condition = (
      output.image_resize_function.event_source.queue_arn == module.storage.originals_queue.arn &&
      output.image_resize_function.queue.arn == "arn:aws:sqs:eu-west-1:123456789012:shop-prod-123456789012-image-originals" &&
      output.image_resize_function.queue.name == "shop-prod-123456789012-image-originals" &&
      output.image_resize_function.event_source.function_name == aws_lambda_function.image_resize.arn &&
      output.image_resize_function.event_source.batch_size == 1 && try(length(output.image_resize_function.event_source.function_response_types), 0) == 0 &&
      output.image_resize_function.event_source.maximum_concurrency == 5
    )
    error_message = "image-resize: an event-source mapping reads the originals queue into the function, one message at a time, no partial batch responses (the function answers none), at most 5 at once"
  }
  assert {
    condition = (
      { for st in output.image_resize_function.policy.Statement : st.Sid => { actions = toset(flatten([st.Action])), resources = toset(flatten([st.Resource])) } if !contains(["XRay", "Metrics", "Logs"], st.Sid) } == {
        ReadOriginals    = { actions = toset(["s3:GetObject"]), resources = toset(["${module.storage.bucket_arns["images"]}/originals/*"]) }
        WritePictures    = { actions = toset(["s3:PutObject"]), resources = toset(["${module.storage.bucket_arns["images"]}/products/*"]) }
        ImagesBucket     = { actions = toset(["s3:ListBucket"]), resources = toset([module.storage.bucket_arns["images"]]) }
        ConsumeOriginals = { actions = toset(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]), resources = toset([module.storage.originals_queue.arn]) }
        FunctionLogs     = { actions = toset(["logs:CreateLogStream", "logs:PutLogEvents"]), resources = toset(["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/shop-image-resize:*"]) }
        DatabaseUrl      = { actions = toset(["secretsmanager:GetSecretValue"]), resources = toset([aws_secretsmanager_secret.database_url.arn]) }
      } &&
      [for st in output.image_resize_function.policy.Statement : st.Sid if contains(["XRay", "Metrics", "Logs"], st.Sid)] == ["XRay", "Metrics", "Logs"] &&
      one([for st in output.image_resize_function.policy.Statement : st.Condition if st.Sid == "Metrics"]) == { StringEquals = { "cloudwatch:namespace" = "ObservabilityShopLab/otel" } } &&
      length(distinct([for st in output.image_resize_function.policy.Statement : st.Sid])) == length(output.image_resize_function.policy.Statement)
    )
    error_message = "image-resize's role: reads originals/* only, writes products/* only, asks whether the bucket exists, consumes the originals queue only, writes its own log group, reads the database URL secret, and the otel backend's telemetry statements (unique Sids)"
  }
  assert {
    condition = (
      one([for st in output.image_resize_function.policy.Statement : st.Resource if st.Sid == "DatabaseUrl"]) == ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:mock"] &&
      [for st in output.image_resize_function.policy.Statement : st.Sid if anytrue([for a in flatten([st.Action]) : startswith(a, "secretsmanager:") || startswith(a, "kms:")])] == ["DatabaseUrl"]
    )
    error_message = "image-resize's role: GetSecretValue on exactly the database URL secret's ARN, and no other Secrets Manager or KMS action anywhere (the secret has Secrets Manager's AWS managed key)"
  }
  assert {
    condition = (
      output.image_resize_function.managed_policy_arns == ["arn:aws:iam::aws:policy/service-role/AWSLambdaENIManagementAccess"] &&
      output.image_resize_function.trust.Statement[0].Principal.Service == "lambda.amazonaws.com" &&
      output.image_resize_function.role_arn == aws_iam_role.image_resize.arn
    )
    error_message = "image-resize's role: assumed by Lambda; its VPC network interfaces through AWS's ENI-only managed policy (not AWSLambdaVPCAccessExecutionRole, which adds logs on *)"
  }
  assert {
    condition = (
      toset(output.image_resize_function.subnet_ids) == toset(aws_subnet.private[*].id) &&
      output.image_resize_function.security_group_ids == toset([aws_security_group.image_resize.id]) &&
      aws_vpc_security_group_ingress_rule.db_from_image_resize.security_group_id == aws_security_group.db.id &&
      aws_vpc_security_group_ingress_rule.db_from_image_resize.referenced_security_group_id == aws_security_group.image_resize.id &&
      aws_vpc_security_group_ingress_rule.db_from_image_resize.from_port == 3306 &&
      aws_vpc_security_group_egress_rule.image_resize_to_db.referenced_security_group_id == aws_security_group.db.id &&
      aws_vpc_security_group_egress_rule.image_resize_https.from_port == 443 && aws_vpc_security_group_egress_rule.image_resize_https.to_port == 443
    )
    error_message = "image-resize runs in the private subnets with its own security group: HTTPS out, MySQL to the database, which admits it"
  }
  assert {
    condition = (
      output.log_retention[output.image_resize_function.log_group] == var.log_retention_days &&
      output.alarms["shop-dlq-image-originals"].dimensions == tomap({ QueueName = module.storage.originals_queue.dlq_name }) &&
      output.alarms["shop-dlq-image-originals"].alarm_actions == toset([output.alert_topic_arn]) && output.alarms["shop-dlq-image-originals"].ok_actions == toset([output.alert_topic_arn])
    )
    error_message = "image-resize: its log group keeps log_retention_days; its queue's dead-letter queue has an alarm that notifies the alert topic"
  }
  assert {
    condition = (
      keys(output.image_resize_function.alarms) == ["shop-image-resize-errors", "shop-image-resize-throttles"] &&
      alltrue([for name, a in output.image_resize_function.alarms :
        a.namespace == "AWS/Lambda" && a.dimensions == tomap({ FunctionName = "shop-image-resize" }) &&
        a.statistic == "Sum" && a.period == 300 && a.threshold == 0 && a.comparison == "GreaterThanThreshold" &&
        a.missing_data == "notBreaching" &&
        a.alarm_actions == toset([output.alert_topic_arn]) && a.ok_actions == toset([output.alert_topic_arn])
      ]) &&
      output.image_resize_function.alarms["shop-image-resize-errors"].metric_name == "Errors" &&
      output.image_resize_function.alarms["shop-image-resize-throttles"].metric_name == "Throttles"
    )
    error_message = "image-resize: any error or throttle of the function in five minutes (Lambda's own metrics) notifies the alert topic on ALARM and OK; no upload is not an alarm"
  }
}

run "awssdk" {
  command = apply
  variables {
    telemetry_backend = "awssdk"
  }

  assert {
    condition     = alltrue([for s, c in output.task_definitions : [for x in c : x.name] == ["shop"]])
    error_message = "telemetry_backend = awssdk: no sidecar, the shop alone"
  }
  assert {
    condition     = length([for g in keys(output.log_retention) : g if startswith(g, "/observability-shop-lab/otel")]) == 0
    error_message = "awssdk: no collector, so none of its log groups"
  }
  assert {
    condition = (
      length([for n, f in module.observability.metric_filters : n if f.namespace == "ShopLab/Logs/otel" || startswith(n, "shop-otel-")]) == 0 &&
      !strcontains(jsonencode(module.observability.dashboard_bodies), "ShopLab/Logs/otel") &&
      length([for n in keys(module.observability.saved_queries) : n if startswith(n, "shop/otel/")]) == 0
    )
    error_message = "awssdk: no filters, counts, dashboard series or saved queries for the otel backend's log group"
  }
  assert {
    condition = alltrue([for s, c in output.task_definitions :
      contains([for e in c[0].environment : "${e.name}=${e.value}"], "SHOP_TELEMETRY=awssdk") &&
      !contains([for e in c[0].environment : e.name], "OTEL_EXPORTER_OTLP_ENDPOINT")
    ])
    error_message = "the shop runs the awssdk backend and is given no OTLP endpoint"
  }
  assert {
    condition     = one([for st in output.task_policies["catalog"].Statement : st.Condition if st.Sid == "Metrics"]) == { StringEquals = { "cloudwatch:namespace" = "ShopLab" } }
    error_message = "PutMetricData is held to the awssdk backend's namespace"
  }
  assert {
    condition = alltrue([for s, c in output.task_definitions :
      contains([for e in c[0].environment : "${e.name}=${e.value}"], "SHOP_LOG=info,shop=debug,shop_core=debug") &&
      contains([for e in c[0].environment : "${e.name}=${e.value}"], "SHOP_LOG_DEBUG_SAMPLE=0.01")
    ])
    error_message = "production logs INFO, and the shop's DEBUG lines for 1 % of the traces (O-LOG-06)"
  }
  assert {
    condition = toset(output.query_definitions) == toset([
      for q in ["admin-actions", "browser-paths", "browser-sessions", "by-version", "errors-by-route", "one-trace", "product-purchases", "product-views", "products-added-to-cart", "security-events", "slow-requests"] : "shop/${q}"
    ])
    error_message = "the eleven saved Logs Insights queries, one per file in modules/observability/queries (O-LOG-05, F-METRIC-07, F-DEPLOY-02, O-METRIC-12)"
  }
  assert {
    condition     = alltrue([for s, env in local.service_env : contains([for e in env : "${e.name}=${e.value}"], "SHOP_SERVICE_VERSION=latest")])
    error_message = "every service reports its release as service.version: the image's tag, unless release is set"
  }
  assert {
    condition = (
      strcontains(jsonencode(module.observability.dashboard_bodies["shop-business-awssdk"]), "SOURCE '/shop-lab/prod' | filter message = \\\"item added to cart\\\"") &&
      strcontains(jsonencode(module.observability.dashboard_bodies["shop-business-awssdk"]), "stats count(*) as additions by `shop.product.id`") &&
      strcontains(jsonencode(module.observability.dashboard_bodies["shop-business-awssdk"]), "SOURCE '/shop-lab/prod' | filter message = \\\"request completed\\\" and `http.route` = \\\"/api/products/{id}\\\"") &&
      strcontains(jsonencode(module.observability.dashboard_bodies["shop-business-awssdk"]), "stats sum(quantity) as units, count(*) as orders by `shop.product.id`") &&
      [for w in module.observability.dashboard_bodies["shop-business-awssdk"].widgets : w.properties.title if w.type == "log"] == ["Most viewed products (access log)", "Products added to carts, the 20 most (log lines)", "Products bought: units and orders (log lines)"]
    )
    error_message = "the awssdk business dashboard lists the products most viewed, added to carts and bought, side by side, from the log lines (O-METRIC-12)"
  }
  # The UI's releases (ui_releases.tf): what a UI deployment watches in an awssdk stack.
  assert {
    condition     = output.ui_deploy.alarms == ["shop-js-errors", "shop-poor-lcp-awssdk"]
    error_message = "a UI deployment watches the awssdk backend's JS-error count (its log group) and poor-LCP alarm"
  }

  # Production X-Ray settings (O-TRACE-06): the rules live in X-Ray and the awssdk backend reads them.
  assert {
    condition = (
      module.observability.sampling_rules["shop-health"] == { service_name = "*", url_path = "/api/health", fixed_rate = 0, reservoir_size = 0, priority = 100 } &&
      { for k, r in module.observability.sampling_rules : r.service_name => r if k != "shop-health" } == {
        for s in ["shop-catalog", "shop-inventory", "shop-orders"] : s => { service_name = s, url_path = "*", fixed_rate = 0.05, reservoir_size = 1, priority = 1000 }
      }
    )
    error_message = "X-Ray sampling rules: health checks never sampled (before the rest), each service one a second then 5 %"
  }
  assert {
    condition     = alltrue([for s, c in output.task_definitions : contains([for e in c[0].environment : "${e.name}=${e.value}"], "SHOP_XRAY_SAMPLING_SOURCE=api")])
    error_message = "the awssdk backend takes its sampling rules from X-Ray (GetSamplingRules, GetSamplingTargets)"
  }
  assert {
    condition     = alltrue([for s, c in output.task_definitions : contains([for e in c[0].environment : "${e.name}=${e.value}"], "SHOP_CW_HISTOGRAMS=values")])
    error_message = "the awssdk backend sends histograms as Values/Counts, so that CloudWatch computes percentiles (p99)"
  }
  assert {
    condition = toset(keys(output.alarms)) == toset([
      "shop-http-5xx", "shop-http-4xx", "shop-low-stock", "shop-security-events", "shop-js-errors",
      "shop-dlq-notifications", "shop-dlq-sale-notices", "shop-dlq-admin-alerts", "shop-dlq-image-originals",
      "shop-latency-anomaly-awssdk", "shop-latency-products-awssdk", "shop-latency-product-awssdk", "shop-latency-search-awssdk", "shop-latency-cart-add-awssdk",
      "shop-error-rate-awssdk", "shop-latency-awssdk", "shop-checkout-errors-awssdk", "shop-failed-logins-awssdk", "shop-poor-lcp-awssdk", "shop-telemetry-drops",
      "shop-payment-declines-card-awssdk", "shop-payment-declines-wallet-awssdk",
      "shop-telemetry-dropped-awssdk-shop-catalog", "shop-telemetry-dropped-awssdk-shop-orders", "shop-telemetry-dropped-awssdk-shop-inventory",
    ]) && alltrue([for a in output.alarms : a.alarm_actions == toset([output.alert_topic_arn]) && a.ok_actions == toset([output.alert_topic_arn])])
    error_message = "awssdk: the log-count, dead-letter, awssdk error-rate, latency, checkout-errors, failed-logins and payment-declines, telemetry-dropped (per service) and telemetry-drops alarms, all on the alert topic for ALARM and OK"
  }
  assert {
    condition     = output.alarms["shop-checkout-errors-awssdk"].dimensions == tomap({ "service.name" = "shop-orders", "http.request.method" = "POST", "http.route" = "/api/orders", "http.response.status_code" = "500" })
    error_message = "the awssdk checkout-errors alarm names the backend's exact dimension set for the checkout's 500s"
  }
  assert {
    condition = (
      output.alarms["shop-latency-awssdk"].extended_statistic == "p99" && output.alarms["shop-latency-awssdk"].statistic == null &&
      output.alarms["shop-latency-awssdk"].dimensions == tomap({ "service.name" = "shop-orders", "http.request.method" = "POST", "http.route" = "/api/orders", "http.response.status_code" = "201" })
    )
    error_message = "in AWS the awssdk latency alarm is the checkout's p99, on the backend's exact dimension set"
  }
  assert {
    condition = (
      output.alarms["shop-latency-products-awssdk"].extended_statistic == "p99" &&
      output.alarms["shop-latency-products-awssdk"].dimensions == tomap({ "service.name" = "shop-catalog", "http.request.method" = "GET", "http.route" = "/api/products", "http.response.status_code" = "200" }) &&
      output.alarms["shop-latency-cart-add-awssdk"].dimensions == tomap({ "service.name" = "shop-orders", "http.request.method" = "POST", "http.route" = "/api/carts/{id}/items", "http.response.status_code" = "201" }) &&
      output.alarms["shop-latency-anomaly-awssdk"].metric_dimensions["duration"] == output.alarms["shop-latency-awssdk"].dimensions &&
      output.alarms["shop-latency-anomaly-awssdk"].expression == "ANOMALY_DETECTION_BAND(duration, 2)"
    )
    error_message = "in AWS the other routes' latency alarms are p99 too, each on the service that serves it (catalog for browsing, orders for the cart), and the anomaly band watches the checkout's p99"
  }
  assert {
    condition     = output.alarms["shop-error-rate-awssdk"].expression == "100 * errors / requests" && output.alarms["shop-failed-logins-awssdk"].dimensions == tomap({ "service.name" = "shop-catalog", "shop.login.outcome" = "failed" })
    error_message = "the awssdk error rate from the access log; failed logins on the catalog service, which serves /api/accounts*"
  }
  assert {
    condition     = toset(keys(module.observability.dashboard_bodies)) == toset(["shop-red-awssdk", "shop-business-awssdk", "shop-ux-awssdk", "shop-security-awssdk", "shop-service"])
    error_message = "awssdk: the four dashboards of the awssdk backend and the service view"
  }
  assert {
    condition = alltrue([for v in ["lcp", "inp", "cls", "fcp", "ttfb"] :
      strcontains(jsonencode(module.observability.dashboard_bodies["shop-ux-awssdk"]), "browser.web_vital.${v}")
    ]) && strcontains(jsonencode(module.observability.dashboard_bodies["shop-red-awssdk"]), "'p99'")
    error_message = "the awssdk dashboards: the five Web Vitals, p99 durations"
  }

  # ---- FIS (fis.tf): three templates, each stopped by an alarm, run by a role that may touch
  # this environment's tasks and database only.
  assert {
    condition = (
      output.fis_templates["stop-orders-tasks"].action == "aws:ecs:stop-task" &&
      output.fis_templates["stop-orders-tasks"].target_by["cluster"] == "shop-prod" && output.fis_templates["stop-orders-tasks"].target_by["service"] == "orders" &&
      output.fis_templates["stop-orders-tasks"].selection == "PERCENT(50)" &&
      output.fis_templates["stop-inventory-tasks"].target_by["service"] == "inventory" &&
      output.fis_templates["stop-inventory-tasks"].selection == "ALL" &&
      output.fis_templates["reboot-database"].action == "aws:rds:reboot-db-instances" &&
      output.fis_templates["reboot-database"].target == "aws:rds:db" &&
      output.fis_templates["reboot-database"].parameters["forceFailover"] == "true"
    )
    error_message = "FIS: half the orders tasks stopped, every inventory task stopped, the database rebooted with a failover (Multi-AZ)"
  }
  assert {
    condition = (
      output.fis_templates["stop-orders-tasks"].stop.source == "aws:cloudwatch:alarm" &&
      output.fis_templates["stop-orders-tasks"].stop.value == output.alarms["shop-http-5xx"].arn &&
      output.fis_templates["stop-inventory-tasks"].stop.value == output.alarms["shop-http-5xx"].arn &&
      output.fis_templates["reboot-database"].stop.value == output.canary_alarm.arn &&
      output.canary_alarm.arn != output.alarms["shop-http-5xx"].arn
    )
    error_message = "FIS: the task experiments stop on the 5xx count alarm, the database failover on the canary's alarm"
  }
  assert {
    condition = (
      output.fis_trust.Statement[0].Principal.Service == "fis.amazonaws.com" &&
      alltrue([for t in output.fis_templates : t.role_arn == output.fis_templates["reboot-database"].role_arn]) &&
      alltrue([for st in output.fis_policy.Statement : !contains(flatten([st.Resource]), "*") && alltrue([for a in flatten([st.Action]) : a != "*" && !endswith(a, ":*")])]) &&
      toset(flatten([for st in output.fis_policy.Statement : st.Action])) == toset(["ecs:DescribeTasks", "ecs:StopTask", "ecs:ListTasks", "rds:RebootDBInstance", "rds:DescribeDBInstances"])
    )
    error_message = "FIS: one role for fis.amazonaws.com, no * resource or action, only stopping tasks and rebooting the database"
  }

  assert {
    condition = (
      output.image_resize_function.telemetry == "awssdk" && length(output.image_resize_function.layers) == 0 &&
      aws_lambda_function.image_resize.environment[0].variables["SHOP_CW_LOG_GROUP"] == "/shop-lab/prod" &&
      !contains(output.image_resize_function.env_keys, "OTEL_EXPORTER_OTLP_ENDPOINT") && !contains(output.image_resize_function.env_keys, "SHOP_COLLECTOR_LAMBDA") &&
      one([for st in output.image_resize_function.policy.Statement : st.Condition if st.Sid == "Metrics"]) == { StringEquals = { "cloudwatch:namespace" = "ShopLab" } } &&
      toset(one([for st in output.image_resize_function.policy.Statement : st.Resource if st.Sid == "Logs"])) == toset([
        "arn:aws:logs:eu-west-1:123456789012:log-group:/shop-lab/prod:*", "arn:aws:logs:eu-west-1:123456789012:log-group:/shop-lab/prod/*",
      ])
    )
    error_message = "image-resize (awssdk): the function calls X-Ray, CloudWatch (ShopLab) and Logs (the shop's log group) itself; no layer, no OTLP"
  }
}

run "replay" {
  command = apply
  variables {
    replay_sample_ratio = 0.05
  }

  assert {
    condition     = contains([for e in local.service_env["catalog"] : "${e.name}=${e.value}"], "SHOP_RUM_REPLAY_SAMPLE_RATIO=0.05") && contains([for e in local.service_env["catalog"] : e.name], "SHOP_RUM_REPLAY_BUCKET") && !contains([for e in local.service_env["orders"] : e.name], "SHOP_RUM_REPLAY_BUCKET")
    error_message = "the RUM intake's service (catalog) records 5 % of the sessions into the replays bucket"
  }
  assert {
    condition     = [for st in output.task_policies["catalog"].Statement : st.Action if st.Sid == "Replays"] == [["s3:PutObject"]] && !contains([for st in output.task_policies["orders"].Statement : st.Sid], "Replays")
    error_message = "catalog may only put recordings; no other service touches them"
  }
  assert {
    condition     = module.storage.replay_expiration_days == 30
    error_message = "recordings expire after 30 days"
  }
}

run "noop" {
  command = apply
  variables {
    telemetry_backend = "noop"
  }

  assert {
    condition     = [for st in output.task_policies["catalog"].Statement : st.Sid] == ["Images"]
    error_message = "noop: catalog may only use its images bucket"
  }
  assert {
    condition     = keys(module.observability.dashboard_bodies) == ["shop-service"] && length([for k in keys(output.alarms) : k if strcontains(k, "latency") || strcontains(k, "error-rate") || strcontains(k, "checkout-errors")]) == 0
    error_message = "noop: no backend dashboards or backend alarms, only the service view and the log-derived alarms"
  }
  assert {
    condition     = length([for n, f in module.observability.metric_filters : n if f.namespace == "ShopLab/Logs/otel"]) == 0 && length([for k in keys(output.alarms) : k if endswith(k, "-otel")]) == 0
    error_message = "noop: no collector, so no filters or alarms on its log group"
  }

  assert {
    condition = (
      output.image_resize_function.telemetry == "noop" && output.image_resize_function.tracing_mode == "Active" &&
      [for st in output.image_resize_function.policy.Statement : st.Action if st.Sid == "XRay"] == [["xray:PutTraceSegments", "xray:PutTelemetryRecords"]] &&
      !contains([for st in output.image_resize_function.policy.Statement : st.Sid], "Metrics")
    )
    error_message = "noop: the function keeps active tracing (Lambda's own segments, written with its role) and nothing else of telemetry"
  }
}

run "toggles_on" {
  command = apply
  variables {
    enable_cloudtrail         = true
    enable_managed_prometheus = true
    enable_config             = true
    enable_managed_grafana    = true
    enable_opensearch_logs    = true
    enable_devops_guru        = true
  }

  assert {
    condition     = length(aws_cloudtrail.main) == 1 && aws_cloudtrail.main[0].is_multi_region_trail && module.trail_bucket[0].public_access_blocked && module.trail_bucket[0].policy_applied && length(aws_prometheus_workspace.main) == 1
    error_message = "the toggles turn CloudTrail and Managed Prometheus on"
  }

  # AWS Config: this stack's kinds of resource, daily; six managed rules; non-compliance alerts.
  assert {
    condition = (
      aws_config_configuration_recorder_status.main[0].is_enabled &&
      !one(aws_config_configuration_recorder.main[0].recording_group).all_supported &&
      contains(one(aws_config_configuration_recorder.main[0].recording_group).resource_types, "AWS::ECS::Service") &&
      one(aws_config_configuration_recorder.main[0].recording_mode).recording_frequency == "DAILY" &&
      aws_config_delivery_channel.main[0].s3_bucket_name == module.config_bucket[0].id && module.config_bucket[0].public_access_blocked && module.config_bucket[0].policy_applied
    )
    error_message = "AWS Config records this stack's kinds of resource daily into its own private bucket"
  }
  assert {
    condition = (
      length(aws_config_config_rule.rule) == 6 &&
      jsondecode(aws_config_config_rule.rule["log-group-retention"].input_parameters) == { MinRetentionTime = "30" } &&
      aws_cloudwatch_event_target.config_noncompliant[0].arn == output.alert_topic_arn &&
      jsondecode(aws_cloudwatch_event_rule.config_noncompliant[0].event_pattern).detail.newEvaluationResult.complianceType == ["NON_COMPLIANT"]
    )
    error_message = "six Config rules (the retention rule at log_retention_days); a rule going NON_COMPLIANT reaches the alert topic"
  }
  assert {
    condition     = toset(module.observability.alert_topic_publishers) == toset(["devops-guru.amazonaws.com", "events.amazonaws.com"])
    error_message = "the alert topic lets DevOps Guru and EventBridge (Config's compliance changes) publish"
  }

  # Managed Grafana: CloudWatch, X-Ray and the Prometheus workspace, service-managed permissions.
  assert {
    condition     = toset(aws_grafana_workspace.main[0].data_sources) == toset(["CLOUDWATCH", "XRAY", "PROMETHEUS"]) && aws_grafana_workspace.main[0].permission_type == "SERVICE_MANAGED" && aws_grafana_workspace.main[0].account_access_type == "CURRENT_ACCOUNT"
    error_message = "the Grafana workspace reads this account's CloudWatch, X-Ray and Prometheus"
  }

  # OpenSearch for logs: the shop's log group → Firehose (unpacking CloudWatch Logs' envelopes) → the domain.
  assert {
    condition = (
      aws_cloudwatch_log_subscription_filter.logs_to_opensearch[0].log_group_name == "/shop-lab/prod" &&
      aws_cloudwatch_log_subscription_filter.logs_to_opensearch[0].destination_arn == aws_kinesis_firehose_delivery_stream.logs[0].arn &&
      one(aws_kinesis_firehose_delivery_stream.logs[0].opensearch_configuration).domain_arn == aws_opensearch_domain.logs[0].arn &&
      [for p in one(one(aws_kinesis_firehose_delivery_stream.logs[0].opensearch_configuration).processing_configuration).processors : p.type] == ["Decompression", "CloudWatchLogProcessing"] &&
      one(aws_kinesis_firehose_delivery_stream.logs[0].opensearch_configuration).s3_backup_mode == "FailedDocumentsOnly"
    )
    error_message = "the shop's log lines reach OpenSearch through Firehose, one document per line, refused ones into a bucket"
  }
  assert {
    condition = (
      one(aws_opensearch_domain.logs[0].encrypt_at_rest).enabled && one(aws_opensearch_domain.logs[0].node_to_node_encryption).enabled && one(aws_opensearch_domain.logs[0].domain_endpoint_options).enforce_https &&
      jsondecode(aws_opensearch_domain.logs[0].access_policies).Statement[0].Principal == { AWS = aws_iam_role.firehose_logs[0].arn }
    )
    error_message = "the domain is encrypted, HTTPS only, and written by the delivery role alone"
  }
  assert {
    condition = alltrue(flatten([for p in [aws_iam_role_policy.firehose_logs[0].policy, aws_iam_role_policy.logs_to_firehose[0].policy] :
      [for st in jsondecode(p).Statement : [for a in flatten([st.Action]) : a != "*" && !endswith(a, ":*")] if !contains(flatten([st.Resource]), "*")]
    ])) && jsondecode(aws_iam_role_policy.logs_to_firehose[0].policy).Statement[0].Resource == aws_kinesis_firehose_delivery_stream.logs[0].arn
    error_message = "least privilege: the delivery roles name their actions and resources (the subscription may put records into its stream only)"
  }

  # DevOps Guru: the stack's resources by its tag, insights to the alert topic.
  assert {
    condition = (
      one(aws_devopsguru_resource_collection.main[0].tags).app_boundary_key == "DevOps-Guru-shop" && one(aws_devopsguru_resource_collection.main[0].tags).tag_values == tolist(["prod"]) &&
      local.default_tags["DevOps-Guru-shop"] == "prod" &&
      one(aws_devopsguru_notification_channel.alerts[0].sns).topic_arn == output.alert_topic_arn
    )
    error_message = "DevOps Guru watches the resources tagged DevOps-Guru-shop = prod (every resource of the stack) and tells the alert topic"
  }
}

run "cloudwatch_rum" {
  command = apply
  variables {
    enable_cloudwatch_rum = true
  }

  assert {
    condition = (
      aws_rum_app_monitor.shop[0].domain == aws_cloudfront_distribution.ui.domain_name && aws_rum_app_monitor.shop[0].cw_log_enabled &&
      !one(aws_rum_app_monitor.shop[0].app_monitor_configuration).allow_cookies && one(aws_rum_app_monitor.shop[0].app_monitor_configuration).enable_xray &&
      one(aws_rum_app_monitor.shop[0].app_monitor_configuration).session_sample_rate == 0.1 &&
      toset(one(aws_rum_app_monitor.shop[0].app_monitor_configuration).telemetries) == toset(["errors", "performance", "http"]) &&
      length(one(aws_rum_app_monitor.shop[0].app_monitor_configuration).excluded_pages) == 2
    )
    error_message = "the app monitor watches the UI's domain, without cookies, with X-Ray, a tenth of sessions, and not the pages whose address holds a token"
  }
  assert {
    condition = (
      aws_cognito_identity_pool.rum[0].allow_unauthenticated_identities &&
      aws_cognito_identity_pool_roles_attachment.rum[0].roles["unauthenticated"] == aws_iam_role.rum_guest[0].arn &&
      jsondecode(aws_iam_role_policy.rum_guest[0].policy).Statement == [{ Sid = "PutRumEvents", Effect = "Allow", Action = "rum:PutRumEvents", Resource = aws_rum_app_monitor.shop[0].arn }] &&
      jsondecode(aws_iam_role.rum_guest[0].assume_role_policy).Statement[0].Condition.StringEquals["cognito-identity.amazonaws.com:aud"] == aws_cognito_identity_pool.rum[0].id
    )
    error_message = "the browser's guest identity may put RUM events into this monitor, and do nothing else"
  }
  assert {
    condition = (
      contains([for e in local.service_env["catalog"] : "${e.name}=${e.value}"], "SHOP_CLOUDWATCH_RUM_APP_MONITOR_ID=${aws_rum_app_monitor.shop[0].app_monitor_id}") &&
      contains([for e in local.service_env["catalog"] : "${e.name}=${e.value}"], "SHOP_CLOUDWATCH_RUM_IDENTITY_POOL_ID=${aws_cognito_identity_pool.rum[0].id}") &&
      contains([for e in local.service_env["catalog"] : "${e.name}=${e.value}"], "SHOP_CLOUDWATCH_RUM_GUEST_ROLE_ARN=${aws_iam_role.rum_guest[0].arn}") &&
      contains([for e in local.service_env["catalog"] : "${e.name}=${e.value}"], "SHOP_RUM_SAMPLE_RATIO=0.1") && output.rum_app_monitor_id == aws_rum_app_monitor.shop[0].app_monitor_id &&
      !contains([for e in local.service_env["orders"] : e.name], "SHOP_CLOUDWATCH_RUM_APP_MONITOR_ID")
    )
    error_message = "the catalog service (which answers /api/rum/config) tells the UI the monitor and the guest identity; the other services do not"
  }
}

run "rum_sample_rate_is_a_share" {
  command = plan
  variables {
    enable_cloudwatch_rum   = true
    rum_session_sample_rate = 1.5
  }
  expect_failures = [var.rum_session_sample_rate]
}

run "canary_settings" {
  command = plan
  variables {
    canary_start            = false
    canary_interval_minutes = 1
  }

  assert {
    condition     = !aws_synthetics_canary.journey["purchase"].start_canary && one(aws_synthetics_canary.journey["purchase"].schedule).expression == "rate(1 minute)" && aws_cloudwatch_metric_alarm.canary["purchase"].treat_missing_data == "notBreaching"
    error_message = "a canary deployed stopped; rate(1 minute) in the singular; a stopped canary's missing data is no alarm"
  }
}

run "canary_accounts" {
  command = plan
  variables {
    canary_account_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop-canary-account-AbCdEf"
    canary_admin_secret_arn   = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop-canary-admin-GhIjKl"
  }

  assert {
    condition     = { for k, c in output.canaries : k => [c.name, c.journey] } == { purchase = ["shop-purchase", "shop-purchase"], sign-in = ["shop-sign-in", "shop-sign-in"], back-office = ["shop-back-office", "shop-back-office"] }
    error_message = "with both secrets, three canaries: purchase, sign-in, back-office, each running its journey"
  }
  assert {
    condition     = one(aws_synthetics_canary.journey["sign-in"].run_config).environment_variables["SHOP_CANARY_ACCOUNT_SECRET"] == var.canary_account_secret_arn && one(aws_synthetics_canary.journey["back-office"].run_config).environment_variables["SHOP_CANARY_ACCOUNT_SECRET"] == var.canary_admin_secret_arn && !contains(keys(one(aws_synthetics_canary.journey["purchase"].run_config).environment_variables), "SHOP_CANARY_ACCOUNT_SECRET")
    error_message = "each account canary is given its own secret's ARN (never its content); the purchase canary none"
  }
  assert {
    condition     = length(distinct([for c in aws_synthetics_canary.journey : c.s3_key])) == 1 && alltrue([for c in aws_synthetics_canary.journey : c.handler == "index.handler"])
    error_message = "every canary runs the one package"
  }
  assert {
    condition = alltrue([for k, c in local.canaries : (
      jsonencode([for st in local.canary_policies[k].Statement : st.Resource if st.Sid == "CanaryAccount"]) == jsonencode(c.secret == "" ? [] : [c.secret])
      && one([for st in local.canary_policies[k].Statement : st.Resource if st.Sid == "Artifacts"]) == ["${aws_s3_bucket.canary.arn}/canary/${c.name}/*"]
    )])
    error_message = "least privilege per canary: each role reads its own secret only (the purchase canary's none) and writes its own artefact prefix only"
  }
  assert {
    condition     = keys(aws_iam_role.canary) == ["back-office", "purchase", "sign-in"] && alltrue([for k, r in aws_iam_role.canary : r.name == "${var.name_prefix}-${var.environment}-canary-${k}"]) && keys(aws_iam_role_policy.canary) == keys(aws_iam_role.canary)
    error_message = "a role and a policy per canary"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.canary["sign-in"].dimensions["CanaryName"] == "shop-sign-in" && aws_cloudwatch_metric_alarm.canary["back-office"].dimensions["CanaryName"] == "shop-back-office" && aws_cloudwatch_metric_alarm.canary["back-office"].threshold == 100
    error_message = "a failed sign-in or back-office run alarms"
  }
}

run "canary_not_playwright" {
  command = plan
  variables {
    canary_runtime_version  = "syn-nodejs-puppeteer-9.1"
    canary_interval_minutes = 0
    canary_admin_secret_arn = "shop-canary-admin"
  }
  expect_failures = [var.canary_runtime_version, var.canary_interval_minutes, var.canary_admin_secret_arn]
}

run "unknown_backend" {
  command = plan
  variables {
    telemetry_backend = "jaeger"
  }
  expect_failures = [var.telemetry_backend]
}

run "debug_sample_is_a_share" {
  command = plan
  variables {
    log_debug_sample = 1.5
  }
  expect_failures = [var.log_debug_sample]
}

run "image_resize_timeout_below_visibility" {
  command = plan
  variables {
    image_resize_timeout_seconds = 60
    image_resize_architecture    = "aarch64"
  }
  expect_failures = [var.image_resize_timeout_seconds, var.image_resize_architecture]
}

# Images from a private ECR registry: the execution role may get a token (account-wide: no
# resource-level permission exists for it) and pull from the repositories named, nothing else.
run "private_registry" {
  command = apply
  variables {
    ecr_repository_arns = ["arn:aws:ecr:eu-west-1:123456789012:repository/shop-lab/shop"]
  }
  assert {
    condition = (
      tolist(one([for st in output.execution_policy.Statement : st.Action if st.Sid == "EcrAuth"])) == tolist(["ecr:GetAuthorizationToken"]) &&
      tolist(one([for st in output.execution_policy.Statement : st.Action if st.Sid == "EcrPull"])) == tolist(["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]) &&
      tolist(one([for st in output.execution_policy.Statement : st.Resource if st.Sid == "EcrPull"])) == tolist(["arn:aws:ecr:eu-west-1:123456789012:repository/shop-lab/shop"])
    )
    error_message = "a private registry: an ECR token and pulls from the named repository only"
  }
  assert {
    condition = alltrue([for st in output.execution_policy.Statement :
      !contains(flatten([st.Resource]), "*") || st.Sid == "EcrAuth"
    ])
    error_message = "in the execution role only the ECR token has Resource *"
  }
}

run "private_registry_arns_are_checked" {
  command = plan
  variables {
    ecr_repository_arns = ["shop-lab/shop"]
  }
  expect_failures = [var.ecr_repository_arns]
}

# FIS inside the tasks (fis_tasks.tf, O-FAULT-01): the SSM agent sidecar in every task, the roles
# it needs, and the two task experiments, each on its service's tasks and stopped by the 5xx count.
run "fis_task_actions" {
  command = apply
  variables {
    telemetry_backend       = "awssdk"
    enable_fis_task_actions = true
    fis_latency_ms          = 300
  }
  assert {
    condition = alltrue([for s, c in output.task_definitions : length([for x in c : x if x.name == "fis-agent"]) == 1 && alltrue([for x in c : (
      !x.essential && x.image == "public.ecr.aws/amazon-ssm-agent/amazon-ssm-agent:latest" &&
      x.entryPoint == ["/bin/bash", "-c"] && x.command == [file("fis/ssm-agent.sh")] &&
      { for e in x.environment : e.name => e.value } == { MANAGED_INSTANCE_ROLE_NAME = "shop-prod-fis-managed-instance", AWS_REGION = "eu-west-1" } &&
      x.logConfiguration.options["awslogs-stream-prefix"] == "fis-agent"
    ) if x.name == "fis-agent"]) && one([for x in c : x.essential if x.name == "shop"])])
    error_message = "every task runs the FIS agent from the SSM agent image, not essential (a failed registration never stops the shop), with the registration script, the managed-instance role's name and its own log stream"
  }
  assert {
    condition = (
      output.fis_agent.pid_mode == { catalog = "task", orders = "task", inventory = "task" } &&
      output.fis_agent.enable_fault_injection == { catalog = true, orders = true, inventory = true }
    )
    error_message = "every task definition shares its process namespace with the agent (pidMode task) and opts into Fargate's fault injection"
  }
  assert {
    condition = (
      output.fis_agent.managed_role_trust.Statement[0].Principal.Service == "ssm.amazonaws.com" &&
      output.fis_agent.managed_role_policy == "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" &&
      output.fis_agent.policy_roles == sort([for r in aws_iam_role.task : r.id]) && length(output.fis_agent.policy_roles) == 3
    )
    error_message = "the managed-instance role is Systems Manager's, with AWS's managed-instance policy only; every task role gets the agent's policy"
  }
  assert {
    condition = (
      { for st in output.fis_agent.policy.Statement : st.Sid => toset(flatten([st.Action])) } == {
        Activate                = toset(["ssm:CreateActivation"])
        OwnInstance             = toset(["ssm:AddTagsToResource", "ssm:DeregisterManagedInstance"])
        PassManagedInstanceRole = toset(["iam:PassRole"])
      } &&
      one([for st in output.fis_agent.policy.Statement : st.Condition if st.Sid == "Activate"]) == { StringLike = { "aws:RequestTag/ECS_TASK_ARN" = "arn:aws:ecs:eu-west-1:123456789012:task/shop-prod/*" } } &&
      one([for st in output.fis_agent.policy.Statement : st.Resource if st.Sid == "OwnInstance"]) == "arn:aws:ssm:eu-west-1:123456789012:managed-instance/*" &&
      one([for st in output.fis_agent.policy.Statement : st.Condition if st.Sid == "OwnInstance"]) == { StringLike = { "ssm:resourceTag/ECS_TASK_ARN" = "arn:aws:ecs:eu-west-1:123456789012:task/shop-prod/*" } } &&
      one([for st in output.fis_agent.policy.Statement : st.Resource if st.Sid == "PassManagedInstanceRole"]) == "arn:aws:iam::123456789012:role/shop-prod-fis-managed-instance" &&
      one([for st in output.fis_agent.policy.Statement : st.Condition if st.Sid == "PassManagedInstanceRole"]) == { StringEquals = { "iam:PassedToService" = "ssm.amazonaws.com" } }
    )
    error_message = "the agent may create activations tagged with this cluster's tasks only, tag and deregister only such instances, and pass only the managed-instance role, only to Systems Manager"
  }
  assert {
    condition = (
      output.fis_templates["inventory-network-latency"].action == "aws:ecs:task-network-latency" &&
      output.fis_templates["inventory-network-latency"].target_by == tomap({ cluster = "shop-prod", service = "inventory" }) &&
      output.fis_templates["inventory-network-latency"].selection == "ALL" &&
      output.fis_templates["inventory-network-latency"].parameters == {
        duration = "PT5M", delayMilliseconds = "300", jitterMilliseconds = "30", sources = "ALL", flowsPercent = "100", useEcsFaultInjectionEndpoints = "true"
      } &&
      output.fis_templates["orders-cpu-stress"].action == "aws:ecs:task-cpu-stress" &&
      output.fis_templates["orders-cpu-stress"].target_by == tomap({ cluster = "shop-prod", service = "orders" }) &&
      output.fis_templates["orders-cpu-stress"].selection == "PERCENT(50)" &&
      output.fis_templates["orders-cpu-stress"].parameters == { duration = "PT5M", percent = "80" } &&
      alltrue([for k in ["inventory-network-latency", "orders-cpu-stress"] : output.fis_templates[k].stop.source == "aws:cloudwatch:alarm" && output.fis_templates[k].stop.value == output.alarms["shop-http-5xx"].arn]) &&
      length(output.fis_templates) == 5
    )
    error_message = "two task experiments beside the three others: fis_latency_ms (a tenth of it as jitter) on every inventory task through Fargate's fault-injection endpoints, 80 % CPU on half the orders tasks, both for 5 minutes and stopped by the 5xx count alarm"
  }
  assert {
    condition = (
      one([for st in output.fis_policy.Statement : st.Resource if st.Sid == "RunFaultDocuments"]) == "arn:aws:ssm:eu-west-1::document/AWSFIS-Run-*" &&
      one([for st in output.fis_policy.Statement : st.Resource if st.Sid == "OnClusterTasks"]) == "arn:aws:ssm:eu-west-1:123456789012:managed-instance/*" &&
      [for st in output.fis_policy.Statement : st.Action if contains(["RunFaultDocuments", "OnClusterTasks"], st.Sid)] == [["ssm:SendCommand"], ["ssm:SendCommand"]] &&
      one([for st in output.fis_policy.Statement : st.Condition if st.Sid == "OnClusterTasks"]) == { StringLike = { "ssm:resourceTag/ECS_TASK_ARN" = "arn:aws:ecs:eu-west-1:123456789012:task/shop-prod/*" } } &&
      alltrue([for st in output.fis_policy.Statement : !contains(flatten([st.Resource]), "*") || st.Sid == "FollowCommands"]) &&
      one([for st in output.fis_policy.Statement : st.Action if st.Sid == "FollowCommands"]) == ["ssm:ListCommands", "ssm:CancelCommand"]
    )
    error_message = "FIS may run AWS's AWSFIS-Run-* documents on this cluster's tasks only; only following and cancelling its commands (no resource-level permission) has Resource *"
  }
}

run "ui_initial_release_is_a_name" {
  command = plan
  variables {
    ui_initial_release = "../up"
  }
  expect_failures = [var.ui_initial_release]
}

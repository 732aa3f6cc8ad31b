variable "name_prefix" {
  description = "Prefix of the names of alarms, the alert topic and queue, dashboards, sampling rules, groups and query definitions."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix: 2 to 21 characters (X-Ray rule and group names stop at 32), lower-case letters, digits and '-'."
  }
}

variable "log_group_base" {
  description = "The shop's log group (SHOP_CW_LOG_GROUP, `/shop-lab/<environment>` by default); the EMF group is <base>/metrics (SHOP_CW_EMF_LOG_GROUP)."
  type        = string
  validation {
    condition     = startswith(var.log_group_base, "/")
    error_message = "log_group_base starts with '/'."
  }
}

variable "log_retention_days" {
  description = "Retention of every log group, in days (one of CloudWatch Logs' allowed values)."
  type        = number
  default     = 14
  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, …)."
  }
}

variable "metric_namespace" {
  description = "The namespace the awssdk backend writes metrics to (SHOP_CW_NAMESPACE)."
  type        = string
  default     = "ShopLab"
}

variable "log_metric_namespace" {
  description = "The namespace of the metrics the log metric filters make (a namespace of their own: they never mix with the backends' metrics)."
  type        = string
  default     = "ShopLab/Logs"
}

variable "service_names" {
  description = "The shop's services (service.name): `shop` in the embedded topology; shop-catalog, shop-orders, shop-inventory split."
  type        = list(string)
  default     = ["shop"]
}

variable "dlq_names" {
  description = "Dead-letter queues to alarm on (any message in one is an alarm): key → queue name."
  type        = map(string)
  default     = {}
}

variable "http_5xx_threshold" {
  description = "The HTTP 5xx alarm fires when at least this many requests answered 5xx in one minute (counted from the access log)."
  type        = number
  default     = 5
}

variable "security_events_threshold" {
  description = "The security-events alarm fires when at least this many security events (failed logins, second-factor failures, …) were logged in five minutes."
  type        = number
  default     = 10
}

variable "alert_email" {
  description = "An address the alert topic also mails (AWS only: the emulators deliver no mail for SNS); empty: none."
  type        = string
  default     = ""
}

variable "sampling_rate" {
  description = "X-Ray sampling: the fixed rate of the shop's rule after its reservoir (1 per second)."
  type        = number
  default     = 0.05
}

variable "exclude" {
  description = "Parts of this module left out, by name: what an emulator refuses (envs/local) — xray_sampling_rules, xray_groups, query_definitions, dashboards, alarms, metric_filters."
  type        = set(string)
  default     = []
  validation {
    condition     = length(setsubtract(var.exclude, ["xray_sampling_rules", "xray_groups", "query_definitions", "dashboards", "alarms", "metric_filters"])) == 0
    error_message = "exclude: only xray_sampling_rules, xray_groups, query_definitions, dashboards, alarms, metric_filters."
  }
}

variable "tags" {
  type    = map(string)
  default = {}
}

# ---------------------------------------------------------------- dashboards and backend alarms

variable "telemetry_backends" {
  description = "The telemetry backends whose metrics the dashboards and backend alarms read: one dashboard of each kind per backend (their metric names, namespaces and dimensions differ, docs/dashboards.md). envs/local: both (the lab runs either); envs/aws: the one deployed."
  type        = set(string)
  default     = ["awssdk", "otel"]
  validation {
    condition     = length(setsubtract(var.telemetry_backends, ["awssdk", "otel"])) == 0
    error_message = "telemetry_backends: awssdk, otel."
  }
}

variable "otel_metric_namespace" {
  description = "The namespace the otel backend's metrics reach CloudWatch in: the collector's awsemf exporter's `namespace` (collector/aws.yaml)."
  type        = string
  default     = "ObservabilityShopLab/otel"
}

variable "otel_log_group" {
  description = "The log group the collector's awscloudwatchlogs exporter writes the otel backend's log records to (collector/aws.yaml `log_group_name`), made by the caller (envs/aws: ecs.tf). With `otel` in telemetry_backends, its metric filters, log-count alarms, saved queries and dashboard widgets are made. Empty: none (the lab's collector has no awscloudwatchlogs exporter: no otel log record reaches LocalStack)."
  type        = string
  default     = ""
}

variable "otel_log_metric_namespace" {
  description = "The namespace of the counts the metric filters make from the otel backend's log records: the awssdk backend's metric names (HttpServerErrors, …) in a namespace of their own, as each backend's metrics are."
  type        = string
  default     = "ShopLab/Logs/otel"
}

variable "otel_metrics_log_group" {
  description = "The awsemf exporter's log group (collector/aws.yaml `log_group_name`): named on the otel dashboards."
  type        = string
  default     = "/observability-shop-lab/otel/metrics"
}

variable "checkout_service" {
  description = "service.name of the process that serves POST /api/orders (the checkout): `shop` embedded, `shop-orders` split. The latency alarms watch this route."
  type        = string
  default     = "shop"
}

variable "catalog_service" {
  description = "service.name of the process that serves the catalog (`shop` embedded, `shop-catalog` split): the route latency alarms of the `catalog` routes watch it."
  type        = string
  default     = "shop"
}

variable "latency_routes" {
  description = "Routes beyond the checkout with a latency alarm per backend (O-ALERT-05): key → method, route template, the status of a success (the awssdk backend's dimension), `on` (`catalog` or `checkout`: which service serves it) and the threshold in seconds. Same statistic and minutes as the checkout's alarm."
  type = map(object({
    method            = string
    route             = string
    status            = string
    on                = string
    threshold_seconds = number
  }))
  default = {
    products = { method = "GET", route = "/api/products", status = "200", on = "catalog", threshold_seconds = 0.5 }
    product  = { method = "GET", route = "/api/products/{id}", status = "200", on = "catalog", threshold_seconds = 0.5 }
    search   = { method = "GET", route = "/api/products/search", status = "200", on = "catalog", threshold_seconds = 0.8 }
    cart-add = { method = "POST", route = "/api/carts/{id}/items", status = "201", on = "checkout", threshold_seconds = 0.8 }
  }
  validation {
    condition     = alltrue([for r in values(var.latency_routes) : contains(["catalog", "checkout"], r.on) && r.threshold_seconds > 0 && can(regex("^/", r.route))])
    error_message = "latency_routes: `on` is catalog or checkout, the threshold above 0, the route a template starting with /."
  }
}

variable "latency_anomaly_detection" {
  description = "An anomaly-detection alarm per backend on the checkout's duration (fires when it leaves the band CloudWatch learned). Metric math: LocalStack stores it and never evaluates it."
  type        = bool
  default     = true
}

variable "latency_anomaly_band" {
  description = "The width of the checkout's anomaly-detection band, in standard deviations (CloudWatch's default is 2)."
  type        = number
  default     = 2
  validation {
    condition     = var.latency_anomaly_band > 0 && var.latency_anomaly_band <= 10
    error_message = "latency_anomaly_band: above 0, at most 10."
  }
}

variable "accounts_service" {
  description = "service.name of the process that serves the customer login (`shop` embedded, `shop-catalog` split: the ALB sends /api/accounts* there). The awssdk failed-logins alarm watches its shop.logins."
  type        = string
  default     = "shop"
}

variable "error_rate_threshold_percent" {
  description = "The error-rate alarms fire when more than this share of requests (in percent) answered 5xx in a minute."
  type        = number
  default     = 5
}

variable "http_4xx_threshold" {
  description = "The 4xx alarm fires when at least this many requests were rejected (4xx) in five minutes (access log)."
  type        = number
  default     = 100
}

variable "latency_statistic" {
  description = "The statistic of the awssdk latency alarm: a percentile (p99) in AWS, where the awssdk backend sends histograms as Values/Counts; the emulators compute no percentiles, so envs/local uses Maximum. (The otel alarm always uses Average: awsemf sends histograms as statistic sets, which have no percentiles.)"
  type        = string
  default     = "p99"
  validation {
    condition     = can(regex("^(p[0-9]{1,2}(\\.[0-9]+)?|Average|Maximum|Minimum|Sum|SampleCount)$", var.latency_statistic))
    error_message = "latency_statistic: a percentile pNN or one of Average, Maximum, Minimum, Sum, SampleCount."
  }
}

variable "latency_threshold_seconds" {
  description = "The latency alarms fire when the checkout's duration statistic stays above this many seconds for latency_evaluation_periods minutes."
  type        = number
  default     = 1
}

variable "latency_evaluation_periods" {
  description = "Minutes the checkout's latency must stay above the threshold before the alarm fires."
  type        = number
  default     = 3
}

variable "low_stock_threshold" {
  description = "The low-stock alarm fires when at least this many `low stock` lines (a product at or below its threshold after a checkout) were logged in five minutes."
  type        = number
  default     = 1
}

variable "failed_logins_threshold" {
  description = "The failed-logins alarm fires when at least this many customer logins failed in five minutes."
  type        = number
  default     = 20
}

variable "drop_report_log_groups" {
  description = "Log groups that receive the processes' stderr (in AWS the ECS containers' groups), where the backends and the collector report dropped telemetry: key → log group name. Empty: no telemetry-drops alarm (the lab's processes write stderr to files, not to CloudWatch)."
  type        = map(string)
  default     = {}
}

variable "telemetry_services" {
  description = "service.name of every process whose telemetry backend reports its drops as shop.telemetry.dropped (`shop` embedded; the three services split). One telemetry-dropped alarm per backend and service: a simple alarm, which the emulator evaluates, needs the exact dimensions."
  type        = set(string)
  default     = ["shop"]
}

variable "telemetry_dropped_threshold" {
  description = "The telemetry-dropped alarms fire when a process reported at least this many dropped spans, log records and metric measurements in a minute (shop.telemetry.dropped)."
  type        = number
  default     = 1
}

variable "telemetry_drops_threshold" {
  description = "The telemetry-drops alarm fires when at least this many drop reports were logged in five minutes."
  type        = number
  default     = 1
}

variable "canary_names" {
  description = "CloudWatch Synthetics canaries shown on the service dashboard (envs/aws: the purchase canary; its alarm is in envs/aws/canary.tf)."
  type        = list(string)
  default     = []
}

variable "checkout_errors_threshold" {
  description = "Checkouts answered 500 in one minute that raise the checkout-errors alarm."
  type        = number
  default     = 5
}

variable "rum_service" {
  description = "service.name of the process that serves the browser's RUM intake (/api/rum/*: `shop` embedded, `shop-catalog` split, where the ALB sends it). The poor-LCP alarms watch its browser.web_vital.lcp."
  type        = string
  default     = "shop"
}

variable "js_errors_threshold" {
  description = "JS errors (shop-web log lines at ERROR) in five minutes that raise the js-errors alarm."
  type        = number
  default     = 5
}

variable "poor_lcp_threshold" {
  description = "Home-page loads with a poor LCP (over 4 s) in five minutes that raise the poor-lcp alarms."
  type        = number
  default     = 5
}

variable "alert_publishers" {
  description = "Service principals besides CloudWatch that may publish to the alert topic (e.g. devops-guru.amazonaws.com, events.amazonaws.com), from this account only."
  type        = list(string)
  default     = []
}

variable "alert_source_topics" {
  description = "Other SNS topics whose notifications the alert queue accepts (e.g. envs/aws's topic in us-east-1 for CloudFront's alarms, which must live in that region)."
  type        = list(string)
  default     = []
}

variable "payment_declines_threshold" {
  description = "Declined payments of one method in a minute that raise its alarm."
  type        = number
  default     = 5
}

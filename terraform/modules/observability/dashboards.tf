# Dashboards as code (docs/dashboards.md): RED, business, user experience and security, one of each
# per telemetry backend, and one service view (X-Ray, the synthetic canary, the request flow).
#
# Why one per backend: the shop records the same instruments under the same names in both backends
# (telemetry-api/src/semconv.rs), but what reaches CloudWatch differs.
#   awssdk  PutMetricData into var.metric_namespace; dimensions = service.name + every attribute of
#           the measurement (telemetry-awssdk/src/metrics/mod.rs, `datums`).
#   otel    the collector's awsemf exporter into var.otel_metric_namespace; dimensions = only the
#           sets collector/aws.yaml declares, and only for the metrics it selects: an instrument no
#           declaration selects is not a CloudWatch metric at all.
# A CloudWatch search with a schema matches one exact dimension set, so one dashboard cannot read
# both; the two are made from the one table below, so a concept is defined once.

locals {
  backend_namespace = {
    awssdk = var.metric_namespace
    otel   = var.otel_metric_namespace
  }

  http_dims_awssdk = ["service.name", "http.request.method", "http.response.status_code", "http.route"]

  # concept → the instrument, and per backend the dimension set its CloudWatch metric has (null:
  # not a CloudWatch metric in that backend; `why` says why), an optional extra search term.
  series = {
    requests = {
      metric = "http.server.requests", filter = ""
      awssdk = local.http_dims_awssdk, otel = ["service.name", "http.route"], why = ""
    }
    errors = {
      metric = "http.server.errors", filter = ""
      awssdk = local.http_dims_awssdk, otel = ["service.name", "http.route"], why = ""
    }
    duration = {
      metric = "http.server.request.duration", filter = ""
      awssdk = local.http_dims_awssdk, otel = ["service.name", "http.route"], why = ""
    }
    requests_by_service = {
      metric = "http.server.requests", filter = ""
      awssdk = null, otel = ["service.name"]
      why    = "the awssdk backend writes no per-service roll-up (every data point carries route, method and status): the Metrics Insights widget beside sums it"
    }
    rate_limited = {
      metric = "http.server.requests", filter = " \"http.response.status_code\"=\"429\""
      awssdk = local.http_dims_awssdk, otel = ["service.name", "http.response.status_code"]
      why    = ""
    }
    orders = {
      metric = "shop.orders", filter = ""
      awssdk = ["service.name", "shop.checkout.outcome"], otel = ["service.name", "shop.checkout.outcome"], why = ""
    }
    revenue = {
      metric = "shop.revenue", filter = ""
      awssdk = ["service.name", "shop.currency"], otel = ["service.name"]
      why    = ""
    }
    cart_additions = {
      metric = "shop.cart.additions", filter = ""
      awssdk = ["service.name", "shop.user.type"], otel = ["service.name"], why = ""
    }
    funnel = {
      metric = "shop.funnel.steps", filter = ""
      awssdk = ["service.name", "shop.funnel.step"], otel = ["service.name", "shop.funnel.step"]
      why    = ""
    }
    abandoned = {
      metric = "shop.carts.abandoned", filter = ""
      awssdk = ["service.name"], otel = ["service.name"]
      why    = ""
    }
    # The browser's own metrics (app/server/src/http/rum/metrics.rs): every dimension a closed list.
    rum_errors = {
      metric = "browser.errors", filter = ""
      awssdk = ["service.name", "page.route", "error.source"], otel = ["service.name", "page.route", "error.source"]
      why    = ""
    }
    browser_views = {
      metric = "browser.page.views", filter = ""
      awssdk = ["service.name", "page.route"], otel = ["service.name", "page.route"], why = ""
    }
    browser_funnel = {
      metric = "browser.funnel.steps", filter = ""
      awssdk = ["service.name", "funnel.step"], otel = ["service.name", "funnel.step"], why = ""
    }
    browser_render = {
      metric = "browser.render.duration", filter = ""
      awssdk = ["service.name", "ui.component"], otel = ["service.name", "ui.component"], why = ""
    }
    browser_api = {
      metric = "browser.api.duration", filter = ""
      awssdk = ["service.name", "page.route"], otel = ["service.name", "page.route"], why = ""
    }
    browser_api_server = {
      metric = "browser.api.server_duration", filter = ""
      awssdk = ["service.name", "page.route"], otel = ["service.name", "page.route"], why = ""
    }
    logins = {
      metric = "shop.logins", filter = ""
      awssdk = ["service.name", "shop.login.outcome"], otel = ["service.name", "shop.login.outcome"]
      why    = ""
    }
    security_events = {
      metric = "shop.security.events", filter = ""
      awssdk = ["service.name", "shop.security.event.kind"], otel = ["service.name", "shop.security.event.kind"]
      why    = ""
    }
    admin_actions = {
      metric = "shop.admin.actions", filter = ""
      awssdk = ["service.name", "shop.admin.action", "shop.admin.outcome"], otel = ["service.name", "shop.admin.action", "shop.admin.outcome"]
      why    = ""
    }
    mfa = {
      metric = "shop.admin.actions", filter = " \"shop.admin.action\"=\"admin.mfa\""
      awssdk = ["service.name", "shop.admin.action", "shop.admin.outcome"], otel = ["service.name", "shop.admin.action", "shop.admin.outcome"]
      why    = ""
    }
    # The shop processes' own resources (O-METRIC-02, app/server/src/resources.rs), every 10 s.
    process_cpu = {
      metric = "process.cpu.utilization", filter = ""
      awssdk = ["service.name"], otel = ["service.name"], why = ""
    }
    process_memory = {
      metric = "process.memory.usage", filter = ""
      awssdk = ["service.name"], otel = ["service.name"], why = ""
    }
    process_disk = {
      metric = "process.disk.io", filter = ""
      awssdk = ["service.name", "disk.io.direction"], otel = ["service.name", "disk.io.direction"], why = ""
    }
    network = {
      metric = "system.network.io", filter = ""
      awssdk = ["service.name", "network.interface.name", "network.io.direction"], otel = ["service.name", "network.interface.name", "network.io.direction"]
      why    = ""
    }
  }

  vitals = {
    lcp  = { title = "LCP (ms)", metric = "browser.web_vital.lcp" }
    inp  = { title = "INP (ms)", metric = "browser.web_vital.inp" }
    cls  = { title = "CLS", metric = "browser.web_vital.cls" }
    fcp  = { title = "FCP (ms)", metric = "browser.web_vital.fcp" }
    ttfb = { title = "TTFB (ms)", metric = "browser.web_vital.ttfb" }
  }
  # The RUM intake records each vital into a histogram with page.route and web_vital.rating
  # (app/server/src/http/rum/metrics.rs): bounded values, no user or session in a dimension.
  vital_dims = {
    awssdk = ["service.name", "page.route", "web_vital.rating"]
    otel   = ["service.name", "page.route", "web_vital.rating"]
  }
  vital_why = ""

  # The search schema `{"namespace","dim",…}`: exactly this dimension set. Names with characters
  # other than letters and digits (`/`, `.`) go in double quotes (search expression syntax); all
  # are quoted, so a namespace variable can hold any name.
  schema = { for b in ["awssdk", "otel"] : b => {
    for k, s in local.series : k => s[b] == null ? null : format("{%s}", join(",", [for d in concat([local.backend_namespace[b]], s[b]) : "\"${d}\""]))
  } }
  vital_schema = { for b in ["awssdk", "otel"] : b => local.vital_dims[b] == null ? null : format("{%s}", join(",", [for d in concat([local.backend_namespace[b]], local.vital_dims[b]) : "\"${d}\""])) }

  # concept → backend → stat → the SEARCH expression (null where the backend has no such metric).
  search = { for b in ["awssdk", "otel"] : b => {
    for k, s in local.series : k => local.schema[b][k] == null ? null : {
      for stat in ["Sum", "Average", "Maximum", "p50", "p99"] : stat => "SEARCH('${local.schema[b][k]} MetricName=\"${s.metric}\"${s.filter}', '${stat}', 300)"
    }
  } }

  # Histogram statistics per backend: the otel collector's awsemf sends explicit-bucket histograms
  # as statistic sets (count, sum, min, max), from which CloudWatch computes no percentiles; the
  # awssdk backend sends Values/Counts when SHOP_CW_HISTOGRAMS=values (envs/aws sets it), so AWS
  # computes percentiles for it.
  duration_stats = {
    awssdk = ["p50", "p99"]
    otel   = ["Average", "Maximum"]
  }

  region = data.aws_region.current.name

  # A metric widget over the given SEARCH expressions (ids e0, e1, …).
  # Built inline below with this shape: { type = "metric", x, y, width, height, properties }.

  text_gap = { for b in ["awssdk", "otel"] : b => "Not a CloudWatch metric with the ${b} backend: " }

  # The backends whose log lines reach CloudWatch Logs (main.tf's log_sources: awssdk always,
  # otel where the collector's log group is named): their log-derived counts and saved queries
  # go on their dashboards, each reading its own group and namespace.
  logs_of = { for b, src in local.log_sources : b => {
    group     = src.group
    namespace = src.namespace
    queries   = b == "awssdk" ? "${path.module}/queries" : "${path.module}/queries/${b}"
  } }

  log_metric_note = "Log-derived counts (`${var.log_metric_namespace}`) come from metric filters on `${var.log_group_base}`, where the awssdk backend writes the shop's log lines; the otel backend's logs go to the collector's log group instead."
}

# ---------------------------------------------------------------- widget lists per backend

locals {
  red_widgets = { for b in var.telemetry_backends : b => [
    {
      type       = "text", x = 0, y = 0, width = 24, height = 2
      properties = { markdown = "## ${var.name_prefix}: requests, errors, duration by route (${b})\nThe ${b} backend's metrics in `${local.backend_namespace[b]}`${b == "awssdk" ? "" : " (EMF from the collector's awsemf exporter, log group `${var.otel_metrics_log_group}`)"}${contains(keys(local.logs_of), b) ? "; log-derived counts in `${local.logs_of[b].namespace}` (metric filters on `${local.logs_of[b].group}`)" : ""}; alarms publish to `${aws_sns_topic.alerts.name}`." }
    },
    {
      type = "metric", x = 0, y = 2, width = 8, height = 6
      properties = {
        title   = "Rate: requests per 5 minutes by route"
        region  = local.region
        view    = "timeSeries"
        stat    = "Sum"
        period  = 300
        metrics = [[{ expression = local.search[b].requests.Sum, id = "requests", label = "" }]]
      }
    },
    {
      type = "metric", x = 8, y = 2, width = 8, height = 6
      properties = {
        title  = "Errors: 5xx per 5 minutes by route"
        region = local.region
        view   = "timeSeries"
        stat   = "Sum"
        period = 300
        metrics = concat(
          [[{ expression = local.search[b].errors.Sum, id = "errors", label = "" }]],
          # The access log's count, from the backend's own lines (main.tf's filters).
          [for m in [[try(local.logs_of[b].namespace, ""), local.metric_filters["http-5xx"].metric_name, { label = "5xx (access log)", stat = "Sum" }]] : m if contains(keys(local.logs_of), b)],
        )
      }
    },
    {
      type = "metric", x = 16, y = 2, width = 8, height = 6
      properties = {
        title   = "Duration: ${join(" and ", local.duration_stats[b])} by route (seconds)"
        region  = local.region
        view    = "timeSeries"
        period  = 300
        metrics = [for i, st in local.duration_stats[b] : [{ expression = local.search[b].duration[st], id = "d${i}", label = st }]]
      }
    },
    {
      type = "alarm", x = 0, y = 8, width = 24, height = 3
      properties = {
        title  = "Alarms"
        alarms = local.alarm_arns
      }
    },
    # The processes behind the routes (O-METRIC-02); Container Insights has the containers' view.
    {
      type = "metric", x = 0, y = 11, width = 6, height = 6
      properties = {
        title   = "CPU: share of the process's CPUs, by service (maximum per 5 minutes)"
        region  = local.region
        view    = "timeSeries"
        period  = 300
        metrics = [[{ expression = local.search[b].process_cpu.Maximum, id = "cpu", label = "" }]]
      }
    },
    {
      type = "metric", x = 6, y = 11, width = 6, height = 6
      properties = {
        title   = "Resident memory by service (bytes, maximum per 5 minutes)"
        region  = local.region
        view    = "timeSeries"
        period  = 300
        metrics = [[{ expression = local.search[b].process_memory.Maximum, id = "memory", label = "" }]]
      }
    },
    {
      type = "metric", x = 12, y = 11, width = 6, height = 6
      properties = {
        title   = "Storage reads and writes by service (bytes per 5 minutes)"
        region  = local.region
        view    = "timeSeries"
        period  = 300
        metrics = [[{ expression = local.search[b].process_disk.Sum, id = "disk", label = "" }]]
      }
    },
    {
      type = "metric", x = 18, y = 11, width = 6, height = 6
      properties = {
        title   = "Network by interface and direction (bytes per 5 minutes; the task's in ECS)"
        region  = local.region
        view    = "timeSeries"
        period  = 300
        metrics = [[{ expression = local.search[b].network.Sum, id = "network", label = "" }]]
      }
    },
  ] }

  business_widgets = { for b in var.telemetry_backends : b => concat(
    [
      {
        type       = "text", x = 0, y = 0, width = 24, height = 2
        properties = { markdown = "## ${var.name_prefix}: orders, revenue, funnel, abandonment (${b})\nCheckout attempts by outcome (`shop.orders`), revenue in cents (`shop.revenue`), the conversion funnel (`shop.funnel.steps`: view → cart → checkout → paid) and abandoned carts (`shop.carts.abandoned`), as the ${b} backend stores them in `${local.backend_namespace[b]}`." }
      },
      {
        type = "metric", x = 0, y = 2, width = 12, height = 6
        properties = {
          title   = "Orders by checkout outcome (per 5 minutes)"
          region  = local.region
          view    = "timeSeries"
          stacked = true
          stat    = "Sum"
          period  = 300
          metrics = [[{ expression = local.search[b].orders.Sum, id = "orders", label = "" }]]
        }
      },
      {
        type = "metric", x = 12, y = 2, width = 12, height = 6
        properties = {
          title   = b == "awssdk" ? "Revenue by currency (cents per 5 minutes)" : "Revenue, all currencies summed (cents per 5 minutes: awsemf declares no currency dimension)"
          region  = local.region
          view    = "timeSeries"
          stat    = "Sum"
          period  = 300
          metrics = [[{ expression = local.search[b].revenue.Sum, id = "revenue", label = "" }], [{ expression = local.search[b].cart_additions.Sum, id = "additions", label = "units added to carts", yAxis = "right" }]]
        }
      },
    ],
    [for w in [
      {
        type = "metric", x = 0, y = 8, width = 12, height = 6
        properties = {
          title   = "Checkout funnel: steps per 5 minutes"
          region  = local.region
          view    = "timeSeries"
          stat    = "Sum"
          period  = 300
          metrics = [[{ expression = local.search[b].funnel.Sum, id = "funnel", label = "" }]]
        }
      },
      {
        type = "metric", x = 12, y = 8, width = 12, height = 6
        properties = {
          title   = "Abandoned carts per hour"
          region  = local.region
          view    = "timeSeries"
          stat    = "Sum"
          period  = 3600
          metrics = [[{ expression = local.search[b].abandoned.Sum, id = "abandoned", label = "" }]]
        }
      },
      ] : w if local.series.funnel[b] != null && local.series.abandoned[b] != null], [for w in [
      {
        type       = "text", x = 0, y = 8, width = 24, height = 3
        properties = { markdown = "### Funnel and abandonment: not available\n${local.text_gap[b]}${local.series.funnel.why}; ${local.series.abandoned.why}. Adding them to the awsemf exporter's `metric_declarations` would make them metrics (docs/dashboards.md)." }
      },
    ] : w if local.series.funnel[b] == null || local.series.abandoned[b] == null],
    # Per product (O-METRIC-12): not a metric dimension (docs/shopping.md, what it would cost), but
    # log lines, with the saved queries of the same names, side by side: views (the product
    # page's access-log line names the product), additions to carts (`item added to cart`) and
    # purchases (`product purchased`, a line per product of a placed order). Each backend's own
    # texts (queries/, queries/otel/) on its own log group.
    [for i, q in [
      { file = "product-views", title = "Most viewed products (access log)" },
      { file = "products-added-to-cart", title = "Products added to carts, the 20 most (log lines)" },
      { file = "product-purchases", title = "Products bought: units and orders (log lines)" },
      ] : {
      type = "log", x = 8 * i, y = 20, width = 8, height = 6
      properties = {
        title  = q.title
        region = local.region
        view   = "table"
        query  = "SOURCE '${try(local.logs_of[b].group, "")}' | ${trimspace(file("${try(local.logs_of[b].queries, "${path.module}/queries")}/${q.file}.insights"))}"
      }
    } if contains(keys(local.logs_of), b)],
    [for w in [
      {
        type       = "text", x = 0, y = 20, width = 24, height = 2
        properties = { markdown = "Products viewed, added to carts and bought: saved queries over the ${b} backend's log lines (`queries/${b}/product-views.insights`, `products-added-to-cart.insights`, `product-purchases.insights`), which reach CloudWatch Logs only through the collector's awscloudwatchlogs exporter; no log group is named for them here (`otel_log_group`, docs/dashboards.md)." }
      },
    ] : w if !contains(keys(local.logs_of), b)],
  ) }

  ux_widgets = { for b in var.telemetry_backends : b => concat(
    [
      {
        type       = "text", x = 0, y = 0, width = 24, height = 2
        properties = { markdown = "## ${var.name_prefix}: user experience (${b})\nWeb Vitals measured in the browser, sent to the shop's RUM intake (`/api/rum/*`) and recorded as the shop's histograms `browser.web_vital.*` by page route and rating; the browser's JS errors (`browser.errors`, and their log lines of service `shop-web`), its error rate per page view, its purchase funnel, render times and API calls as the page saw them against the shop's own time (docs/rum.md)." }
      },
    ],
    [for w in concat(
      [for i, k in keys(local.vitals) : {
        type = "metric", x = (i % 3) * 8, y = 2 + floor(i / 3) * 6, width = 8, height = 6
        properties = {
          title  = "${local.vitals[k].title}: average and ${b == "awssdk" ? "p75" : "maximum"} by page"
          region = local.region
          view   = "timeSeries"
          period = 300
          # awssdk sends values (percentiles); awsemf sends statistic sets (no percentiles): Maximum.
          metrics = [
            [{ expression = "SEARCH('${local.vital_schema[b]} MetricName=\"${local.vitals[k].metric}\"', 'Average', 300)", id = "avg_${k}", label = "" }],
            [{ expression = "SEARCH('${local.vital_schema[b]} MetricName=\"${local.vitals[k].metric}\"', '${b == "awssdk" ? "p75" : "Maximum"}', 300)", id = "high_${k}", label = b == "awssdk" ? "p75" : "max" }],
          ]
        }
      }],
      [
        {
          type = "metric", x = 16, y = 8, width = 8, height = 6
          properties = {
            title  = "JS errors per 5 minutes, by route and source"
            region = local.region
            view   = "timeSeries"
            stat   = "Sum"
            period = 300
            # The log-derived count, where the backend's log lines reach CloudWatch Logs.
            metrics = concat(
              contains(keys(local.logs_of), b) ? [[local.logs_of[b].namespace, local.metric_filters["js-errors"].metric_name, { label = "JS errors (log lines of shop-web)", stat = "Sum" }]] : [],
              [[{ expression = local.search[b].rum_errors.Sum, id = "rum_errors", label = "" }]],
            )
          }
        },
        {
          type = "metric", x = 0, y = 14, width = 6, height = 6
          properties = {
            title  = "Front-end error rate (JS errors per 100 page views)"
            region = local.region
            view   = "timeSeries"
            period = 300
            metrics = [
              [{ expression = local.search[b].rum_errors.Sum, id = "errs", visible = false }],
              [{ expression = local.search[b].browser_views.Sum, id = "views", visible = false }],
              [{ expression = "100 * SUM(errs) / SUM(views)", id = "rate", label = "errors per 100 page views" }],
            ]
          }
        },
        {
          type = "metric", x = 6, y = 14, width = 6, height = 6
          properties = {
            title   = "The browser's purchase funnel (steps per 5 minutes)"
            region  = local.region
            view    = "bar"
            stat    = "Sum"
            period  = 300
            metrics = [[{ expression = local.search[b].browser_funnel.Sum, id = "funnel", label = "" }]]
          }
        },
        {
          type = "metric", x = 12, y = 14, width = 6, height = 6
          properties = {
            title   = "Render time by component (ms, average)"
            region  = local.region
            view    = "timeSeries"
            period  = 300
            metrics = [[{ expression = local.search[b].browser_render.Average, id = "render", label = "" }]]
          }
        },
        {
          type = "metric", x = 18, y = 14, width = 6, height = 6
          properties = {
            title  = "API calls: as the page saw them, and in the shop (ms, average, by page)"
            region = local.region
            view   = "timeSeries"
            period = 300
            metrics = [
              [{ expression = local.search[b].browser_api.Average, id = "page", label = "page" }],
              [{ expression = local.search[b].browser_api_server.Average, id = "shop", label = "shop" }],
            ]
          }
        },
      ],
      # Per release (F-DEPLOY-02): the vitals the intake records again by service.version alone
      # (`browser.release.web_vital.*`), a line per release, so that a deployment shows as a new
      # line beside the one before it.
      [for i, k in keys(local.vitals) : {
        type = "metric", x = (i % 3) * 8, y = 20 + floor(i / 3) * 6, width = 8, height = 6
        properties = {
          title  = "${local.vitals[k].title} by release: ${b == "awssdk" ? "p75" : "average"}"
          region = local.region
          view   = "timeSeries"
          period = 300
          metrics = [[{
            expression = "SEARCH('{${join(",", [for d in [local.backend_namespace[b], "service.name", "service.version"] : "\"${d}\""])}} MetricName=\"browser.release.web_vital.${k}\"', '${b == "awssdk" ? "p75" : "Average"}', 300)"
            id         = "release_${k}"
            label      = ""
          }]]
        }
      }],
      ) : w if local.vital_dims[b] != null && local.series.rum_errors[b] != null], [for w in [
      {
        type       = "text", x = 0, y = 2, width = 24, height = 3
        properties = { markdown = "### Web Vitals and JS errors: not available\n${local.text_gap[b]}${local.vital_why}; ${local.series.rum_errors.why}. The browser's error lines go to the collector's log group (Logs Insights: `filter resource.service.name = \"shop-web\"`)." }
      },
    ] : w if local.vital_dims[b] == null || local.series.rum_errors[b] == null],
  ) }

  security_widgets = { for b in var.telemetry_backends : b => concat(
    [
      {
        type       = "text", x = 0, y = 0, width = 24, height = 2
        properties = { markdown = "## ${var.name_prefix}: admin and security (${b})\nFailed logins, security events by kind, back-office actions and MFA, rate-limited requests (429). Dimensions hold closed sets of values (outcomes, kinds, actions), never a user, an address or an e-mail." }
      },
    ],
    [for w in [
      for i, w in [
        { title = "Customer logins by outcome", expr = local.search[b].logins.Sum, id = "logins" },
        { title = "Security events by kind", expr = local.search[b].security_events.Sum, id = "security" },
        { title = "Back-office actions by action and outcome", expr = local.search[b].admin_actions.Sum, id = "admin" },
        { title = "Back-office MFA (admin.mfa) by outcome", expr = local.search[b].mfa.Sum, id = "mfa" },
        { title = "Rate-limited requests (429) by route", expr = local.search[b].rate_limited.Sum, id = "limited" },
        ] : {
        type = "metric", x = (i % 3) * 8, y = 2 + floor(i / 3) * 6, width = 8, height = 6
        properties = {
          title   = "${w.title} (per 5 minutes)"
          region  = local.region
          view    = "timeSeries"
          stat    = "Sum"
          period  = 300
          metrics = [[{ expression = w.expr, id = w.id, label = "" }]]
        }
      }
      ] : w if alltrue([for k in ["logins", "security_events", "admin_actions", "rate_limited"] : local.series[k][b] != null])], [for w in [
      {
        type       = "text", x = 0, y = 2, width = 24, height = 3
        properties = { markdown = "### Security metrics: not available\n${local.text_gap[b]}${local.series.logins.why}; ${local.series.security_events.why}; ${local.series.admin_actions.why}; ${local.series.rate_limited.why}." }
      },
    ] : w if anytrue([for k in ["logins", "security_events", "admin_actions", "rate_limited"] : local.series[k][b] == null])],
    [for w in [
      {
        type = "metric", x = 16, y = 8, width = 8, height = 6
        properties = {
          title  = "From the log: security events and 4xx (per 5 minutes)"
          region = local.region
          view   = "timeSeries"
          stat   = "Sum"
          period = 300
          metrics = [
            [try(local.logs_of[b].namespace, ""), local.metric_filters["security-events"].metric_name, { label = "security events (log)" }],
            [try(local.logs_of[b].namespace, ""), local.metric_filters["http-4xx"].metric_name, { label = "4xx (access log)", yAxis = "right" }],
          ]
        }
      },
    ] : w if contains(keys(local.logs_of), b)],
  ) }
}

# ---------------------------------------------------------------- the service view (X-Ray)

locals {
  # X-Ray groups supply CloudWatch metrics (https://docs.aws.amazon.com/xray/latest/devguide/xray-console-groups.html);
  # the search takes whatever X-Ray publishes for the group rather than naming metrics here.
  xray_group_search = { for k in ["errors", "slow"] : k => "SEARCH('{\"AWS/X-Ray\",GroupName} GroupName=\"${var.name_prefix}-${k}\"', 'Sum', 300)" }

  service_widgets = concat(
    [
      {
        type       = "text", x = 0, y = 0, width = 24, height = 3
        properties = { markdown = "## ${var.name_prefix}: services and traces\nThe request flow per service, what X-Ray sees (groups `${var.name_prefix}-errors`, `${var.name_prefix}-slow`), the synthetic canary, and the slowest requests with their trace ids (open one in the X-Ray console's trace view, or the CloudWatch trace map: [X-Ray console](https://console.aws.amazon.com/xray/home#/service-map))." }
      },
    ],
    [for w in [
      {
        type = "metric", x = 0, y = 3, width = 12, height = 6
        properties = {
          title   = "Requests by service (otel)"
          region  = local.region
          view    = "timeSeries"
          stat    = "Sum"
          period  = 300
          metrics = [[{ expression = local.search.otel.requests_by_service.Sum, id = "otel_services", label = "" }]]
        }
      },
    ] : w if contains(var.telemetry_backends, "otel")],
    [for w in [
      {
        # Metrics Insights sums the awssdk backend's per-route series into one per service.
        type = "metric", x = 12, y = 3, width = 12, height = 6
        properties = {
          title   = "Requests by service (awssdk, Metrics Insights)"
          region  = local.region
          view    = "timeSeries"
          period  = 300
          metrics = [[{ expression = "SELECT SUM(\"http.server.requests\") FROM SCHEMA(\"${var.metric_namespace}\", \"http.request.method\", \"http.response.status_code\", \"http.route\", \"service.name\") GROUP BY \"service.name\"", id = "awssdk_services", label = "" }]]
        }
      },
    ] : w if contains(var.telemetry_backends, "awssdk")],
    [for w in [
      {
        type = "metric", x = 0, y = 9, width = 12, height = 6
        properties = {
          title   = "X-Ray groups: errors and slow traces"
          region  = local.region
          view    = "timeSeries"
          period  = 300
          metrics = [for k, e in local.xray_group_search : [{ expression = e, id = "xray_${k}", label = "" }]]
        }
      },
    ] : w if local.on.xray_groups],
    [for w in [
      {
        type = "metric", x = 12, y = 9, width = 12, height = 6
        properties = {
          title   = "Synthetic canary: success (%)"
          region  = local.region
          view    = "timeSeries"
          stat    = "Average"
          period  = 300
          metrics = [for c in var.canary_names : ["CloudWatchSynthetics", "SuccessPercent", "CanaryName", c]]
        }
      },
    ] : w if length(var.canary_names) > 0],
    # The slowest requests from each backend's access log: the awssdk backend's lines, unless the
    # stack runs only otel (then the collector's lines, whose fields are nested: main.tf).
    [for w in [
      {
        type = "log", x = 0, y = 15, width = 24, height = 6
        properties = {
          title  = "Slowest requests with their trace ids (access log)"
          region = local.region
          view   = "table"
          query  = "SOURCE '${var.log_group_base}' | fields @timestamp, service, `http.route`, `http.response.status_code`, duration_ms, trace_id | filter ispresent(duration_ms) | sort duration_ms desc | limit 20"
        }
      },
    ] : w if contains(var.telemetry_backends, "awssdk") || !local.otel_logs],
    [for w in [
      {
        type = "log", x = 0, y = contains(var.telemetry_backends, "awssdk") ? 21 : 15, width = 24, height = 6
        properties = {
          title  = "Slowest requests with their trace ids (access log, otel)"
          region = local.region
          view   = "table"
          query  = "SOURCE '${var.otel_log_group}' | fields @timestamp, `resource.service.name`, `attributes.http.route`, `attributes.http.response.status_code`, `attributes.duration_ms`, trace_id | filter ispresent(`attributes.duration_ms`) | sort `attributes.duration_ms` desc | limit 20"
        }
      },
    ] : w if local.otel_logs],
  )

  # kind-backend → widgets; the service view is one for all backends.
  dashboards = merge(
    { for b in var.telemetry_backends : "red-${b}" => local.red_widgets[b] },
    { for b in var.telemetry_backends : "business-${b}" => local.business_widgets[b] },
    { for b in var.telemetry_backends : "ux-${b}" => local.ux_widgets[b] },
    { for b in var.telemetry_backends : "security-${b}" => local.security_widgets[b] },
    { service = local.service_widgets },
  )

  alarm_arns = concat(
    [for a in aws_cloudwatch_metric_alarm.log_count : a.arn],
    [for a in aws_cloudwatch_metric_alarm.dlq : a.arn],
    [for a in aws_cloudwatch_metric_alarm.error_rate : a.arn],
    [for a in aws_cloudwatch_metric_alarm.latency : a.arn],
    [for a in aws_cloudwatch_metric_alarm.latency_anomaly : a.arn],
    [for a in aws_cloudwatch_metric_alarm.route_latency : a.arn],
    [for a in aws_cloudwatch_metric_alarm.failed_logins : a.arn],
    [for a in aws_cloudwatch_metric_alarm.telemetry_drops : a.arn],
  )
}

resource "aws_cloudwatch_dashboard" "shop" {
  for_each       = { for k, w in local.dashboards : k => w if local.on.dashboards }
  dashboard_name = "${var.name_prefix}-${each.key}"
  # An alarm widget with no alarms is refused: drop it when there are none.
  dashboard_body = jsonencode({ widgets = [for w in each.value : w if w.type != "alarm" || length(local.alarm_arns) > 0] })
}

# The RED dashboard was one resource, `<prefix>-red`, reading the awssdk backend's metrics; it is
# now `<prefix>-red-awssdk` (a rename: CloudWatch replaces the dashboard).
moved {
  from = aws_cloudwatch_dashboard.red[0]
  to   = aws_cloudwatch_dashboard.shop["red-awssdk"]
}

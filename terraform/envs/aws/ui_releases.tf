# The UI's releases and their rollback (F-DEPLOY-01, docs/terraform.md "Deployments").
#
# The services roll back by themselves (ecs.tf: the circuit breaker and the deployment alarms).
# The UI is static files, so its deployment is an upload, and the same idea needs three parts:
# - every release is a directory of the UI bucket, releases/<release>/, kept after the next one;
# - a key-value store of the distribution holds the key `release`, the one to serve, and a
#   viewer-request function (ui/router.js) puts releases/<release> in front of every path;
# - scripts/deploy-ui.sh uploads a release, sets the key, watches the UI's alarms (JS errors,
#   poor LCP) for a bake time, and sets the key back when one fires.
# Switching is one key: seconds, no distribution update; the cache is looked up with the
# rewritten path, so no invalidation either.

resource "aws_cloudfront_key_value_store" "ui" {
  name    = "${var.name_prefix}-${var.environment}-ui"
  comment = "The UI release CloudFront serves (key `release`), set by scripts/deploy-ui.sh."
}

# The first value, so that the distribution answers once the first release is uploaded there.
# The deploy script owns the key afterwards: Terraform does not set it back.
resource "aws_cloudfrontkeyvaluestore_key" "release" {
  key_value_store_arn = aws_cloudfront_key_value_store.ui.arn
  key                 = "release"
  value               = var.ui_initial_release
  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_cloudfront_function" "ui_router" {
  name                         = "${var.name_prefix}-${var.environment}-ui-router"
  runtime                      = "cloudfront-js-2.0"
  comment                      = "Serves the UI release the key-value store names (ui/router.js)."
  publish                      = true
  code                         = file("${path.module}/ui/router.js")
  key_value_store_associations = [aws_cloudfront_key_value_store.ui.arn]
}

locals {
  # The alarms a UI deployment watches during its bake time: the browser's JS errors (the log
  # count of the running backend's group) and poor LCPs on the home page (its metric).
  ui_alarm_names = [for n in keys(module.observability.alarms) : n if contains([
    "${var.name_prefix}-js-errors${local.otel ? "-otel" : ""}",
    "${var.name_prefix}-poor-lcp-${var.telemetry_backend}",
  ], n)]
}

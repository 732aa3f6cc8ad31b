# CloudWatch RUM (O-RUM-01, F-RUM-01), optional: an app monitor for the UI's domain, beside the
# shop's own intake. With it on, the catalog service (which answers /api/rum/config) tells the UI
# the monitor's id, and the UI loads AWS's web client (aws-rum-web) next to the OpenTelemetry one
# (docs/rum.md, "CloudWatch RUM's own client, side by side"). The browser signs its PutRumEvents
# with guest credentials from a Cognito identity pool whose unauthenticated role may do that, on
# this monitor, and nothing else. (A resource-based policy on the monitor would spare the identity
# pool, but hashicorp/aws 5.100 has no resource for it.)

locals {
  rum = var.enable_cloudwatch_rum ? 1 : 0
  # Pages whose address carries a secret (an invitation or a reset token): RUM records page URLs.
  rum_excluded_pages = [for p in ["/admin/invitation/", "/account/reset-password/"] : "https://${aws_cloudfront_distribution.ui.domain_name}${p}"]
}

resource "aws_cognito_identity_pool" "rum" {
  count                            = local.rum
  identity_pool_name               = "${var.name_prefix}_${var.environment}_rum"
  allow_unauthenticated_identities = true
  allow_classic_flow               = true
}

resource "aws_iam_role" "rum_guest" {
  count = local.rum
  name  = "${var.name_prefix}-${var.environment}-rum-guest"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = "cognito-identity.amazonaws.com" }
      Condition = {
        StringEquals             = { "cognito-identity.amazonaws.com:aud" = aws_cognito_identity_pool.rum[0].id }
        "ForAnyValue:StringLike" = { "cognito-identity.amazonaws.com:amr" = "unauthenticated" }
      }
    }]
  })
}

resource "aws_iam_role_policy" "rum_guest" {
  count = local.rum
  name  = "put-rum-events"
  role  = aws_iam_role.rum_guest[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "PutRumEvents"
      Effect   = "Allow"
      Action   = "rum:PutRumEvents"
      Resource = aws_rum_app_monitor.shop[0].arn
    }]
  })
}

resource "aws_cognito_identity_pool_roles_attachment" "rum" {
  count            = local.rum
  identity_pool_id = aws_cognito_identity_pool.rum[0].id
  roles = {
    unauthenticated = aws_iam_role.rum_guest[0].arn
  }
}

resource "aws_rum_app_monitor" "shop" {
  count  = local.rum
  name   = "${var.name_prefix}-${var.environment}"
  domain = aws_cloudfront_distribution.ui.domain_name
  # The events also go to a CloudWatch Logs group (RUM names it), for Logs Insights.
  cw_log_enabled = true
  app_monitor_configuration {
    allow_cookies       = false
    enable_xray         = var.telemetry_backend != "noop"
    session_sample_rate = var.rum_session_sample_rate
    telemetries         = ["errors", "performance", "http"]
    excluded_pages      = local.rum_excluded_pages
    identity_pool_id    = aws_cognito_identity_pool.rum[0].id
    guest_role_arn      = aws_iam_role.rum_guest[0].arn
  }
  custom_events {
    status = "DISABLED"
  }
}

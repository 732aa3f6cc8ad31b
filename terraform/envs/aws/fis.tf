# AWS Fault Injection Service (O-FAULT-01, docs/faults.md "In AWS: FIS"): experiment templates for
# failures of the real infrastructure, beside the lab's fault flags (which fail the shop's own
# code paths). A template costs nothing; running one does, and harms the environment on purpose:
#
#   aws fis start-experiment --experiment-template-id "$(terraform output -json fis_templates | jq -r '.["<name>"].id')"
#
# Each template states its hypothesis in its description and names the alarm that stops it: when
# the harm goes past what the hypothesis allows, FIS stops the experiment.
#
# The aws:ecs:task-* actions (CPU stress, network latency inside a task) need an SSM agent container
# in every task: fis_tasks.tf, behind enable_fis_task_actions (off by default). The lab's fault flags
# cover slow inventory and a slow database from inside the shop.

locals {
  # The stop conditions. The 5xx count (the access log's, of the backend that runs) is the guard of the task
  # experiments: the hypothesis is that users see few errors. The database failover is allowed
  # its errors; it stops when the synthetic purchase still fails after it (the canary's alarm).
  # (Absent when the observability module's alarms are excluded: then the templates have no stop
  # condition, FIS's "none".)
  fis_guard_5xx = module.observability.guard_5xx_alarm_arn

  fis_templates = {
    stop-orders-tasks = {
      description = "Half the orders tasks stop. Hypothesis: ECS starts replacements; the catalog is untouched; checkouts in flight on a stopped task may fail (SIGTERM drains them), others go to the survivors; the 5xx count stays under its alarm."
      action      = "aws:ecs:stop-task"
      target_type = "aws:ecs:task"
      selection   = "PERCENT(50)"
      parameters  = { cluster = aws_ecs_cluster.main.name, service = aws_ecs_service.service["orders"].name }
      arns        = null
      action_args = {}
      stop        = local.fis_guard_5xx
    }
    stop-inventory-tasks = {
      description = "Every inventory task stops. Hypothesis: checkouts fail fast with 503 and Retry-After while orders cannot reach inventory (the checkout-errors and error-rate alarms may fire); browsing and search are untouched; ECS brings inventory back and checkouts recover by themselves."
      action      = "aws:ecs:stop-task"
      target_type = "aws:ecs:task"
      selection   = "ALL"
      parameters  = { cluster = aws_ecs_cluster.main.name, service = aws_ecs_service.service["inventory"].name }
      arns        = null
      action_args = {}
      stop        = local.fis_guard_5xx
    }
    reboot-database = {
      description = "The database reboots${var.db_multi_az ? " with a failover to the standby" : ""}. Hypothesis: for up to a minute requests that need the database answer 503 and GET /api/health reports it; nothing accepted is lost (orders are idempotent); the pool reconnects by itself and the next canary run passes."
      action      = "aws:rds:reboot-db-instances"
      target_type = "aws:rds:db"
      selection   = "ALL"
      parameters  = null
      arns        = [aws_db_instance.main.arn]
      action_args = { forceFailover = tostring(var.db_multi_az) }
      stop        = aws_cloudwatch_metric_alarm.canary["purchase"].arn
    }
  }
}

resource "aws_iam_role" "fis" {
  name = "${var.name_prefix}-${var.environment}-fis"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "fis.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })
}

locals {
  # What the templates' actions and target resolution need, on this environment's resources only.
  fis_policy = {
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid      = "EcsTasks"
        Effect   = "Allow"
        Action   = ["ecs:DescribeTasks", "ecs:StopTask"]
        Resource = "arn:aws:ecs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:task/${aws_ecs_cluster.main.name}/*"
      },
      {
        # ListTasks is authorised on the container instance; the cluster condition keeps it here.
        Sid       = "EcsListTasks"
        Effect    = "Allow"
        Action    = ["ecs:ListTasks"]
        Resource  = "arn:aws:ecs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:container-instance/${aws_ecs_cluster.main.name}/*"
        Condition = { ArnEquals = { "ecs:cluster" = aws_ecs_cluster.main.arn } }
      },
      {
        Sid      = "Database"
        Effect   = "Allow"
        Action   = ["rds:RebootDBInstance", "rds:DescribeDBInstances"]
        Resource = aws_db_instance.main.arn
      },
    ], local.fis_task_statements)
  }
}

resource "aws_iam_role_policy" "fis" {
  name   = "fis"
  role   = aws_iam_role.fis.id
  policy = jsonencode(local.fis_policy)
}

resource "aws_fis_experiment_template" "shop" {
  for_each    = merge(local.fis_templates, local.fis_task_templates)
  description = each.value.description
  role_arn    = aws_iam_role.fis.arn
  tags        = { Name = "${var.name_prefix}-${each.key}" }

  action {
    name      = each.key
    action_id = each.value.action
    target {
      key   = each.value.target_type == "aws:ecs:task" ? "Tasks" : "DBInstances"
      value = "targets"
    }
    dynamic "parameter" {
      for_each = each.value.action_args
      content {
        key   = parameter.key
        value = parameter.value
      }
    }
  }

  target {
    name           = "targets"
    resource_type  = each.value.target_type
    selection_mode = each.value.selection
    parameters     = each.value.parameters
    resource_arns  = each.value.arns
  }

  stop_condition {
    source = each.value.stop == null ? "none" : "aws:cloudwatch:alarm"
    value  = each.value.stop
  }
}

# FIS inside the tasks (O-FAULT-01, docs/faults.md "In AWS: FIS"): CPU stress and network latency
# injected into running ECS tasks, beside fis.tf's stopped tasks and rebooted database. Off by
# default (enable_fis_task_actions): it adds a container to every task and registers every task
# with Systems Manager as a managed instance.
#
# How the pieces fit (FIS user guide, "Use the AWS FIS aws:ecs:task actions"):
# - every task runs a non-essential sidecar from AWS's SSM agent image, whose script
#   (fis/ssm-agent.sh) registers the task as a managed instance tagged ECS_TASK_ARN = its ARN;
# - the task role may create that activation (for the managed-instance role below only), tag it,
#   and deregister the instance when the task stops;
# - the task definition shares its process namespace (pidMode task), so the agent's faults reach
#   the shop's processes, and opts into Fargate's fault-injection endpoints (enableFaultInjection),
#   which the network actions use;
# - FIS's role may send the AWSFIS-Run-* documents to this cluster's managed instances only.
# ECS Exec must stay off for these actions (it is: no service enables it).

locals {
  fis_tasks = var.enable_fis_task_actions

  fis_agent_container = {
    name      = "fis-agent"
    image     = var.ssm_agent_image
    essential = false
    # The script is the command, so the image needs nothing of ours.
    entryPoint = ["/bin/bash", "-c"]
    command    = [file("${path.module}/fis/ssm-agent.sh")]
    environment = [
      { name = "MANAGED_INSTANCE_ROLE_NAME", value = try(aws_iam_role.fis_managed_instance[0].name, "") },
      { name = "AWS_REGION", value = data.aws_region.current.name },
    ]
  }

  # The task experiments. Each names its hypothesis and stops on the running backend's 5xx count.
  # (A for expression with a condition, as a conditional's two sides must have one type.)
  fis_task_templates = { for k, t in {
    inventory-network-latency = {
      description = "Inventory's network gets ${var.fis_latency_ms} ms slower (±10 %) for 5 minutes. Hypothesis: checkouts slow down by about that much per inventory call and stay well within the 10 s orders gives an inventory call (no 5xx); the checkout's latency alarm may fire; browsing and search are untouched."
      action      = "aws:ecs:task-network-latency"
      target_type = "aws:ecs:task"
      selection   = "ALL"
      parameters  = { cluster = aws_ecs_cluster.main.name, service = aws_ecs_service.service["inventory"].name }
      arns        = null
      action_args = {
        duration                      = "PT5M"
        delayMilliseconds             = tostring(var.fis_latency_ms)
        jitterMilliseconds            = tostring(floor(var.fis_latency_ms / 10))
        sources                       = "ALL"
        flowsPercent                  = "100"
        useEcsFaultInjectionEndpoints = "true"
      }
      stop = local.fis_guard_5xx
    }
    orders-cpu-stress = {
      description = "Half the orders tasks spend 80 % of their CPU elsewhere for 5 minutes. Hypothesis: checkout latency rises on those tasks and the ALB spreads the load; no request fails (5xx count under its alarm); the containers' CPU (Container Insights) and the shop's process.cpu.utilization show it."
      action      = "aws:ecs:task-cpu-stress"
      target_type = "aws:ecs:task"
      selection   = "PERCENT(50)"
      parameters  = { cluster = aws_ecs_cluster.main.name, service = aws_ecs_service.service["orders"].name }
      arns        = null
      action_args = { duration = "PT5M", percent = "80" }
      stop        = local.fis_guard_5xx
    }
  } : k => t if local.fis_tasks }

  # The task role's share (every service's tasks run the sidecar). CreateActivation has no
  # resource-level permission; the condition holds it to activations tagged with one of this
  # cluster's tasks. The instance it registers may be tagged and deregistered only if it carries
  # such a tag.
  fis_agent_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "Activate"
        Effect    = "Allow"
        Action    = ["ssm:CreateActivation"]
        Resource  = "*"
        Condition = { StringLike = { "aws:RequestTag/ECS_TASK_ARN" = local.cluster_task_arns } }
      },
      {
        Sid       = "OwnInstance"
        Effect    = "Allow"
        Action    = ["ssm:AddTagsToResource", "ssm:DeregisterManagedInstance"]
        Resource  = local.managed_instances
        Condition = { StringLike = { "ssm:resourceTag/ECS_TASK_ARN" = local.cluster_task_arns } }
      },
      {
        Sid       = "PassManagedInstanceRole"
        Effect    = "Allow"
        Action    = ["iam:PassRole"]
        Resource  = try(aws_iam_role.fis_managed_instance[0].arn, "")
        Condition = { StringEquals = { "iam:PassedToService" = "ssm.amazonaws.com" } }
      },
    ]
  }

  managed_instances = "arn:aws:ssm:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:managed-instance/*"
  cluster_task_arns = "arn:aws:ecs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:task/${var.name_prefix}-${var.environment}/*"

  # FIS's share: run AWS's fault documents on this cluster's managed instances, and follow them.
  # ListCommands and CancelCommand have no resource-level permission.
  fis_task_statements = [for st in [
    # SendCommand is authorised on the document and on each instance: AWS's documents, and (by
    # their tag) this cluster's tasks.
    {
      Sid      = "RunFaultDocuments"
      Effect   = "Allow"
      Action   = ["ssm:SendCommand"]
      Resource = "arn:aws:ssm:${data.aws_region.current.name}::document/AWSFIS-Run-*"
    },
    {
      Sid       = "OnClusterTasks"
      Effect    = "Allow"
      Action    = ["ssm:SendCommand"]
      Resource  = local.managed_instances
      Condition = { StringLike = { "ssm:resourceTag/ECS_TASK_ARN" = local.cluster_task_arns } }
    },
    {
      Sid      = "FollowCommands"
      Effect   = "Allow"
      Action   = ["ssm:ListCommands", "ssm:CancelCommand"]
      Resource = "*"
    },
  ] : st if local.fis_tasks]
}

# The role a registered task gets as a managed instance: what the agent needs to talk to Systems
# Manager (AWS's managed policy for it), nothing else.
resource "aws_iam_role" "fis_managed_instance" {
  count = local.fis_tasks ? 1 : 0
  name  = "${var.name_prefix}-${var.environment}-fis-managed-instance"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ssm.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })
}

resource "aws_iam_role_policy_attachment" "fis_managed_instance" {
  count      = local.fis_tasks ? 1 : 0
  role       = aws_iam_role.fis_managed_instance[0].name
  policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_role_policy" "fis_agent" {
  for_each = local.fis_tasks ? local.roles : {}
  name     = "fis-agent"
  role     = aws_iam_role.task[each.key].id
  policy   = jsonencode(local.fis_agent_policy)
}

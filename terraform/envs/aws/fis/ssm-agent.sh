#!/bin/bash
# The FIS agent sidecar (fis_tasks.tf; docs/faults.md "In AWS: FIS"): runs in AWS's SSM agent image
# beside the shop in every ECS task when enable_fis_task_actions is on.
#
# FIS's aws:ecs:task-* actions run their fault (CPU stress, network latency) inside the task through
# an SSM document, so the task must be an SSM managed instance that FIS can find. FIS finds it by
# the tag ECS_TASK_ARN = this task's ARN. So, in order:
#   1. read this task's ARN from the task metadata endpoint (ECS sets ECS_CONTAINER_METADATA_URI_V4);
#   2. create a single-use activation for the managed-instance role, tagged with that ARN (the tags
#      of an activation go to the instance registered with it);
#   3. register the agent with it and run the agent;
#   4. on SIGTERM (the task stopping), deregister, so that stopped tasks leave no managed instances.
#
# Written for this project after the FIS user guide's description of the set-up ("Use the AWS FIS
# aws:ecs:task actions"); not run here (no AWS account): the mock-provider test checks the wiring.
set -euo pipefail

# The image has the agent and dnf; the AWS CLI and jq come from Amazon Linux's repositories.
dnf install -y -q awscli-2 jq >/dev/null

task_arn=$(curl -fsS "${ECS_CONTAINER_METADATA_URI_V4}/task" | jq -r '.TaskARN')
region=${AWS_REGION:?AWS_REGION is set by the task definition}

read -r activation_id activation_code < <(
  aws ssm create-activation \
    --region "$region" \
    --iam-role "${MANAGED_INSTANCE_ROLE_NAME:?MANAGED_INSTANCE_ROLE_NAME is set by the task definition}" \
    --registration-limit 1 \
    --default-instance-name "fis-${task_arn##*/}" \
    --tags "Key=ECS_TASK_ARN,Value=${task_arn}" \
    --query '[ActivationId,ActivationCode]' --output text
)

amazon-ssm-agent -register -y -region "$region" -id "$activation_id" -code "$activation_code"
instance_id=$(jq -r '.ManagedInstanceID' /var/lib/amazon/ssm/registration)
echo "registered ${task_arn##*/} as ${instance_id}"

agent=""
deregister() {
  aws ssm deregister-managed-instance --region "$region" --instance-id "$instance_id" || true
  if [ -n "$agent" ]; then kill "$agent" 2>/dev/null || true; fi
}
trap deregister TERM INT

amazon-ssm-agent &
agent=$!
wait "$agent"

# The image-resize function's input (docs/functions.md): S3 notifies a queue of every new original an
# admin uploads under originals/, and the function (in the lab `cargo lambda watch` fed by
# lab-event-source, in AWS an SQS event-source mapping) resizes it into the same bucket.
#
# The shop's provisioner (--image-resize function --events-provision) writes the same resources when
# no Terraform ran (app/core/src/catalog/image_store.rs, provision_originals_queue): the same names,
# the same policy statement, redrive policy and visibility timeout, and the same notification (id
# `shop-originals`). So whichever comes first, the other leaves them as they are, and a plan after
# the shop started is empty (`make lab-smoke` checks it).

locals {
  originals_queue = "${var.name_prefix}-image-originals"
}

resource "aws_sqs_queue" "originals_dlq" {
  count = var.originals_queue ? 1 : 0
  name  = "${local.originals_queue}-dlq"
  tags  = var.tags
}

resource "aws_sqs_queue" "originals" {
  count = var.originals_queue ? 1 : 0
  name  = local.originals_queue
  # The function resizes in about a second; a minute before a retry.
  visibility_timeout_seconds = 60
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.originals_dlq[0].arn
    maxReceiveCount     = var.originals_max_receive_count
  })
  tags = var.tags
}

# Only the images bucket may send, and only to this queue.
resource "aws_sqs_queue_policy" "originals" {
  count     = var.originals_queue ? 1 : 0
  queue_url = aws_sqs_queue.originals[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "s3-notifies-originals"
      Effect    = "Allow"
      Principal = { Service = "s3.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.originals[0].arn
      Condition = { ArnLike = { "aws:SourceArn" = aws_s3_bucket.bucket["images"].arn } }
    }]
  })
}

resource "aws_s3_bucket_notification" "originals" {
  count  = var.originals_queue ? 1 : 0
  bucket = aws_s3_bucket.bucket["images"].id
  queue {
    id            = "shop-originals"
    queue_arn     = aws_sqs_queue.originals[0].arn
    events        = ["s3:ObjectCreated:*"]
    filter_prefix = "originals/"
  }
  depends_on = [aws_sqs_queue_policy.originals]
}

terraform {
  required_version = ">= 1.11"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
  # Production keeps its state remotely, in S3, locked with S3's own lock file (Terraform >= 1.10:
  # use_lockfile, no DynamoDB table). A partial configuration: the bucket, key and region are given
  # at init, so that the same code serves every account and environment, e.g.
  #   terraform init -plugin-dir=… -backend-config=bucket=<state bucket> \
  #     -backend-config=key=shop/prod/terraform.tfstate -backend-config=region=eu-west-1
  # `terraform validate` and `terraform test` initialise with -backend=false (scripts/lab/
  # terraform.sh): they need no AWS account.
  backend "s3" {
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = local.default_tags
  }
}

# CloudFront's metrics, alarms and access logs exist in us-east-1 only (cdn.tf).
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"
  default_tags {
    tags = local.default_tags
  }
}

terraform {
  required_version = ">= 1.11"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
  # Production keeps its state remotely: pass an S3 backend at init, e.g.
  #   terraform init -plugin-dir=… -backend-config=bucket=… -backend-config=key=shop/terraform.tfstate
  # (left out here so that `terraform validate` and `terraform test` need no AWS account).
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

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
    tags = {
      project     = "shop-lab"
      environment = var.environment
    }
  }
}

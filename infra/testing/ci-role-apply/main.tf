# Staging's network, applied AS the staging CI deploy role (tests/e2e/ci-role-
# e2e.sh step 6): the network module as environments/staging calls it, with
# staging's default tags and state key (environments/staging/), through the
# real backend. Reduced from the whole staging root because the emulator
# scopes only IAM, S3 and EC2 by real ARNs and tags (tests/emulator,
# patches 3-3b); ELB, ECS, WAF, KMS, logs and alarms are checked against `*`
# there, so their statements are evaluated by step 52-ci-policy instead.
# Flow logs are off here: their log group is a `logs` resource (see above).

terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }

  backend "s3" {}
}

variable "region" {
  description = "Region of the emulator"
  type        = string
}

variable "permissions_boundary_arn" {
  description = "Staging's workload boundary (output boundary_arns of global/ci)"
  type        = string
}

provider "aws" {
  region = var.region

  # As infra/environments/staging/main.tf: the deploy role creates EC2
  # resources only with Environment=staging.
  default_tags {
    tags = { Project = "s3json", Environment = "staging", ManagedBy = "terraform" }
  }
}

data "aws_caller_identity" "current" {}

module "network" {
  source = "../../modules/network"

  # As infra/modules/environment calls it for staging:
  name                     = "s3json-staging"
  cidr                     = "10.10.0.0/16"
  az_count                 = 2
  enable_nat_gateway       = false
  enable_flow_log          = false
  s3_read_bucket_arns      = ["arn:aws:s3:::s3json-staging-documents-${data.aws_caller_identity.current.account_id}"]
  permissions_boundary_arn = var.permissions_boundary_arn
}

output "caller" {
  description = "Who applied: the staging deploy role's session"
  value       = data.aws_caller_identity.current.arn
}

output "vpc_id" {
  description = "The VPC the role created"
  value       = module.network.vpc_id
}

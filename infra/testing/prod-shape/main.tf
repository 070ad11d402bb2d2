# Production's shape for the infra e2e (tests/e2e/infra-e2e.sh step 4b): the
# prod root's module call with prod's values, applied to the emulator and
# destroyed again. Two values differ from environments/prod, so that the
# e2e can destroy what it applied: deletion_protection and
# documents_force_destroy. TLS comes from a certificate the e2e imports into
# the emulator's ACM (it cannot validate a DNS-requested one).

terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }

  backend "local" {}
}

variable "region" {
  description = "Region of the emulator"
  type        = string
}

variable "image_tag" {
  description = "Image tag (any: the emulator runs no task)"
  type        = string
}

variable "certificate_arn" {
  description = "Certificate imported into the emulator's ACM"
  type        = string
}

provider "aws" {
  region = var.region

  default_tags {
    tags = { Project = "s3json", Environment = "prod", ManagedBy = "terraform" }
  }
}

module "environment" {
  source = "../../modules/environment"

  # As infra/environments/prod/main.tf:
  environment = "prod"
  vpc_cidr    = "10.20.0.0/16"
  az_count    = 3

  cpu                = 512
  memory             = 1024
  log_level          = "info"
  log_retention_days = 90

  autoscaling = {
    min_capacity        = 3
    max_capacity        = 12
    cpu_target          = 55
    memory_target       = 70
    requests_per_target = 800
  }

  image_tag       = var.image_tag
  certificate_arn = var.certificate_arn

  # The two differences, so that the e2e can destroy it:
  deletion_protection     = false
  documents_force_destroy = true
}

output "service_name" {
  description = "ECS service"
  value       = module.environment.service_name
}

output "url" {
  description = "URL of the service"
  value       = module.environment.url
}

output "web_acl_arn" {
  description = "WAF web ACL"
  value       = module.environment.web_acl_arn
}

output "alarm_topic_arn" {
  description = "Alarm topic"
  value       = module.environment.alarm_topic_arn
}

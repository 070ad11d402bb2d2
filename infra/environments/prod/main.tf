# prod: promoted from staging with the same image digest. Three AZs, three
# tasks at rest, and nothing that a destroy could take by accident.

locals {
  environment = "prod"
}

provider "aws" {
  region              = var.region
  allowed_account_ids = length(var.allowed_account_ids) > 0 ? var.allowed_account_ids : null

  default_tags {
    tags = merge({
      Project     = "s3json"
      Environment = local.environment
      ManagedBy   = "terraform"
    }, var.tags)
  }
}

module "environment" {
  source = "../../modules/environment"

  environment = local.environment
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

  deletion_protection     = true
  documents_force_destroy = false

  documents_store                     = var.documents_store
  enable_cognito                      = var.enable_cognito
  auth_scope_prefixes                 = var.auth_scope_prefixes
  documents_table_deletion_protection = true

  cpu_architecture = var.cpu_architecture

  image_tag    = var.image_tag
  image_digest = var.image_digest

  domain_name      = var.domain_name
  route53_zone_id  = var.route53_zone_id
  certificate_arn  = var.certificate_arn
  allow_plain_http = var.allow_plain_http

  permissions_boundary_arn = var.permissions_boundary_arn
  alarm_actions            = var.alarm_actions
  alarm_email              = var.alarm_email
  alarm_https_endpoint     = var.alarm_https_endpoint
}

# State written before modules/environment existed (the modules were called
# from this root directly) moves in place instead of being replaced.
moved {
  from = module.network
  to   = module.environment.module.network
}

moved {
  from = module.documents
  to   = module.environment.module.documents
}

moved {
  from = module.service
  to   = module.environment.module.service
}

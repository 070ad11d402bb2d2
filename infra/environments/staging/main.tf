# staging: the environment every change reaches first. Small, throw-away:
# two AZs, one task at rest, and a destroy that needs no manual steps.

locals {
  environment = "staging"
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
  vpc_cidr    = "10.10.0.0/16"
  az_count    = 2

  log_level          = "debug"
  log_retention_days = 14

  autoscaling = {
    min_capacity = 1
    max_capacity = 3
  }

  # The firewall is optional outside prod (it costs a web ACL, two managed
  # rule groups and a rule a month); turn it on to test rules before prod.
  enable_waf = false

  # Fargate Spot: about 70% off the task compute, but a task may be stopped
  # with two minutes' notice (docs/cost.md). Refused for prod.
  fargate_spot = false

  deletion_protection     = false
  documents_force_destroy = true

  documents_store                     = var.documents_store
  enable_cognito                      = var.enable_cognito
  auth_scope_prefixes                 = var.auth_scope_prefixes
  documents_table_deletion_protection = false

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

# One environment of s3json: the network, the documents bucket and the
# service, wired together. Environment roots (infra/environments/*) call it
# with their values and own the provider and the state.

locals {
  name = "s3json-${var.environment}"

  # One store per environment (issue 14): the other store's resources,
  # endpoint policy statements and task role permissions do not exist.
  s3       = var.documents_store == "s3"
  dynamodb = var.documents_store == "dynamodb"

  # Bearer tokens (issue 15) from this environment's Cognito pool or a
  # user's own issuer. The tasks fetch the key set from the issuer's public
  # endpoint (cognito-idp.<region>.amazonaws.com): Cognito's interface
  # endpoint refuses every request for a user pool that has a domain, and
  # the client-credentials token endpoint needs one, so the path is NAT.
  # https://docs.aws.amazon.com/cognito/latest/developerguide/vpc-interface-endpoints.html
  jwt = var.enable_cognito ? {
    issuer   = module.auth[0].issuer
    audience = module.auth[0].client_id
    jwks_url = null
    } : var.jwt_issuer == null ? null : {
    issuer   = var.jwt_issuer
    audience = var.jwt_audience
    jwks_url = var.jwt_jwks_url
  }
  nat = var.enable_nat_gateway || var.enable_cognito || var.jwt_issuer != null
}

data "aws_caller_identity" "current" {}

################################################################################
# Auth: an optional Cognito user pool for machine clients (issue 15)
################################################################################

module "auth" {
  source = "../auth-cognito"
  count  = var.enable_cognito ? 1 : 0

  name                = local.name
  domain_prefix       = coalesce(var.cognito_domain_prefix, "${local.name}-${data.aws_caller_identity.current.account_id}")
  scope_prefixes      = var.auth_scope_prefixes
  deletion_protection = var.documents_table_deletion_protection
}

# Created by infra/global/ecr; looked up by name so the roots share no state.
data "aws_ecr_repository" "this" {
  name = var.repository_name
}

################################################################################
# Network
################################################################################

module "network" {
  source = "../network"

  name               = local.name
  cidr               = var.vpc_cidr
  az_count           = var.az_count
  enable_nat_gateway = local.nat
  enable_flow_log    = var.enable_flow_log

  # The S3 gateway endpoint reaches this bucket (and ECR's layers) only;
  # the DynamoDB gateway endpoint exists only for the table, read-only.
  s3_read_bucket_arns      = module.documents[*].bucket_arn
  dynamodb_read_table_arns = module.documents_table[*].table_arn
  permissions_boundary_arn = var.permissions_boundary_arn
}

################################################################################
# Documents
################################################################################

module "documents" {
  source = "../documents"
  count  = local.s3 ? 1 : 0

  name_prefix   = "${local.name}-documents-"
  documents_dir = var.documents_dir
  prefix        = var.documents_prefix
  force_destroy = var.documents_force_destroy
}

# Environments applied before the store switch had one documents module.
moved {
  from = module.documents
  to   = module.documents[0]
}

module "documents_table" {
  source = "../documents-table"
  count  = local.dynamodb ? 1 : 0

  name                = "${local.name}-documents"
  documents_dir       = var.documents_dir
  prefix              = var.documents_prefix
  deletion_protection = var.documents_table_deletion_protection
}

################################################################################
# Service
################################################################################

module "service" {
  source = "../service"

  name = local.name

  vpc_id                         = module.network.vpc_id
  public_subnet_ids              = module.network.public_subnet_ids
  private_subnet_ids             = module.network.private_subnet_ids
  task_egress_security_group_ids = [module.network.endpoints_security_group_id]
  # S3's prefix list stays in both stores: ECR's image layers come from S3.
  task_egress_prefix_list_ids = concat(
    [module.network.s3_prefix_list_id],
    local.dynamodb ? [module.network.dynamodb_prefix_list_id] : [],
  )
  task_egress_cidr_blocks = local.nat ? ["0.0.0.0/0"] : []

  documents_store = var.documents_store
  jwt             = local.jwt
  bucket_name     = one(module.documents[*].bucket_name)
  table_name      = one(module.documents_table[*].table_name)
  table_arn       = one(module.documents_table[*].table_arn)
  bucket_prefix   = var.documents_prefix

  repository_url = data.aws_ecr_repository.this.repository_url
  repository_arn = data.aws_ecr_repository.this.arn
  image_tag      = var.image_tag
  image_digest   = var.image_digest

  cpu                               = var.cpu
  cpu_architecture                  = var.cpu_architecture
  memory                            = var.memory
  drain_seconds                     = var.drain_seconds
  fargate_spot                      = var.fargate_spot
  log_level                         = var.log_level
  log_retention_days                = var.log_retention_days
  container_health_check            = var.container_health_check
  health_check_grace_period_seconds = var.health_check_grace_period_seconds
  autoscaling                       = var.autoscaling

  deletion_protection = var.deletion_protection
  domain_name         = var.domain_name
  route53_zone_id     = var.route53_zone_id
  certificate_arn     = var.certificate_arn
  allow_plain_http    = var.allow_plain_http
  alarm_actions       = concat([module.alarms.topic_arn], var.alarm_actions)

  deployment_alarm_names = module.alarms.deployment_alarm_names

  permissions_boundary_arn = var.permissions_boundary_arn

  lb_logs = {
    bucket            = module.edge.lb_log_bucket
    access_prefix     = module.edge.lb_access_log_prefix
    connection_prefix = module.edge.lb_connection_log_prefix
  }
}

################################################################################
# Edge: the load balancer's log bucket and the web application firewall
################################################################################

module "edge" {
  source = "../edge"

  name   = local.name
  lb_arn = module.service.lb_arn

  force_destroy          = var.documents_force_destroy
  lb_log_expiration_days = var.lb_log_expiration_days
  enable_waf             = var.enable_waf
  waf_mode               = var.waf_mode
  waf_rate_limit         = var.waf_rate_limit
  waf_log_retention_days = var.log_retention_days
}

################################################################################
# Alarms: the environment's SNS topic, alarms and deployment alarms
################################################################################

module "alarms" {
  source = "../alarms"

  name                    = local.name
  cluster_name            = local.name
  service_name            = local.name
  log_group_name          = module.service.log_group_name
  lb_arn_suffix           = module.service.lb_arn_suffix
  target_group_arn_suffix = module.service.target_group_arn_suffix
  dynamodb_table_name     = one(module.documents_table[*].table_name)

  email               = var.alarm_email
  https_endpoint      = var.alarm_https_endpoint
  error_rate_percent  = var.alarm_error_rate_percent
  p99_latency_seconds = var.alarm_p99_latency_seconds
}

# One environment of s3json: the network, the documents bucket and the
# service, wired together. Environment roots (infra/environments/*) call it
# with their values and own the provider and the state.

locals {
  name = "s3json-${var.environment}"
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
  enable_nat_gateway = var.enable_nat_gateway
  enable_flow_log    = var.enable_flow_log
}

################################################################################
# Documents
################################################################################

module "documents" {
  source = "../documents"

  name_prefix   = "${local.name}-documents-"
  documents_dir = var.documents_dir
  prefix        = var.documents_prefix
  force_destroy = var.documents_force_destroy
}

################################################################################
# Service
################################################################################

module "service" {
  source = "../service"

  name = local.name

  vpc_id                      = module.network.vpc_id
  public_subnet_ids           = module.network.public_subnet_ids
  private_subnet_ids          = module.network.private_subnet_ids
  task_egress_cidr_blocks     = var.enable_nat_gateway ? ["0.0.0.0/0"] : [module.network.vpc_cidr_block]
  task_egress_prefix_list_ids = [module.network.s3_prefix_list_id]

  bucket_name   = module.documents.bucket_name
  bucket_prefix = module.documents.prefix

  repository_url = data.aws_ecr_repository.this.repository_url
  repository_arn = data.aws_ecr_repository.this.arn
  image_tag      = var.image_tag
  image_digest   = var.image_digest

  cpu                               = var.cpu
  memory                            = var.memory
  drain_seconds                     = var.drain_seconds
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
  alarm_actions       = var.alarm_actions
}

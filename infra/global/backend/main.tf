provider "aws" {
  region              = var.region
  allowed_account_ids = length(var.allowed_account_ids) > 0 ? var.allowed_account_ids : null

  default_tags {
    tags = merge({ Project = "s3json", ManagedBy = "terraform", Root = "global/backend" }, var.tags)
  }
}

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  bucket_name = coalesce(var.bucket_name, "${var.name_prefix}-${data.aws_caller_identity.current.account_id}-${data.aws_region.current.name}")
  use_kms     = var.kms_key_arn != null
}

################################################################################
# State Bucket: versioned, encrypted, private, TLS-only
# https://developer.hashicorp.com/terraform/language/backend/s3
################################################################################

# Every state write is a new version: a bad apply can be rolled back, for
# noncurrent_version_expiration_days (the undo history).
module "bucket" {
  source = "../../modules/private-bucket"

  bucket_name   = local.bucket_name
  force_destroy = var.force_destroy

  kms_key_arn                        = var.kms_key_arn
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  lifecycle_rule_id                  = "expire-old-state-versions"
}

# The bucket's resources were declared here before modules/private-bucket
# existed: the live state bucket moves into the module instead of being
# replaced (a replacement would delete every state in it).
moved {
  from = aws_s3_bucket.this
  to   = module.bucket.aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_public_access_block.this
  to   = module.bucket.aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_ownership_controls.this
  to   = module.bucket.aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_versioning.this
  to   = module.bucket.aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.this
  to   = module.bucket.aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.this
  to   = module.bucket.aws_s3_bucket_lifecycle_configuration.this
}

moved {
  from = aws_s3_bucket_policy.this
  to   = module.bucket.aws_s3_bucket_policy.this
}

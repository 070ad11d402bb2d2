locals {
  # path.module is infra/modules/documents; the repository's data/ is three up.
  documents_dir = coalesce(var.documents_dir, "${path.module}/../../../data")
  documents     = fileset(local.documents_dir, "**/*.json")

  use_kms = var.kms_key_arn != null
}

################################################################################
# Bucket: private, owner-enforced, versioned, encrypted, TLS-only
# (modules/private-bucket)
################################################################################

module "bucket" {
  source = "../private-bucket"

  bucket_name   = var.bucket_name
  bucket_prefix = var.bucket_name == null ? var.name_prefix : null
  force_destroy = var.force_destroy
  tags          = var.tags

  kms_key_arn                        = var.kms_key_arn
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  lifecycle_rule_id                  = "expire-noncurrent-versions"
}

# The bucket's resources were declared here before modules/private-bucket
# existed: their state moves into the module instead of being replaced.
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

################################################################################
# Documents: every *.json under documents_dir, served as application/json
################################################################################

resource "aws_s3_object" "documents" {
  for_each = local.documents

  # configured_name, not name: objects go in only once the bucket's public
  # access block, ownership controls, encryption and policy are in force.
  bucket       = module.bucket.configured_name
  key          = "${var.prefix}${each.value}"
  source       = "${local.documents_dir}/${each.value}"
  content_type = "application/json"

  # S3's ETag is the MD5 only for SSE-S3 objects; under SSE-KMS track the
  # content with source_hash instead, or every plan would show a change.
  etag        = local.use_kms ? null : filemd5("${local.documents_dir}/${each.value}")
  source_hash = local.use_kms ? filemd5("${local.documents_dir}/${each.value}") : null

  tags = var.tags
}

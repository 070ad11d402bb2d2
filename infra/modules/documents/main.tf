locals {
  # path.module is infra/modules/documents; the repository's data/ is three up.
  documents_dir = coalesce(var.documents_dir, "${path.module}/../../../data")
  documents     = fileset(local.documents_dir, "**/*.json")

  use_kms = var.kms_key_arn != null
}

################################################################################
# Bucket: private, owner-enforced, versioned, encrypted, TLS-only
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html
################################################################################

resource "aws_s3_bucket" "this" {
  bucket        = var.bucket_name
  bucket_prefix = var.bucket_name == null ? var.name_prefix : null
  force_destroy = var.force_destroy

  tags = var.tags
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# ACLs disabled: the bucket owner owns every object.
resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = local.use_kms ? "aws:kms" : "AES256"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = local.use_kms
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  # A policy put before the public access block could be judged public.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

################################################################################
# Documents: every *.json under documents_dir, served as application/json
################################################################################

resource "aws_s3_object" "documents" {
  for_each = local.documents

  bucket       = aws_s3_bucket.this.id
  key          = "${var.prefix}${each.value}"
  source       = "${local.documents_dir}/${each.value}"
  content_type = "application/json"

  # S3's ETag is the MD5 only for SSE-S3 objects; under SSE-KMS track the
  # content with source_hash instead, or every plan would show a change.
  etag        = local.use_kms ? null : filemd5("${local.documents_dir}/${each.value}")
  source_hash = local.use_kms ? filemd5("${local.documents_dir}/${each.value}") : null

  tags = var.tags

  # Objects go in once the bucket's encryption and policy are in force.
  depends_on = [
    aws_s3_bucket_server_side_encryption_configuration.this,
    aws_s3_bucket_policy.this,
    aws_s3_bucket_ownership_controls.this,
  ]
}

# One private S3 bucket with the hardening every bucket of s3json gets (the
# Terraform state bucket and the documents bucket): public access blocked,
# ACLs disabled, versioned, encrypted, old versions expired, TLS only. What a
# caller puts in the bucket, and when, stays with the caller (see the
# `configured_name` output).

locals {
  use_kms = var.kms_key_arn != null
}

################################################################################
# Bucket: private, owner-enforced, versioned, encrypted, TLS-only
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html
################################################################################

resource "aws_s3_bucket" "this" {
  bucket        = var.bucket_name
  bucket_prefix = var.bucket_prefix
  force_destroy = var.force_destroy

  tags = var.tags

  lifecycle {
    precondition {
      condition     = (var.bucket_name == null) != (var.bucket_prefix == null)
      error_message = "Set exactly one of bucket_name and bucket_prefix."
    }
  }
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

# Every write is a new version: an overwritten or deleted object (a state
# written by a bad apply, a bad document) can be rolled back.
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

# The rule's id is the caller's: changing the id of an existing rule is an
# in-place update of the lifecycle configuration.
resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = var.lifecycle_rule_id
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    # Logs, not documents: current objects expire too.
    dynamic "expiration" {
      for_each = var.expiration_days == null ? [] : [var.expiration_days]
      content {
        days = expiration.value
      }
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
    Statement = concat([{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }], jsondecode(var.policy_statements))
  })

  # A policy put before the public access block could be judged public.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

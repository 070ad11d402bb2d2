# Private bucket: public access blocked, owner-enforced, versioned, encrypted
# (SSE-S3 or SSE-KMS), old versions expired, TLS-only, not force-destroyable
# by default; bad input refused before any API call.

mock_provider "aws" {
  mock_resource "aws_s3_bucket" {
    defaults = {
      id     = "s3json-private-test"
      bucket = "s3json-private-test"
      arn    = "arn:aws:s3:::s3json-private-test"
    }
  }
}

variables {
  bucket_name = "s3json-private-test"
}

run "defaults_plan" {
  command = plan

  assert {
    condition = (
      aws_s3_bucket_public_access_block.this.block_public_acls &&
      aws_s3_bucket_public_access_block.this.block_public_policy &&
      aws_s3_bucket_public_access_block.this.ignore_public_acls &&
      aws_s3_bucket_public_access_block.this.restrict_public_buckets
    )
    error_message = "all four public access blocks must be on"
  }

  assert {
    condition     = aws_s3_bucket_ownership_controls.this.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs must be disabled (BucketOwnerEnforced)"
  }

  assert {
    condition     = aws_s3_bucket_versioning.this.versioning_configuration[0].status == "Enabled"
    error_message = "the bucket must be versioned"
  }

  assert {
    condition = (
      one(one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256" &&
      one(one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default).kms_master_key_id == null &&
      output.sse_algorithm == "AES256"
    )
    error_message = "SSE-S3 (AES256) by default, and sse_algorithm says so"
  }

  assert {
    condition     = aws_s3_bucket.this.force_destroy == false
    error_message = "force_destroy must default to false"
  }

  assert {
    condition     = aws_s3_bucket.this.bucket == "s3json-private-test" && output.name == "s3json-private-test"
    error_message = "bucket_name names the bucket, and name is known at plan time"
  }

  assert {
    condition = (
      aws_s3_bucket_lifecycle_configuration.this.rule[0].id == "expire-noncurrent-versions" &&
      aws_s3_bucket_lifecycle_configuration.this.rule[0].status == "Enabled" &&
      aws_s3_bucket_lifecycle_configuration.this.rule[0].noncurrent_version_expiration[0].noncurrent_days == 90 &&
      aws_s3_bucket_lifecycle_configuration.this.rule[0].abort_incomplete_multipart_upload[0].days_after_initiation == 7
    )
    error_message = "one enabled lifecycle rule: old versions expire after 90 days, incomplete uploads are aborted after 7"
  }

  assert {
    condition     = length(aws_s3_bucket.this.tags) == 0
    error_message = "no tags unless given"
  }
}

run "defaults_apply" {
  assert {
    condition = anytrue([for s in jsondecode(aws_s3_bucket_policy.this.policy).Statement :
      s.Sid == "DenyInsecureTransport" && s.Effect == "Deny" && s.Principal == "*" && s.Action == "s3:*" &&
      s.Condition.Bool["aws:SecureTransport"] == "false" &&
      toset(s.Resource) == toset(["arn:aws:s3:::s3json-private-test", "arn:aws:s3:::s3json-private-test/*"])
    ])
    error_message = "the bucket policy must deny every request without TLS, on the bucket and its objects"
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_s3_bucket_policy.this.policy).Statement : s.Effect == "Deny"])
    error_message = "the bucket policy grants nothing (access comes from IAM roles only)"
  }

  assert {
    condition     = output.arn == "arn:aws:s3:::s3json-private-test" && output.name == "s3json-private-test" && output.configured_name == output.name
    error_message = "arn, name and configured_name describe the bucket"
  }
}

run "kms" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  }

  assert {
    condition = (
      one(one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default).sse_algorithm == "aws:kms" &&
      one(one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default).kms_master_key_id == var.kms_key_arn &&
      one(aws_s3_bucket_server_side_encryption_configuration.this.rule).bucket_key_enabled &&
      output.sse_algorithm == "aws:kms"
    )
    error_message = "SSE-KMS with the given key and a bucket key when a key is given"
  }
}

run "prefix_and_settings" {
  command = plan

  variables {
    bucket_name                        = null
    bucket_prefix                      = "s3json-staging-documents-"
    force_destroy                      = true
    noncurrent_version_expiration_days = 365
    lifecycle_rule_id                  = "expire-old-state-versions"
    tags                               = { Team = "platform" }
  }

  assert {
    condition     = aws_s3_bucket.this.bucket_prefix == "s3json-staging-documents-"
    error_message = "bucket_prefix is passed to the bucket"
  }

  assert {
    condition     = aws_s3_bucket.this.force_destroy
    error_message = "force_destroy can be turned on"
  }

  assert {
    condition = (
      aws_s3_bucket_lifecycle_configuration.this.rule[0].id == "expire-old-state-versions" &&
      aws_s3_bucket_lifecycle_configuration.this.rule[0].noncurrent_version_expiration[0].noncurrent_days == 365
    )
    error_message = "the caller names the lifecycle rule and the days old versions are kept"
  }

  assert {
    condition     = aws_s3_bucket.this.tags == tomap({ Team = "platform" })
    error_message = "tags go on the bucket"
  }
}

run "rejects_bad_bucket_name" {
  command = plan

  variables {
    bucket_name = "Not_A_Bucket"
  }

  expect_failures = [var.bucket_name]
}

run "rejects_long_bucket_prefix" {
  command = plan

  variables {
    bucket_name   = null
    bucket_prefix = "s3json-a-prefix-much-too-long-for-aws-"
  }

  expect_failures = [var.bucket_prefix]
}

run "rejects_name_and_prefix" {
  command = plan

  variables {
    bucket_prefix = "s3json-documents-"
  }

  expect_failures = [aws_s3_bucket.this]
}

run "rejects_neither_name_nor_prefix" {
  command = plan

  variables {
    bucket_name = null
  }

  expect_failures = [aws_s3_bucket.this]
}

run "rejects_zero_days" {
  command = plan

  variables {
    noncurrent_version_expiration_days = 0
  }

  expect_failures = [var.noncurrent_version_expiration_days]
}

run "rejects_empty_rule_id" {
  command = plan

  variables {
    lifecycle_rule_id = ""
  }

  expect_failures = [var.lifecycle_rule_id]
}

run "log_bucket_settings" {
  variables {
    expiration_days = 30
    policy_statements = jsonencode([{
      Sid       = "Delivery"
      Effect    = "Allow"
      Principal = { Service = "delivery.example.amazonaws.com" }
      Action    = "s3:PutObject"
      Resource  = "arn:aws:s3:::s3json-private-test/logs/*"
    }])
  }

  assert {
    condition     = one(one(aws_s3_bucket_lifecycle_configuration.this.rule).expiration).days == 30
    error_message = "expiration_days expires current objects"
  }
  assert {
    condition     = [for s in jsondecode(aws_s3_bucket_policy.this.policy).Statement : s.Sid] == ["DenyInsecureTransport", "Delivery"]
    error_message = "extra statements follow the TLS-only deny"
  }
}

run "rejects_bad_policy_statements" {
  command = plan

  variables {
    policy_statements = "{\"Sid\": \"not a list\"}"
  }

  expect_failures = [var.policy_statements]
}

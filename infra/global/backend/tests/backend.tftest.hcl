# State bucket: versioned, encrypted, private, TLS-only; the generated backend
# configuration always locks.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::s3json-tfstate-123456789012-eu-west-1" }
  }
}

run "defaults_plan" {
  command = plan

  assert {
    condition     = aws_s3_bucket.this.bucket == "s3json-tfstate-123456789012-eu-west-1"
    error_message = "bucket name is derived from account and region (nobody types it)"
  }
  assert {
    condition     = aws_s3_bucket.this.force_destroy == false
    error_message = "the state bucket must not be force-destroyable by default"
  }
  assert {
    condition     = aws_s3_bucket_versioning.this.versioning_configuration[0].status == "Enabled"
    error_message = "state must be versioned"
  }
  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
    error_message = "state must be encrypted at rest"
  }
  assert {
    condition = (
      aws_s3_bucket_public_access_block.this.block_public_acls &&
      aws_s3_bucket_public_access_block.this.block_public_policy &&
      aws_s3_bucket_public_access_block.this.ignore_public_acls &&
      aws_s3_bucket_public_access_block.this.restrict_public_buckets
    )
    error_message = "all public access must be blocked"
  }
  assert {
    condition     = aws_s3_bucket_ownership_controls.this.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs must be disabled"
  }
}

run "defaults_apply" {
  assert {
    condition = anytrue([for s in jsondecode(aws_s3_bucket_policy.this.policy).Statement :
      s.Effect == "Deny" && s.Action == "s3:*" && s.Principal == "*" &&
      s.Condition.Bool["aws:SecureTransport"] == "false" &&
      toset(s.Resource) == toset([aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"])
    ])
    error_message = "the state bucket must deny every request without TLS"
  }
  assert {
    condition     = strcontains(output.backend_config, "use_lockfile = true") && strcontains(output.backend_config, "encrypt      = true")
    error_message = "the generated backend configuration must lock and encrypt"
  }
  assert {
    condition     = !strcontains(output.backend_config, "skip_") && !strcontains(output.backend_config, "endpoint") && !strcontains(output.backend_config, "lock = false")
    error_message = "the generated backend configuration carries no test knobs"
  }
}

run "kms" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default).sse_algorithm == "aws:kms"
    error_message = "SSE-KMS when a key is given"
  }
  assert {
    condition     = strcontains(output.backend_config, "kms_key_id   = \"${var.kms_key_arn}\"")
    error_message = "the backend configuration names the KMS key"
  }
}

run "rejects_short_history" {
  command = plan

  variables {
    noncurrent_version_expiration_days = 7
  }

  expect_failures = [var.noncurrent_version_expiration_days]
}

# State bucket: named after the account and region, hardened by
# modules/private-bucket (whose own tests assert the public access block,
# ownership, versioning, encryption and the TLS-only policy); the generated
# backend configuration always locks.

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
    condition     = module.bucket.name == "s3json-tfstate-123456789012-eu-west-1" && output.bucket_name == module.bucket.name
    error_message = "bucket name is derived from account and region (nobody types it)"
  }
  assert {
    condition     = module.bucket.sse_algorithm == "AES256"
    error_message = "state must be encrypted at rest (SSE-S3 without a key)"
  }
}

run "defaults_apply" {
  assert {
    condition     = strcontains(output.backend_config, "bucket       = \"s3json-tfstate-123456789012-eu-west-1\"") && strcontains(output.backend_config, "region       = \"eu-west-1\"")
    error_message = "the generated backend configuration names the state bucket and its region"
  }
  assert {
    condition     = output.bucket_arn == "arn:aws:s3:::s3json-tfstate-123456789012-eu-west-1" && output.region == "eu-west-1"
    error_message = "outputs expose the state bucket's ARN and region"
  }
  assert {
    condition     = strcontains(output.backend_config, "use_lockfile = true") && strcontains(output.backend_config, "encrypt      = true")
    error_message = "the generated backend configuration must lock and encrypt"
  }
  assert {
    condition     = !strcontains(output.backend_config, "skip_") && !strcontains(output.backend_config, "endpoint") && !strcontains(output.backend_config, "lock = false") && !strcontains(output.backend_config, "kms_key_id")
    error_message = "the generated backend configuration carries no test knobs (and no KMS key without one)"
  }
}

run "bucket_name" {
  command = plan

  variables {
    bucket_name = "my-state-bucket"
  }

  assert {
    condition     = module.bucket.name == "my-state-bucket"
    error_message = "bucket_name overrides the generated name"
  }
}

run "kms" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  }

  assert {
    condition     = module.bucket.sse_algorithm == "aws:kms"
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

run "rejects_bad_name_prefix" {
  command = plan

  variables {
    name_prefix = "S3JSON_State"
  }

  expect_failures = [var.name_prefix]
}

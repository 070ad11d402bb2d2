# Documents module: the bucket from modules/private-bucket (whose own tests
# assert the public access block, ownership, versioning, encryption and the
# TLS-only policy), named from name_prefix, and the data/ documents uploaded
# as application/json.

mock_provider "aws" {
  mock_resource "aws_s3_bucket" {
    defaults = {
      id     = "s3json-documents-test"
      bucket = "s3json-documents-test"
      arn    = "arn:aws:s3:::s3json-documents-test"
    }
  }
}

run "defaults_plan" {
  command = plan

  assert {
    condition     = module.bucket.sse_algorithm == "AES256"
    error_message = "SSE-S3 by default"
  }

  assert {
    condition     = toset(keys(aws_s3_object.documents)) == toset(["foo.json", "bar.json", "team/platform.json"])
    error_message = "every *.json under data/ must be uploaded"
  }

  assert {
    condition     = alltrue([for o in aws_s3_object.documents : o.content_type == "application/json"])
    error_message = "documents must be served as application/json"
  }

  assert {
    condition     = aws_s3_object.documents["foo.json"].key == "foo.json" && aws_s3_object.documents["foo.json"].etag == filemd5("${path.module}/../../../data/foo.json")
    error_message = "keys follow the file paths; etag tracks the content (MD5)"
  }

  assert {
    condition     = alltrue([for o in aws_s3_object.documents : o.source_hash == null])
    error_message = "under SSE-S3 objects track their content with the etag alone"
  }
}

run "defaults_apply" {
  assert {
    condition     = output.bucket_name == "s3json-documents-test" && output.bucket_arn == "arn:aws:s3:::s3json-documents-test"
    error_message = "outputs expose the bucket's name and ARN"
  }

  assert {
    condition     = alltrue([for o in aws_s3_object.documents : o.bucket == module.bucket.configured_name])
    error_message = "objects go into the module's bucket"
  }

  assert {
    condition     = output.document_keys == tolist(["bar.json", "foo.json", "team/platform.json"])
    error_message = "document_keys lists the uploaded keys"
  }

  assert {
    condition     = output.prefix == "" && output.kms_key_arn == null
    error_message = "no key prefix and no KMS key by default"
  }
}

run "bucket_name" {
  command = plan

  variables {
    bucket_name = "s3json-documents-fixed"
  }

  assert {
    condition     = module.bucket.name == "s3json-documents-fixed"
    error_message = "bucket_name names the bucket (no generated suffix)"
  }
}

run "prefix_and_dir" {
  command = plan

  variables {
    prefix        = "v1/"
    documents_dir = "tests/fixtures/docs"
  }

  assert {
    condition     = toset([for o in aws_s3_object.documents : o.key]) == toset(["v1/one.json", "v1/nested/two.json"])
    error_message = "only *.json files, recursively, under the prefix"
  }
}

run "kms" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  }

  assert {
    condition     = module.bucket.sse_algorithm == "aws:kms" && output.kms_key_arn == var.kms_key_arn
    error_message = "SSE-KMS when a key is given"
  }

  assert {
    condition     = alltrue([for o in aws_s3_object.documents : o.source_hash == filemd5("${path.module}/../../../data/${o.key}")])
    error_message = "under SSE-KMS objects track their content with source_hash"
  }
}

run "rejects_prefix_without_slash" {
  command = plan

  variables {
    prefix = "v1"
  }

  expect_failures = [var.prefix]
}

run "rejects_bad_bucket_name" {
  command = plan

  variables {
    bucket_name = "Not_A_Bucket"
  }

  expect_failures = [var.bucket_name]
}

run "rejects_long_history" {
  command = plan

  variables {
    noncurrent_version_expiration_days = 3651
  }

  expect_failures = [var.noncurrent_version_expiration_days]
}

run "rejects_bad_name_prefix" {
  command = plan

  variables {
    name_prefix = "S3JSON_Documents-"
  }

  expect_failures = [var.name_prefix]
}

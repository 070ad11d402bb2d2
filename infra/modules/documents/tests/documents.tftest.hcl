# Documents module: a private, owner-enforced, versioned, encrypted, TLS-only
# bucket, and the data/ documents uploaded as application/json.

mock_provider "aws" {
  mock_resource "aws_s3_bucket" {
    defaults = {
      id  = "s3json-documents-test"
      arn = "arn:aws:s3:::s3json-documents-test"
    }
  }
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
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
    error_message = "SSE-S3 by default"
  }

  assert {
    condition     = aws_s3_bucket.this.force_destroy == false
    error_message = "force_destroy must default to false"
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
}

run "defaults_apply" {
  assert {
    condition = anytrue([for s in jsondecode(aws_s3_bucket_policy.this.policy).Statement :
      s.Effect == "Deny" && s.Principal == "*" && s.Action == "s3:*" &&
      s.Condition.Bool["aws:SecureTransport"] == "false" &&
      toset(s.Resource) == toset([aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"])
    ])
    error_message = "the bucket policy must deny every request without TLS, on the bucket and its objects"
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_s3_bucket_policy.this.policy).Statement : s.Effect == "Deny"])
    error_message = "the bucket policy grants nothing (access comes from IAM roles only)"
  }

  assert {
    condition     = output.document_keys == tolist(["bar.json", "foo.json", "team/platform.json"])
    error_message = "document_keys lists the uploaded keys"
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
    condition = (
      one(one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default).sse_algorithm == "aws:kms" &&
      one(aws_s3_bucket_server_side_encryption_configuration.this.rule).bucket_key_enabled
    )
    error_message = "SSE-KMS with a bucket key when a key is given"
  }

  assert {
    condition     = alltrue([for o in aws_s3_object.documents : o.source_hash != null])
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

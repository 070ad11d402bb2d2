# Documents table module: on-demand, keyed by name (S), PITR, encryption
# (AWS-owned key by default, a customer key when given), deletion protection,
# and data/ loaded as items in the service's layout (name, body, sha256).

mock_provider "aws" {
  source = "../../testing/aws"
}

variables {
  name = "s3json-test-documents"
}

run "defaults" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.this.billing_mode == "PAY_PER_REQUEST"
    error_message = "the table is on-demand (no capacity to plan or pay for at idle)"
  }
  assert {
    condition     = aws_dynamodb_table.this.hash_key == "name" && aws_dynamodb_table.this.range_key == null && [for a in aws_dynamodb_table.this.attribute : "${a.name}:${a.type}"] == ["name:S"]
    error_message = "the key schema is the partition key name (S) alone"
  }
  assert {
    condition     = one(aws_dynamodb_table.this.point_in_time_recovery).enabled
    error_message = "point-in-time recovery is on"
  }
  assert {
    condition     = one(aws_dynamodb_table.this.server_side_encryption).enabled == false
    error_message = "by default the table is encrypted with DynamoDB's AWS-owned key"
  }
  assert {
    condition     = aws_dynamodb_table.this.deletion_protection_enabled
    error_message = "deletion protection is on unless turned off"
  }
  assert {
    condition     = toset(keys(aws_dynamodb_table_item.documents)) == toset(["foo.json", "bar.json", "team/platform.json"])
    error_message = "every *.json under data/ is loaded"
  }
  assert {
    condition = alltrue([for f, i in aws_dynamodb_table_item.documents :
      jsondecode(i.item).name.S == trimsuffix(f, ".json") &&
      jsondecode(i.item).body.S == file("${path.module}/../../../data/${f}") &&
      jsondecode(i.item).sha256.S == sha256(file("${path.module}/../../../data/${f}")) &&
      length(keys(jsondecode(i.item))) == 3 && i.hash_key == "name"
    ])
    error_message = "items hold name (no .json), the exact body and its lowercase hex sha256"
  }
  assert {
    condition     = jsondecode(aws_dynamodb_table_item.documents["team/platform.json"].item).name.S == "team/platform"
    error_message = "nested documents keep their path as name"
  }
}

run "outputs" {
  assert {
    condition     = output.table_name == "s3json-test-documents" && output.document_names == tolist(["bar", "foo", "team/platform"])
    error_message = "outputs name the table and the loaded items"
  }
  assert {
    condition     = alltrue([for i in aws_dynamodb_table_item.documents : i.table_name == output.table_name])
    error_message = "items go into this table"
  }
}

run "prefix_and_dir" {
  command = plan

  variables {
    prefix        = "v1/"
    documents_dir = "tests/../../documents/tests/fixtures/docs"
  }

  assert {
    condition     = toset([for i in aws_dynamodb_table_item.documents : jsondecode(i.item).name.S]) == toset(["v1/one", "v1/nested/two"])
    error_message = "only *.json files, recursively, named under the prefix"
  }
}

run "customer_managed_key" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  }

  assert {
    condition     = one(aws_dynamodb_table.this.server_side_encryption).enabled && one(aws_dynamodb_table.this.server_side_encryption).kms_key_arn == var.kms_key_arn
    error_message = "SSE-KMS with the given customer-managed key"
  }
}

run "deletion_protection_off" {
  command = plan

  variables {
    deletion_protection = false
  }

  assert {
    condition     = !aws_dynamodb_table.this.deletion_protection_enabled
    error_message = "deletion_protection = false lets destroy delete the table"
  }
}

run "refuses_item_over_400_kb" {
  command = plan

  variables {
    documents_dir = "tests/fixtures/big"
  }

  expect_failures = [aws_dynamodb_table_item.documents]
}

run "rejects_prefix_without_slash" {
  command = plan

  variables {
    prefix = "v1"
  }

  expect_failures = [var.prefix]
}

run "rejects_bad_key_arn" {
  command = plan

  variables {
    kms_key_arn = "alias/aws/dynamodb"
  }

  expect_failures = [var.kms_key_arn]
}

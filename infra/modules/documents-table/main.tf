# The documents in DynamoDB (issue 14): an on-demand table keyed by `name`,
# point-in-time recovery, encryption at rest, deletion protection, and the
# `data/**/*.json` files loaded as items in the layout the service reads:
#   name   (S) = prefix + the file's path without `.json` (GET /api/{name})
#   body   (S) = the file's exact text, served byte for byte
#   sha256 (S) = lowercase hex SHA-256 of body: revalidation reads only this

locals {
  # path.module is infra/modules/documents-table; data/ is three up.
  documents_dir = coalesce(var.documents_dir, "${path.module}/../../../data")
  documents     = fileset(local.documents_dir, "**/*.json")

  # DynamoDB refuses items above 400 KB (names and values together); refuse
  # them at plan time with the file named instead of in the middle of an apply.
  # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-items
  max_item_bytes = 400 * 1024
}

################################################################################
# Table
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/EncryptionAtRest.html
################################################################################

resource "aws_dynamodb_table" "this" {
  name         = var.name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "name"

  attribute {
    name = "name"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  # enabled = false is DynamoDB's default encryption with an AWS-owned key
  # (always on, free, no key policy); true with a key ARN is SSE-KMS with a
  # customer-managed key (auditable key use, revocable, billed per request).
  server_side_encryption {
    enabled     = var.kms_key_arn != null
    kms_key_arn = var.kms_key_arn
  }

  deletion_protection_enabled = var.deletion_protection

  tags = var.tags
}

################################################################################
# Documents: every *.json under documents_dir, one item each
################################################################################

resource "aws_dynamodb_table_item" "documents" {
  for_each = local.documents

  table_name = aws_dynamodb_table.this.name
  hash_key   = aws_dynamodb_table.this.hash_key
  item = jsonencode({
    name   = { S = "${var.prefix}${trimsuffix(each.value, ".json")}" }
    body   = { S = file("${local.documents_dir}/${each.value}") }
    sha256 = { S = sha256(file("${local.documents_dir}/${each.value}")) }
  })

  lifecycle {
    precondition {
      # Bytes of the body (from base64: length() counts characters, not
      # bytes), the name at most 4 bytes a character, 64 of hex digest and
      # the attribute names.
      condition     = length(filebase64("${local.documents_dir}/${each.value}")) / 4 * 3 + length("${var.prefix}${each.value}") * 4 + 64 + 14 <= local.max_item_bytes
      error_message = "${each.value} is too large for a DynamoDB item (400 KB with its name and sha256): keep such documents in the S3 store."
    }
  }
}

# Image repository: immutable tags, scan on push, KMS encryption, lifecycle.

mock_provider "aws" {}

run "defaults_plan" {
  command = plan

  assert {
    condition     = aws_ecr_repository.this.image_tag_mutability == "IMMUTABLE"
    error_message = "tags must be immutable"
  }
  assert {
    condition     = aws_ecr_repository.this.image_scanning_configuration[0].scan_on_push == true
    error_message = "images must be scanned on push"
  }
  assert {
    condition     = aws_ecr_repository.this.encryption_configuration[0].encryption_type == "KMS"
    error_message = "images must be KMS-encrypted"
  }
  assert {
    condition     = aws_ecr_repository.this.force_delete == false
    error_message = "a repository with images must not be deletable by default"
  }
  assert {
    condition = (
      jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[0].selection.tagStatus == "untagged" &&
      jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[0].selection.countNumber == 7 &&
      jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[1].selection.countType == "imageCountMoreThan" &&
      jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[1].selection.countNumber == 50
    )
    error_message = "lifecycle: untagged images expire after 7 days, at most 50 images kept"
  }
}

run "customer_key" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  }

  assert {
    condition     = aws_ecr_repository.this.encryption_configuration[0].kms_key == var.kms_key_arn
    error_message = "a customer-managed key can be given"
  }
}

run "rejects_tiny_retention" {
  command = plan

  variables {
    keep_tagged_images = 1
  }

  expect_failures = [var.keep_tagged_images]
}

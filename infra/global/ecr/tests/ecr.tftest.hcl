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
      jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[0].selection.countNumber == 7
    )
    error_message = "lifecycle: untagged images expire after 7 days"
  }

  # Issue 10, item 6: the images an environment runs or ran recently are
  # kept by a rule of its own, which the catch-all cannot override.
  assert {
    condition = [for r in jsondecode(aws_ecr_lifecycle_policy.this.policy).rules :
      [r.selection.tagPrefixList, r.selection.countType, r.selection.countNumber] if r.selection.tagStatus == "tagged"
      ] == [
      [["prod-"], "imageCountMoreThan", 30],
      [["staging-"], "imageCountMoreThan", 30],
    ]
    error_message = "lifecycle: one rule per environment keeps the 10 newest deploys tagged <env>-* (index + amd64 + arm64 manifests: 30 images), prod's first"
  }
  assert {
    condition = alltrue([for r in jsondecode(aws_ecr_lifecycle_policy.this.policy).rules :
      r.rulePriority < one([for a in jsondecode(aws_ecr_lifecycle_policy.this.policy).rules : a.rulePriority if a.selection.tagStatus == "any"])
      if r.selection.tagStatus != "any"
    ])
    error_message = "lifecycle: the catch-all (tagStatus any) must come last, after every environment's rule"
  }
  assert {
    condition = (
      [for r in jsondecode(aws_ecr_lifecycle_policy.this.policy).rules : r.selection.countNumber if r.selection.tagStatus == "any"] == [150] &&
      length(distinct([for r in jsondecode(aws_ecr_lifecycle_policy.this.policy).rules : r.rulePriority])) == length(jsondecode(aws_ecr_lifecycle_policy.this.policy).rules)
    )
    error_message = "lifecycle: one catch-all keeping 50 builds (150 manifests); rule priorities unique"
  }
}

run "environments_in_priority_order" {
  command = plan

  variables {
    environments         = ["prod", "staging", "dev"]
    keep_deployed_images = 20
  }

  assert {
    condition = [for r in jsondecode(aws_ecr_lifecycle_policy.this.policy).rules :
      { prefix = r.selection.tagPrefixList[0], keep = r.selection.countNumber, priority = r.rulePriority } if r.selection.tagStatus == "tagged"
      ] == [
      { prefix = "prod-", keep = 60, priority = 10 },
      { prefix = "staging-", keep = 60, priority = 11 },
      { prefix = "dev-", keep = 60, priority = 12 },
    ]
    error_message = "each environment gets its rule, in the order given (earlier = kept first)"
  }
}

run "rejects_overlapping_environments" {
  command = plan

  variables {
    environments = ["prod", "prod-eu"]
  }

  expect_failures = [var.environments]
}

# Issue 10, items 4 and 6: platform manifests count as images of their own.
run "single_architecture_counts" {
  command = plan

  variables {
    image_architectures  = ["arm64"]
    keep_deployed_images = 4
    keep_tagged_images   = 20
  }

  assert {
    condition = [for r in jsondecode(aws_ecr_lifecycle_policy.this.policy).rules :
      r.selection.countNumber if r.selection.tagStatus != "untagged"
    ] == [8, 8, 40]
    error_message = "one architecture: each deploy and build is 2 manifests (index + platform)"
  }
}

run "rejects_unknown_architecture" {
  command = plan

  variables {
    image_architectures = ["amd64", "x86_64"]
  }

  expect_failures = [var.image_architectures]
}

run "rejects_no_architecture" {
  command = plan

  variables {
    image_architectures = []
  }

  expect_failures = [var.image_architectures]
}

run "rejects_keeping_one_deployed_image" {
  command = plan

  variables {
    keep_deployed_images = 1
  }

  expect_failures = [var.keep_deployed_images]
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

provider "aws" {
  region              = var.region
  allowed_account_ids = length(var.allowed_account_ids) > 0 ? var.allowed_account_ids : null

  default_tags {
    tags = merge({ Project = "s3json", ManagedBy = "terraform", Root = "global/ecr" }, var.tags)
  }
}

################################################################################
# Repository: immutable tags, scanned on push, KMS-encrypted
# https://docs.aws.amazon.com/AmazonECR/latest/userguide/Repositories.html
################################################################################

resource "aws_ecr_repository" "this" {
  name                 = var.name
  image_tag_mutability = "IMMUTABLE" # a tag names one image forever; deployments pin it
  force_delete         = var.force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }
}

################################################################################
# Lifecycle Policy: what an environment runs or ran recently is never expired.
# scripts/deploy/deploy.sh tags each image it deploys `<env>-<UTC time>`
# (tags are immutable, so every deploy adds one); each environment keeps its
# newest keep_deployed_images, the rest keep_tagged_images.
# https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html
################################################################################

locals {
  # ECR's rules act on each manifest separately, and a tag on an image index
  # does not protect the platform manifests it references (AWS
  # containers-roadmap #1466): publish.sh and tag-image.sh give each platform
  # manifest the index's tag plus `-<arch>`, so one build or deploy is
  # 1 + length(image_architectures) images, and the counts below are in
  # builds and deploys, not manifests.
  images_per_build = 1 + length(var.image_architectures)

  # Rules are evaluated by rulePriority, and an image that a rule keeps can
  # never be expired by a later rule: so each environment's own rule comes
  # before the catch-all, and the first environment (prod) before the others.
  # Were staging's rule first, ten staging deploys would expire the older
  # image prod still runs.
  environment_rules = [for i, env in var.environments : {
    rulePriority = 10 + i
    description  = "Keep the ${var.keep_deployed_images} newest images deployed to ${env} (tags ${env}-*; ${local.images_per_build} manifests each)"
    selection = {
      tagStatus     = "tagged"
      tagPrefixList = ["${env}-"]
      countType     = "imageCountMoreThan"
      countNumber   = var.keep_deployed_images * local.images_per_build
    }
    action = { type = "expire" }
  }]
}

locals {
  lifecycle_policy = jsonencode({
    rules = concat(
      [{
        rulePriority = 1
        description  = "Delete untagged images after ${var.untagged_expiry_days} days"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = var.untagged_expiry_days
        }
        action = { type = "expire" }
      }],
      local.environment_rules,
      [{
        # tagStatus any must have the highest priority: it sees only the
        # images no environment rule has kept.
        rulePriority = 1000
        description  = "Keep the ${var.keep_tagged_images} most recent other images (${local.images_per_build} manifests each)"
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = var.keep_tagged_images * local.images_per_build
        }
        action = { type = "expire" }
      }],
    )
  })
}

resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name
  policy     = local.lifecycle_policy
}

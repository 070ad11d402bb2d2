################################################################################
# Provider
################################################################################

variable "region" {
  description = "AWS region of the repository"
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must look like eu-west-1."
  }
}

variable "allowed_account_ids" {
  description = "Refuse to run against any other AWS account (empty = no check)"
  type        = list(string)
  default     = []
  nullable    = false
}

variable "tags" {
  description = "Tags added to every resource"
  type        = map(string)
  default     = {}
  nullable    = false
}

################################################################################
# Repository
################################################################################

variable "name" {
  description = "Name of the image repository"
  type        = string
  default     = "s3json"

  validation {
    condition     = can(regex("^[a-z0-9]+([._/-][a-z0-9]+)*$", var.name))
    error_message = "name must be a valid ECR repository name."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the images; null = the AWS-managed `aws/ecr` key"
  type        = string
  default     = null
}

variable "environments" {
  description = "Environments the deploy tags images for (`<env>-<UTC time>`), most important first: an image kept for one is never expired by a later one's rule"
  type        = list(string)
  default     = ["prod", "staging"]
  nullable    = false

  validation {
    condition     = length(var.environments) >= 1 && length(var.environments) <= 20 && length(distinct(var.environments)) == length(var.environments) && alltrue([for e in var.environments : can(regex("^[a-z][a-z0-9-]{1,14}[a-z0-9]$", e))])
    error_message = "environments must be 1-20 distinct environment names (3-16 lowercase letters, digits or hyphens, as in modules/environment)."
  }

  # `prod-` would also select `prod-eu-<time>`: one environment's rule would
  # count (and expire) another's images.
  validation {
    condition     = alltrue([for a in var.environments : alltrue([for b in var.environments : a == b || !startswith("${b}-", "${a}-")])])
    error_message = "no environment name followed by a hyphen may start another one (e.g. prod and prod-eu): their tag prefixes would overlap."
  }
}

variable "keep_deployed_images" {
  description = "Per environment: how many of the most recently pushed images deployed there are kept (what it runs and its rollback targets), counted in deploys: each is its index and one manifest per entry of image_architectures"
  type        = number
  default     = 10

  validation {
    condition     = var.keep_deployed_images >= 2 && var.keep_deployed_images <= 1000 && floor(var.keep_deployed_images) == var.keep_deployed_images
    error_message = "keep_deployed_images must be a whole number from 2 (the running image and the one before) to 1000."
  }
}

variable "keep_tagged_images" {
  description = "Number of other images (never deployed, or beyond keep_deployed_images) kept, counted in builds as keep_deployed_images is; older ones are expired by the lifecycle policy"
  type        = number
  default     = 50

  validation {
    condition     = var.keep_tagged_images >= 5 && var.keep_tagged_images <= 1000
    error_message = "keep_tagged_images must be between 5 and 1000 (running images must never be expired)."
  }
}

variable "image_architectures" {
  description = "CPU architectures of each published image (scripts/image/publish.sh PLATFORMS): a deploy or build is one image index plus one manifest per architecture, each tagged `<tag>-<arch>`, and ECR counts each manifest as an image"
  type        = list(string)
  default     = ["amd64", "arm64"]
  nullable    = false

  validation {
    condition     = length(var.image_architectures) >= 1 && length(distinct(var.image_architectures)) == length(var.image_architectures) && alltrue([for a in var.image_architectures : contains(["amd64", "arm64"], a)])
    error_message = "image_architectures must be 1-2 distinct entries of amd64 and arm64 (the platforms scripts/image/publish.sh builds)."
  }
}

variable "untagged_expiry_days" {
  description = "Days after which untagged images (failed pushes, build layers) are deleted"
  type        = number
  default     = 7

  validation {
    condition     = var.untagged_expiry_days >= 1 && var.untagged_expiry_days <= 365
    error_message = "untagged_expiry_days must be between 1 and 365."
  }
}

variable "force_delete" {
  description = "Allow destroying the repository while it still holds images (tests only)"
  type        = bool
  default     = false
  nullable    = false
}

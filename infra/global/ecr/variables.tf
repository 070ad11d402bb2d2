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

variable "keep_tagged_images" {
  description = "Number of tagged images kept; older ones are expired by the lifecycle policy"
  type        = number
  default     = 50

  validation {
    condition     = var.keep_tagged_images >= 5 && var.keep_tagged_images <= 1000
    error_message = "keep_tagged_images must be between 5 and 1000 (running images must never be expired)."
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

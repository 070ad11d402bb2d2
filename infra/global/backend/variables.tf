################################################################################
# Provider
################################################################################

variable "region" {
  description = "AWS region of the state bucket"
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
# State Bucket
################################################################################

variable "bucket_name" {
  description = "Name of the state bucket; null = `<name_prefix>-<account id>-<region>`"
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", coalesce(var.bucket_name, "xxx")))
    error_message = "bucket_name must be a valid S3 bucket name."
  }
}

variable "name_prefix" {
  description = "Prefix of the generated bucket name"
  type        = string
  default     = "s3json-tfstate"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,30}$", var.name_prefix))
    error_message = "name_prefix must be at most 31 lowercase letters, digits and hyphens."
  }
}

variable "kms_key_arn" {
  description = "KMS key for SSE-KMS on the state; null = SSE-S3 (AES256)"
  type        = string
  default     = null
}

variable "noncurrent_version_expiration_days" {
  description = "Days old state versions are kept (they are the undo history)"
  type        = number
  default     = 365

  validation {
    condition     = var.noncurrent_version_expiration_days >= 30
    error_message = "Keep old state versions for at least 30 days."
  }
}

variable "force_destroy" {
  description = "Allow destroying the bucket with every state in it (only for throw-away accounts and tests)"
  type        = bool
  default     = false
  nullable    = false
}

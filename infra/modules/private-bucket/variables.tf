################################################################################
# Bucket
################################################################################

variable "bucket_name" {
  description = "Name of the bucket (globally unique); exactly one of bucket_name and bucket_prefix"
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)."
  }
}

variable "bucket_prefix" {
  description = "Prefix of a name AWS completes with a unique suffix; exactly one of bucket_name and bucket_prefix"
  type        = string
  default     = null

  validation {
    condition     = var.bucket_prefix == null || can(regex("^[a-z0-9][a-z0-9.-]{0,36}$", var.bucket_prefix))
    error_message = "bucket_prefix must be at most 37 lowercase letters, digits, dots and hyphens."
  }
}

variable "force_destroy" {
  description = "Allow `terraform destroy` to delete the bucket with every object and version in it (throw-away environments and tests only)"
  type        = bool
  default     = false
  nullable    = false
}

variable "tags" {
  description = "Tags of the bucket"
  type        = map(string)
  default     = {}
  nullable    = false
}

################################################################################
# Encryption
################################################################################

variable "kms_key_arn" {
  description = "KMS key for SSE-KMS (with an S3 bucket key); null = SSE-S3 (AES256)"
  type        = string
  default     = null
}

################################################################################
# Lifecycle
################################################################################

variable "noncurrent_version_expiration_days" {
  description = "Days after which overwritten or deleted object versions are removed"
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of at least 1."
  }
}

variable "lifecycle_rule_id" {
  description = "ID of the lifecycle rule (expiry of old versions, abort of incomplete multipart uploads after 7 days)"
  type        = string
  default     = "expire-noncurrent-versions"

  validation {
    condition     = length(var.lifecycle_rule_id) >= 1 && length(var.lifecycle_rule_id) <= 255
    error_message = "lifecycle_rule_id must be 1-255 characters."
  }
}

variable "expiration_days" {
  description = "Days after which current objects expire as well (log buckets); null = never"
  type        = number
  default     = null

  validation {
    condition     = var.expiration_days == null || (coalesce(var.expiration_days, 1) >= 1 && floor(coalesce(var.expiration_days, 1)) == coalesce(var.expiration_days, 1))
    error_message = "expiration_days must be null or a whole number of at least 1."
  }
}

################################################################################
# Policy
################################################################################

variable "policy_statements" {
  description = "JSON list of statements added to the bucket policy after the TLS-only deny (e.g. a log delivery grant); \"[]\" = none"
  type        = string
  default     = "[]"
  nullable    = false

  validation {
    condition     = can(tolist(jsondecode(var.policy_statements)))
    error_message = "policy_statements must be a JSON list of policy statements."
  }
}

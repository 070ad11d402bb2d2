################################################################################
# Bucket
################################################################################

variable "bucket_name" {
  description = "Name of the documents bucket (globally unique); null = generated from `name_prefix`"
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)."
  }
}

variable "name_prefix" {
  description = "Prefix of the generated bucket name when `bucket_name` is null"
  type        = string
  default     = "s3json-documents-"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{0,36}$", var.name_prefix))
    error_message = "name_prefix must be at most 37 lowercase letters, digits, dots and hyphens."
  }
}

variable "force_destroy" {
  description = "Allow `terraform destroy` to delete the bucket with its objects and versions (staging only)"
  type        = bool
  default     = false
  nullable    = false
}

variable "kms_key_arn" {
  description = "KMS key for SSE-KMS (with an S3 bucket key); null = SSE-S3 (AES256)"
  type        = string
  default     = null
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which overwritten or deleted document versions are removed"
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && var.noncurrent_version_expiration_days <= 3650
    error_message = "noncurrent_version_expiration_days must be between 1 and 3650."
  }
}

################################################################################
# Documents
################################################################################

variable "documents_dir" {
  description = "Directory whose `*.json` files (recursively) become objects; null = the repository's data/ directory"
  type        = string
  default     = null
}

variable "prefix" {
  description = "Key prefix of the documents (S3JSON_PREFIX): empty, or ending in `/`"
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.prefix == "" || can(regex("^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*/$", var.prefix))
    error_message = "prefix must be empty or safe key characters ending in a slash, e.g. `v1/`."
  }
}

variable "tags" {
  description = "Tags added to every resource"
  type        = map(string)
  default     = {}
  nullable    = false
}

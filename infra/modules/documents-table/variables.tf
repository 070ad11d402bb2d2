################################################################################
# Table
################################################################################

variable "name" {
  description = "Name of the table (S3JSON_TABLE)"
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.name))
    error_message = "name must be 3-255 letters, digits, underscores, hyphens or dots."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for SSE-KMS; null = DynamoDB's AWS-owned key (encrypted, free, no key policy)"
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)."
  }
}

variable "deletion_protection" {
  description = "Refuse DeleteTable (turn off in an apply first to retire the table); true for production"
  type        = bool
  default     = true
  nullable    = false
}

################################################################################
# Documents
################################################################################

variable "documents_dir" {
  description = "Directory whose `*.json` files (recursively) become items; null = the repository's data/ directory"
  type        = string
  default     = null
}

variable "prefix" {
  description = "Prefix of the items' names (S3JSON_PREFIX): empty, or ending in `/`"
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

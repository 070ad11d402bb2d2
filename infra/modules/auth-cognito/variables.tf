variable "name" {
  description = "Name of the user pool (e.g. s3json-staging)"
  type        = string
}

variable "domain_prefix" {
  description = "Prefix of the pool's domain <prefix>.auth.<region>.amazoncognito.com (the token endpoint); globally unique in the region"
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", var.domain_prefix)) && !can(regex("aws|amazon|cognito", var.domain_prefix))
    error_message = "domain_prefix must be 1-63 lowercase letters, digits and hyphens, without aws, amazon or cognito."
  }
}

variable "scope_prefixes" {
  description = "Document name prefixes (e.g. `team`, `team/platform`) that get a scope `s3json/read:<prefix with : for />:*`; `s3json/read:*` always exists"
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for p in var.scope_prefixes : can(regex("^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$", p))])
    error_message = "scope_prefixes are names without leading or trailing slash, e.g. team or team/platform."
  }
}

variable "access_token_validity_minutes" {
  description = "Lifetime of an access token (5-1440 minutes)"
  type        = number
  default     = 60

  validation {
    condition     = var.access_token_validity_minutes >= 5 && var.access_token_validity_minutes <= 1440
    error_message = "access_token_validity_minutes must be between 5 and 1440."
  }
}

variable "deletion_protection" {
  description = "Refuse deleting the user pool (turn off in an apply first)"
  type        = bool
  default     = true
  nullable    = false
}

variable "tags" {
  description = "Tags added to every resource"
  type        = map(string)
  default     = {}
  nullable    = false
}

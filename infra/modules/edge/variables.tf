################################################################################
# General
################################################################################

variable "name" {
  description = "Name of the environment's service (e.g. `s3json-prod`); prefixes the log bucket, web ACL and log group"
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,26}$", var.name))
    error_message = "name must be 2-27 lowercase letters, digits and hyphens starting with a letter."
  }
}

variable "tags" {
  description = "Tags added to every resource"
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "lb_arn" {
  description = "ARN of the load balancer the web ACL protects (modules/service output lb_arn)"
  type        = string
}

################################################################################
# Load balancer logs
################################################################################

variable "lb_log_expiration_days" {
  description = "Days the load balancer's access and connection logs are kept"
  type        = number
  default     = 90

  validation {
    condition     = var.lb_log_expiration_days >= 1 && var.lb_log_expiration_days <= 3650 && floor(var.lb_log_expiration_days) == var.lb_log_expiration_days
    error_message = "lb_log_expiration_days must be a whole number from 1 to 3650."
  }
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the log bucket with its logs (throw-away environments only)"
  type        = bool
  default     = false
  nullable    = false
}

################################################################################
# Web application firewall
################################################################################

variable "enable_waf" {
  description = "Put an AWS WAF web ACL in front of the load balancer"
  type        = bool
  default     = true
  nullable    = false
}

variable "waf_mode" {
  description = "`block`: rules block what they match; `count`: they only count it (for a rollout, watch the counts, then block)"
  type        = string
  default     = "block"
  nullable    = false

  validation {
    condition     = contains(["block", "count"], var.waf_mode)
    error_message = "waf_mode must be block or count."
  }
}

variable "waf_rate_limit" {
  description = "Requests per client IP address per 5 minutes above which the address is blocked (rate-based rule)"
  type        = number
  default     = 2000
  nullable    = false

  validation {
    condition     = var.waf_rate_limit >= 10 && var.waf_rate_limit <= 2000000000 && floor(var.waf_rate_limit) == var.waf_rate_limit
    error_message = "waf_rate_limit must be a whole number from 10 to 2000000000 (AWS WAF's bounds)."
  }
}

variable "waf_log_retention_days" {
  description = "Retention of the WAF log group (blocked and counted requests), in days"
  type        = number
  default     = 90
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.waf_log_retention_days)
    error_message = "waf_log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

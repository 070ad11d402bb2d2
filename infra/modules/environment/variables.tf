################################################################################
# Environment
################################################################################

variable "environment" {
  description = "Environment name; resources are named `s3json-<environment>`"
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,14}[a-z0-9]$", var.environment))
    error_message = "environment must be 3-16 lowercase letters, digits or hyphens (e.g. staging, prod)."
  }
}

################################################################################
# Network
################################################################################

variable "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC"
  type        = string
  default     = "10.0.0.0/16"
}

variable "az_count" {
  description = "Number of availability zones (2-6)"
  type        = number
  default     = 2
}

variable "enable_nat_gateway" {
  description = "Give the private subnets NAT gateways (the service itself needs none)"
  type        = bool
  default     = false
  nullable    = false
}

variable "enable_flow_log" {
  description = "Send rejected VPC traffic to CloudWatch Logs"
  type        = bool
  default     = true
  nullable    = false
}

################################################################################
# Documents
################################################################################

variable "documents_store" {
  description = "Where the documents are kept: `s3` (a bucket) or `dynamodb` (a table); see docs/stores.md"
  type        = string
  default     = "s3"
  nullable    = false

  validation {
    condition     = contains(["s3", "dynamodb"], var.documents_store)
    error_message = "documents_store must be \"s3\" or \"dynamodb\"."
  }
}

variable "documents_table_deletion_protection" {
  description = "With documents_store = dynamodb: refuse deleting the table (turn off in an apply first to retire it)"
  type        = bool
  default     = true
  nullable    = false
}

variable "documents_dir" {
  description = "Directory whose `*.json` files are uploaded (objects or items); null = the repository's data/"
  type        = string
  default     = null
}

variable "documents_prefix" {
  description = "Key prefix of the documents (S3JSON_PREFIX): empty or ending in `/`"
  type        = string
  default     = ""
  nullable    = false
}

variable "documents_force_destroy" {
  description = "Let `terraform destroy` delete the documents bucket with its objects"
  type        = bool
  default     = false
  nullable    = false
}

################################################################################
# Auth (issue 15)
################################################################################

variable "enable_cognito" {
  description = "Create a Cognito user pool for machine clients and turn bearer-token auth on (S3JSON_AUTH=jwt); adds NAT gateways for the key set"
  type        = bool
  default     = false
  nullable    = false
}

variable "cognito_domain_prefix" {
  description = "Prefix of the pool's token domain; null = s3json-<environment>-<account id>"
  type        = string
  default     = null
}

variable "auth_scope_prefixes" {
  description = "Document prefixes that get a scope `s3json/read:<prefix>:*` (`s3json/read:*` always exists)"
  type        = list(string)
  default     = []
  nullable    = false
}

variable "jwt_issuer" {
  description = "A user's own token issuer (https://...) instead of the Cognito pool; null = none"
  type        = string
  default     = null

  validation {
    condition     = var.jwt_issuer == null || (!var.enable_cognito && startswith(coalesce(var.jwt_issuer, "x"), "https://") && var.jwt_audience != null)
    error_message = "jwt_issuer must be an https:// URL, needs jwt_audience, and excludes enable_cognito."
  }
}

variable "jwt_audience" {
  description = "Audience (or Cognito client id) the tokens of jwt_issuer carry"
  type        = string
  default     = null
}

variable "jwt_jwks_url" {
  description = "Key set of jwt_issuer; null = the issuer's /.well-known/jwks.json"
  type        = string
  default     = null
}

################################################################################
# Image
################################################################################

variable "repository_name" {
  description = "ECR repository created by infra/global/ecr"
  type        = string
  default     = "s3json"
}

# Passed through: modules/service validates both (tag syntax, never
# `latest`, digest form) and says what is wrong.
variable "image_tag" {
  description = "Immutable image tag to deploy (never `latest`); exactly one of image_tag and image_digest"
  type        = string
  default     = null
}

variable "image_digest" {
  description = "Image digest to deploy (`sha256:...`); exactly one of image_tag and image_digest"
  type        = string
  default     = null
}

################################################################################
# Service
################################################################################

variable "cpu" {
  description = "Fargate task CPU units"
  type        = number
  default     = 256
}

variable "cpu_architecture" {
  description = "CPU of the Fargate tasks: X86_64, or ARM64 (Graviton, about 20% cheaper per vCPU-hour); validated by modules/service"
  type        = string
  default     = "X86_64"
}

variable "memory" {
  description = "Fargate task memory (MiB)"
  type        = number
  default     = 512
}

variable "fargate_spot" {
  description = "Run the tasks on Fargate Spot (interruptible, about 70% cheaper); refused for prod"
  type        = bool
  default     = false
  nullable    = false

  validation {
    condition     = !var.fargate_spot || var.environment != "prod"
    error_message = "fargate_spot is for non-production environments: prod runs on regular Fargate."
  }
}

variable "drain_seconds" {
  description = "S3JSON_DRAIN_SECONDS: graceful drain after SIGTERM (stopTimeout = this + 5)"
  type        = number
  default     = 10
}

variable "log_level" {
  description = "S3JSON_LOG_LEVEL: debug, info, warn or error"
  type        = string
  default     = "info"
}

variable "log_retention_days" {
  description = "Retention of the service's log group, in days"
  type        = number
  default     = 30
}

variable "container_health_check" {
  description = "Run `/s3json healthcheck` as the container health check"
  type        = bool
  default     = true
  nullable    = false
}

variable "health_check_grace_period_seconds" {
  description = "Seconds ECS ignores load balancer health checks after a task starts; null = none"
  type        = number
  default     = 30
}

variable "autoscaling" {
  description = "Task count bounds and target-tracking targets (see modules/service)"
  type = object({
    min_capacity        = optional(number, 2)
    max_capacity        = optional(number, 6)
    cpu_target          = optional(number, 60)
    memory_target       = optional(number, 75)
    requests_per_target = optional(number, 1000)
    scale_in_cooldown   = optional(number, 300)
    scale_out_cooldown  = optional(number, 60)
  })
  default  = {}
  nullable = false
}

################################################################################
# Load Balancer
################################################################################

variable "deletion_protection" {
  description = "Protect the load balancer from deletion"
  type        = bool
  default     = true
  nullable    = false
}

variable "domain_name" {
  description = "Public DNS name; when set, HTTPS with an ACM certificate and HTTP redirects to it"
  type        = string
  default     = null
}

variable "route53_zone_id" {
  description = "Public hosted zone of domain_name"
  type        = string
  default     = null
}

variable "lb_log_expiration_days" {
  description = "Days the load balancer's access and connection logs are kept"
  type        = number
  default     = 90
}

variable "enable_waf" {
  description = "AWS WAF web ACL in front of the load balancer (rate limit per address, AWS managed rules)"
  type        = bool
  default     = true
  nullable    = false
}

variable "waf_mode" {
  description = "`block`, or `count` to only count matches during a rollout"
  type        = string
  default     = "block"
  nullable    = false
}

variable "waf_rate_limit" {
  description = "Requests per client address per 5 minutes before WAF blocks the address"
  type        = number
  default     = 2000
  nullable    = false
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the environment's IAM roles (global/ci output boundary_arns); null = none"
  type        = string
  default     = null
}

variable "certificate_arn" {
  description = "Existing ACM certificate for the HTTPS listener (instead of, or with, domain_name)"
  type        = string
  default     = null
}

variable "allow_plain_http" {
  description = "Serve plain HTTP when no TLS is configured; false (the default) refuses to plan without TLS"
  type        = bool
  default     = false
  nullable    = false
}

variable "alarm_email" {
  description = "E-mail address subscribed to the environment's alarm topic; null = none (subscribe later)"
  type        = string
  default     = null
}

variable "alarm_https_endpoint" {
  description = "HTTPS URL (e.g. a paging webhook) subscribed to the alarm topic; null = none"
  type        = string
  default     = null
}

variable "alarm_error_rate_percent" {
  description = "5xx percentage of requests that raises the error-rate alarm and rolls a deployment back"
  type        = number
  default     = 5
}

variable "alarm_p99_latency_seconds" {
  description = "p99 target response time (s) that raises the latency alarm and rolls a deployment back"
  type        = number
  default     = 1
}

variable "alarm_actions" {
  description = "Further ARNs notified by every service alarm, besides the environment's topic"
  type        = list(string)
  default     = []
  nullable    = false
}

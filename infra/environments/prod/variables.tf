################################################################################
# Account: where this environment runs (terraform.tfvars)
################################################################################

variable "region" {
  description = "AWS region of the environment"
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

variable "permissions_boundary_arn" {
  description = "Permissions boundary of this environment's IAM roles: global/ci output boundary_arns (the CI deploy role creates roles only with it)"
  type        = string
  default     = null
}

variable "certificate_arn" {
  description = "Existing ACM certificate (this region) for HTTPS; an alternative to domain_name + route53_zone_id"
  type        = string
  default     = null
}

# Production refuses to plan without TLS unless this is set explicitly.
variable "allow_plain_http" {
  description = "Serve plain HTTP when neither domain_name nor certificate_arn is set"
  type        = bool
  default     = false
  nullable    = false

  validation {
    condition     = var.allow_plain_http || var.domain_name != null || var.certificate_arn != null
    error_message = "No TLS: set domain_name and route53_zone_id, or certificate_arn, or allow_plain_http = true to serve plain HTTP knowingly."
  }
}

variable "alarm_email" {
  description = "E-mail address subscribed to the environment's alarm topic (must confirm); null = none"
  type        = string
  default     = null
}

variable "alarm_https_endpoint" {
  description = "HTTPS URL (e.g. a paging webhook) subscribed to the alarm topic; null = none"
  type        = string
  default     = null
}

variable "alarm_actions" {
  description = "Further ARNs notified by the service's 5xx and unhealthy-target alarms, besides the environment's topic"
  type        = list(string)
  default     = []
  nullable    = false
}

variable "cpu_architecture" {
  description = "CPU of the Fargate tasks: X86_64, or ARM64 (Graviton, about 20% cheaper per vCPU-hour); the image is published for both (scripts/image/publish.sh)"
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64 (upper case, as ECS spells them)."
  }
}

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

variable "enable_cognito" {
  description = "A Cognito user pool for machine clients and bearer-token auth on the API (issue 15); adds NAT gateways for the key set"
  type        = bool
  default     = false
  nullable    = false
}

variable "auth_scope_prefixes" {
  description = "Document prefixes that get a scope `s3json/read:<prefix>:*` in the pool"
  type        = list(string)
  default     = []
  nullable    = false
}

################################################################################
# Release: what runs (set by scripts/deploy, never by hand)
################################################################################

variable "image_tag" {
  description = "Immutable image tag to deploy (never `latest`); exactly one of image_tag and image_digest"
  type        = string
  default     = null

  validation {
    condition     = var.image_tag == null || lower(coalesce(var.image_tag, "x")) != "latest"
    error_message = "image_tag must name an immutable release, never `latest`."
  }
}

variable "image_digest" {
  description = "Image digest to deploy (`sha256:...`); exactly one of image_tag and image_digest"
  type        = string
  default     = null
}

################################################################################
# Provider
################################################################################

variable "region" {
  description = "AWS region the pipeline deploys to (IAM itself is global)"
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
# GitHub OIDC Provider
################################################################################

variable "github_repository" {
  description = "Repository whose workflows may assume the roles, as `owner/name`"
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name."
  }
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider; false = use oidc_provider_arn (an account holds one per URL)"
  type        = bool
  default     = true
  nullable    = false
}

variable "oidc_provider_arn" {
  description = "Existing token.actions.githubusercontent.com provider, when create_oidc_provider is false"
  type        = string
  default     = null

  validation {
    condition     = var.oidc_provider_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/token\\.actions\\.githubusercontent\\.com$", var.oidc_provider_arn))
    error_message = "oidc_provider_arn must be the ARN of a token.actions.githubusercontent.com provider."
  }
}

################################################################################
# Roles
################################################################################

variable "name_prefix" {
  description = "Prefix of every resource the pipeline manages (roots name theirs `<prefix>-<environment>-...`) and of the CI roles"
  type        = string
  default     = "s3json"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must be 2-21 lowercase letters, digits and hyphens starting with a letter."
  }
}

variable "deploy_branch" {
  description = "Branch whose pushes may assume the deploy role (to build and push the image)"
  type        = string
  default     = "main"
  nullable    = false
}

variable "deploy_roles" {
  description = "One deploy role per environment (key = the roots' environment name): the GitHub environment whose jobs may assume it, and whether it publishes the image (then the deploy branch may assume it too)"
  type = map(object({
    github_environment = string
    push_image         = optional(bool, false)
  }))
  default = {
    staging = { github_environment = "staging", push_image = true }
    prod    = { github_environment = "production" }
  }
  nullable = false

  validation {
    condition     = length(var.deploy_roles) > 0 && alltrue([for k, r in var.deploy_roles : can(regex("^[a-z][a-z0-9-]{1,14}[a-z0-9]$", k)) && length(r.github_environment) > 0])
    error_message = "deploy_roles needs at least one entry, keyed by environment name (3-16 lowercase letters, digits, hyphens)."
  }

  validation {
    condition     = alltrue([for k, r in var.deploy_roles : !(r.push_image && (k == "prod" || r.github_environment == "production"))])
    error_message = "The production role must trust only its GitHub environment: push_image (which adds the branch) is for staging."
  }
}

variable "state_bucket_name" {
  description = "Terraform state bucket (output bucket_name of global/backend); null = its default name `s3json-tfstate-<account>-<region>`"
  type        = string
  default     = null
}

variable "state_kms_key_arn" {
  description = "KMS key of the state bucket, when global/backend uses one"
  type        = string
  default     = null
}

variable "repository_name" {
  description = "ECR repository of the image (global/ecr)"
  type        = string
  default     = "s3json"
  nullable    = false
}

variable "route53_zone_ids" {
  description = "Hosted zones the deploy role may write records in (environments with a domain_name)"
  type        = list(string)
  default     = []
  nullable    = false
}

variable "max_session_duration" {
  description = "Longest session of either role, in seconds (a deploy with ALB waits takes ~15 min)"
  type        = number
  default     = 3600

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200
    error_message = "max_session_duration must be between 3600 and 43200."
  }
}

################################################################################
# Where
################################################################################

variable "partition" {
  description = "AWS partition (`aws`)"
  type        = string
  default     = "aws"
  nullable    = false
}

variable "account_id" {
  description = "AWS account of the environment"
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "region" {
  description = "The one region the role may change resources in"
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must look like eu-west-1."
  }
}

variable "name_prefix" {
  description = "Project prefix of every resource name (`s3json`)"
  type        = string
  default     = "s3json"
  nullable    = false
}

variable "environment" {
  description = "Environment this role deploys (the roots' `Environment` tag and name part: `staging`, `prod`)"
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,14}[a-z0-9]$", var.environment))
    error_message = "environment must be 3-16 lowercase letters, digits or hyphens."
  }
}

################################################################################
# What it may touch besides its environment
################################################################################

variable "state_bucket_arn" {
  description = "ARN of the Terraform state bucket"
  type        = string
}

variable "state_kms_key_arn" {
  description = "KMS key of the state bucket, when it uses one"
  type        = string
  default     = null
}

variable "repository_arn" {
  description = "ARN of the ECR repository"
  type        = string
}

variable "push_image" {
  description = "May push images and apply global/ecr (the staging role, which the publish job uses); otherwise read-only on the repository"
  type        = bool
  default     = false
  nullable    = false
}

variable "route53_zone_ids" {
  description = "Hosted zones the role may write records in"
  type        = list(string)
  default     = []
  nullable    = false
}

variable "protected_arns" {
  description = "IAM ARNs no deploy role may change (the CI roles, the OIDC provider)"
  type        = list(string)
  default     = []
  nullable    = false
}

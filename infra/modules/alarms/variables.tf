################################################################################
# General
################################################################################

variable "name" {
  description = "Name of the environment's service (e.g. `s3json-prod`); prefixes the topic, the alarms and the dashboard"
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name))
    error_message = "name must be 2-41 lowercase letters, digits and hyphens starting with a letter."
  }
}

variable "tags" {
  description = "Tags added to every resource"
  type        = map(string)
  default     = {}
  nullable    = false
}

################################################################################
# What is watched (outputs of modules/service)
################################################################################

variable "cluster_name" {
  description = "ECS cluster of the service"
  type        = string
}

variable "service_name" {
  description = "ECS service name"
  type        = string
}

variable "log_group_name" {
  description = "Log group of the service's JSON logs (access lines carry `cache` and `s3_status`): source of the cache and S3 metrics"
  type        = string
}

variable "lb_arn_suffix" {
  description = "ARN suffix of the load balancer (`app/<name>/<id>`), the CloudWatch dimension"
  type        = string
}

variable "target_group_arn_suffix" {
  description = "ARN suffix of the target group (`targetgroup/<name>/<id>`), the CloudWatch dimension"
  type        = string
}

variable "dynamodb_table_name" {
  description = "Documents table (modules/documents-table) to alarm on (throttling, system and user errors); null = the documents are in S3"
  type        = string
  default     = null
}

################################################################################
# Notifications
################################################################################

variable "email" {
  description = "E-mail address subscribed to the alarm topic (the address must confirm); null = none"
  type        = string
  default     = null

  validation {
    condition     = var.email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", coalesce(var.email, "x")))
    error_message = "email must be an e-mail address."
  }
}

variable "https_endpoint" {
  description = "HTTPS URL subscribed to the alarm topic (e.g. a paging service's webhook); null = none"
  type        = string
  default     = null

  validation {
    condition     = var.https_endpoint == null || startswith(coalesce(var.https_endpoint, "x"), "https://")
    error_message = "https_endpoint must be an https:// URL."
  }
}

################################################################################
# Thresholds
################################################################################

variable "error_rate_percent" {
  description = "5xx responses (load balancer + targets) as a percentage of requests that raise the error-rate alarm (also a deployment alarm)"
  type        = number
  default     = 5

  validation {
    condition     = var.error_rate_percent > 0 && var.error_rate_percent <= 100
    error_message = "error_rate_percent must be in (0, 100]."
  }
}

variable "p99_latency_seconds" {
  description = "p99 target response time, in seconds, that raises the latency alarm (also a deployment alarm)"
  type        = number
  default     = 1

  validation {
    condition     = var.p99_latency_seconds > 0 && var.p99_latency_seconds <= 60
    error_message = "p99_latency_seconds must be in (0, 60]."
  }
}

variable "capacity_minutes" {
  description = "Consecutive minutes healthy targets or running tasks must stay below desired before alarming (longer than a rollout or a scale-out takes)"
  type        = number
  default     = 10

  validation {
    condition     = var.capacity_minutes >= 2 && var.capacity_minutes <= 60 && floor(var.capacity_minutes) == var.capacity_minutes
    error_message = "capacity_minutes must be a whole number from 2 to 60."
  }
}

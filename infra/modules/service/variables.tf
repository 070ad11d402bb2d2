################################################################################
# General
################################################################################

variable "name" {
  description = "Name of the service and prefix of its resources (e.g. `s3json-staging`)"
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,26}$", var.name))
    error_message = "name must be 2-27 lowercase letters, digits and hyphens starting with a letter (ALB and target group names are limited to 32 characters)."
  }
}

variable "tags" {
  description = "Tags added to every resource"
  type        = map(string)
  default     = {}
  nullable    = false
}

################################################################################
# Network (outputs of the network module)
################################################################################

variable "vpc_id" {
  description = "VPC the service runs in"
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets (2+ AZs) for the internet-facing load balancer"
  type        = list(string)

  validation {
    condition     = length(var.public_subnet_ids) >= 2
    error_message = "public_subnet_ids needs subnets in at least two availability zones."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets (2+ AZs) for the tasks; they never get a public IP"
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 2
    error_message = "private_subnet_ids needs subnets in at least two availability zones."
  }
}

variable "task_egress_security_group_ids" {
  description = "Security groups tasks may reach on 443: the interface endpoints' (ECR, logs)"
  type        = list(string)
  default     = []
  nullable    = false
}

variable "task_egress_cidr_blocks" {
  description = "CIDR blocks tasks may also reach on 443; empty without NAT (the endpoints are reached by security group), 0.0.0.0/0 only with NAT"
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for c in var.task_egress_cidr_blocks : can(cidrhost(c, 0))])
    error_message = "task_egress_cidr_blocks must hold IPv4 CIDR blocks."
  }
}

variable "task_egress_prefix_list_ids" {
  description = "Prefix lists tasks may reach on 443 (the S3 gateway endpoint's)"
  type        = list(string)
  default     = []
  nullable    = false
}

################################################################################
# Documents (outputs of the documents module)
################################################################################

variable "documents_store" {
  description = "Where the documents are (S3JSON_STORE): `s3` (bucket_name) or `dynamodb` (table_name, table_arn); the task role may read that store only"
  type        = string
  default     = "s3"
  nullable    = false

  validation {
    condition     = contains(["s3", "dynamodb"], var.documents_store)
    error_message = "documents_store must be \"s3\" or \"dynamodb\"."
  }
}

variable "bucket_name" {
  description = "Bucket the service reads (S3JSON_BUCKET); required when documents_store is s3"
  type        = string
  default     = null

  validation {
    condition     = (var.bucket_name != null) == (var.documents_store == "s3")
    error_message = "bucket_name is required with documents_store = \"s3\" and must be null with \"dynamodb\"."
  }
}

variable "table_name" {
  description = "DynamoDB table the service reads (S3JSON_TABLE); required when documents_store is dynamodb"
  type        = string
  default     = null

  validation {
    condition     = (var.table_name != null) == (var.documents_store == "dynamodb")
    error_message = "table_name is required with documents_store = \"dynamodb\" and must be null with \"s3\"."
  }
}

variable "table_arn" {
  description = "ARN of table_name: the only resource of the task role's GetItem, Scan and DescribeTable"
  type        = string
  default     = null

  validation {
    condition     = (var.table_arn != null) == (var.documents_store == "dynamodb")
    error_message = "table_arn is required with documents_store = \"dynamodb\" and must be null with \"s3\"."
  }
}

variable "bucket_prefix" {
  description = "Key (or item name) prefix the service reads (S3JSON_PREFIX): empty or ending in `/`"
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.bucket_prefix == "" || endswith(var.bucket_prefix, "/")
    error_message = "bucket_prefix must be empty or end with a slash."
  }
}

variable "bucket_kms_key_arn" {
  description = "KMS key of the bucket when it uses SSE-KMS (grants the task role kms:Decrypt on it)"
  type        = string
  default     = null
}

variable "jwt" {
  description = "Bearer-token auth (S3JSON_AUTH=jwt): the issuer, the audience (a Cognito app client id) and optionally the key set URL (default: issuer + /.well-known/jwks.json); null = S3JSON_AUTH=none"
  type = object({
    issuer   = string
    audience = string
    jwks_url = optional(string)
  })
  default = null

  validation {
    condition     = var.jwt == null || startswith(try(var.jwt.issuer, ""), "https://")
    error_message = "jwt.issuer must be an https:// URL."
  }
}

################################################################################
# Container image
################################################################################

variable "repository_url" {
  description = "ECR repository URL, without tag or digest"
  type        = string

  validation {
    condition     = !can(regex("[:@]", var.repository_url))
    error_message = "repository_url must not carry a tag or digest; use image_tag or image_digest."
  }
}

variable "repository_arn" {
  description = "ECR repository ARN (the execution role may pull from it only)"
  type        = string
}

variable "image_tag" {
  description = "Immutable image tag to run (e.g. a version or git SHA); exactly one of image_tag and image_digest"
  type        = string
  default     = null

  validation {
    condition     = var.image_tag == null || (can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", coalesce(var.image_tag, "x"))) && lower(coalesce(var.image_tag, "x")) != "latest")
    error_message = "image_tag must be a valid, immutable tag: `latest` is not allowed."
  }
}

variable "image_digest" {
  description = "Image digest to run (`sha256:...`); exactly one of image_tag and image_digest"
  type        = string
  default     = null

  validation {
    condition     = var.image_digest == null || can(regex("^sha256:[a-f0-9]{64}$", coalesce(var.image_digest, "x")))
    error_message = "image_digest must look like sha256:<64 hex digits>."
  }
}

################################################################################
# Task
################################################################################

variable "cpu" {
  description = "Fargate task CPU units"
  type        = number
  default     = 256

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.cpu)
    error_message = "cpu must be one of the Fargate sizes: 256, 512, 1024, 2048, 4096, 8192, 16384."
  }
}

variable "memory" {
  description = "Fargate task memory in MiB (must be a valid combination with cpu)"
  type        = number
  default     = 512

  validation {
    condition     = var.memory >= 512 && var.memory <= 122880 && var.memory % 512 == 0
    error_message = "memory must be a multiple of 512 MiB between 512 and 122880."
  }
}

variable "cpu_architecture" {
  description = "CPU of the Fargate tasks (runtime_platform): X86_64, or ARM64 (Graviton); the image must hold that platform"
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64 (upper case, as ECS spells them)."
  }
}

variable "fargate_spot" {
  description = "Run the tasks on Fargate Spot (about 70% cheaper, may be interrupted with 2 minutes' notice): for non-production environments"
  type        = bool
  default     = false
  nullable    = false
}

variable "drain_seconds" {
  description = "Seconds the service drains in-flight requests after SIGTERM (S3JSON_DRAIN_SECONDS); stopTimeout is this plus 5"
  type        = number
  default     = 10

  validation {
    condition     = var.drain_seconds >= 1 && var.drain_seconds <= 115 && floor(var.drain_seconds) == var.drain_seconds
    error_message = "drain_seconds must be a whole number from 1 to 115 (Fargate's stopTimeout is at most 120)."
  }
}

variable "log_level" {
  description = "S3JSON_LOG_LEVEL"
  type        = string
  default     = "info"

  validation {
    condition     = contains(["debug", "info", "warn", "error"], var.log_level)
    error_message = "log_level must be debug, info, warn or error."
  }
}

variable "container_health_check" {
  description = "Run `/s3json healthcheck` as the container health check"
  type        = bool
  default     = true
  nullable    = false
}

variable "log_retention_days" {
  description = "Retention of the service's log group, in days"
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key encrypting the log group; null = CloudWatch's default encryption"
  type        = string
  default     = null
}

################################################################################
# Service
################################################################################

variable "health_check_grace_period_seconds" {
  description = "Seconds ECS ignores load balancer health checks after a task starts; null = none"
  type        = number
  default     = 30

  validation {
    condition     = var.health_check_grace_period_seconds == null || (coalesce(var.health_check_grace_period_seconds, 0) >= 0 && coalesce(var.health_check_grace_period_seconds, 0) <= 2147483647)
    error_message = "health_check_grace_period_seconds must be null or a non-negative number."
  }
}

variable "availability_zone_rebalancing" {
  description = "Let ECS move tasks to restore an even spread over the AZs after a zone recovers"
  type        = string
  default     = "ENABLED"

  validation {
    condition     = contains(["ENABLED", "DISABLED"], var.availability_zone_rebalancing)
    error_message = "availability_zone_rebalancing must be ENABLED or DISABLED."
  }
}

variable "enable_container_insights" {
  description = "Enable CloudWatch Container Insights on the cluster"
  type        = bool
  default     = true
  nullable    = false
}

################################################################################
# Load Balancer
################################################################################

variable "deletion_protection" {
  description = "Protect the load balancer from deletion (on for prod)"
  type        = bool
  default     = true
  nullable    = false
}

variable "deregistration_delay" {
  description = "Seconds the target group lets in-flight requests finish before a task is stopped"
  type        = number
  default     = 15

  validation {
    condition     = var.deregistration_delay >= 0 && var.deregistration_delay <= 3600
    error_message = "deregistration_delay must be between 0 and 3600 seconds."
  }
}

variable "idle_timeout" {
  description = "Load balancer idle timeout in seconds; the tasks keep idle connections 15 s longer (S3JSON_CONNECTION_TIMEOUT_SECONDS)"
  type        = number
  default     = 60

  # The service accepts S3JSON_CONNECTION_TIMEOUT_SECONDS up to 3600.
  validation {
    condition     = var.idle_timeout >= 1 && var.idle_timeout <= 3585 && floor(var.idle_timeout) == var.idle_timeout
    error_message = "idle_timeout must be a whole number from 1 to 3585 seconds (the tasks' keep-alive, idle_timeout + 15, is at most 3600)."
  }
}

variable "lb_logs" {
  description = "Bucket and key prefixes of the load balancer's access and connection logs (modules/edge); null = no logs"
  type = object({
    bucket            = string
    access_prefix     = string
    connection_prefix = string
  })
  default = null
}

variable "ingress_cidr_blocks" {
  description = "Client CIDR blocks allowed on 80/443 of the load balancer"
  type        = list(string)
  default     = ["0.0.0.0/0"]
  nullable    = false

  validation {
    condition     = length(var.ingress_cidr_blocks) > 0 && alltrue([for c in var.ingress_cidr_blocks : can(cidrhost(c, 0))])
    error_message = "ingress_cidr_blocks must hold at least one IPv4 CIDR block."
  }
}

variable "domain_name" {
  description = "Public DNS name of the service; when set: ACM certificate (DNS-validated in route53_zone_id), HTTPS listener, HTTP redirects to it"
  type        = string
  default     = null
}

variable "route53_zone_id" {
  description = "Public hosted zone for domain_name (certificate validation and alias record); required with domain_name"
  type        = string
  default     = null
}

variable "certificate_arn" {
  description = "Existing ACM certificate (same region) for the HTTPS listener; overrides the certificate domain_name would request"
  type        = string
  default     = null

  validation {
    condition     = var.certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+$", coalesce(var.certificate_arn, "x")))
    error_message = "certificate_arn must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)."
  }
}

variable "allow_plain_http" {
  description = "Serve plain HTTP when neither domain_name nor certificate_arn is set; false refuses to plan without TLS"
  type        = bool
  default     = false
  nullable    = false

  validation {
    condition     = var.allow_plain_http || var.domain_name != null || var.certificate_arn != null
    error_message = "No TLS: set domain_name (with route53_zone_id) or certificate_arn, or allow_plain_http = true to serve plain HTTP knowingly."
  }
}

variable "hsts_max_age_seconds" {
  description = "max-age of the Strict-Transport-Security header on HTTPS responses; 0 = no header"
  type        = number
  default     = 31536000
  nullable    = false

  validation {
    condition     = var.hsts_max_age_seconds >= 0 && floor(var.hsts_max_age_seconds) == var.hsts_max_age_seconds
    error_message = "hsts_max_age_seconds must be a whole number of seconds, 0 or more."
  }
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener (TLS 1.3 policies only)"
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"

  validation {
    condition = contains([
      "ELBSecurityPolicy-TLS13-1-2-2021-06",
      "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
      "ELBSecurityPolicy-TLS13-1-3-2021-06",
      "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    ], var.ssl_policy)
    error_message = "ssl_policy must be one of the ELBSecurityPolicy-TLS13-* policies."
  }
}

################################################################################
# Autoscaling
################################################################################

variable "autoscaling" {
  description = "Task count bounds and target-tracking targets (CPU %, memory %, ALB requests per target per minute)"
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

  validation {
    condition     = var.autoscaling.min_capacity >= 1 && var.autoscaling.max_capacity >= var.autoscaling.min_capacity && var.autoscaling.max_capacity <= 100
    error_message = "autoscaling needs 1 <= min_capacity <= max_capacity <= 100."
  }

  validation {
    condition     = var.autoscaling.cpu_target > 0 && var.autoscaling.cpu_target <= 100 && var.autoscaling.memory_target > 0 && var.autoscaling.memory_target <= 100
    error_message = "autoscaling cpu_target and memory_target are percentages in (0, 100]."
  }

  validation {
    condition     = var.autoscaling.requests_per_target >= 1 && var.autoscaling.scale_in_cooldown >= 0 && var.autoscaling.scale_out_cooldown >= 0
    error_message = "autoscaling requests_per_target must be >= 1 and the cooldowns >= 0."
  }
}

################################################################################
# Alarms
################################################################################

variable "alarm_actions" {
  description = "ARNs notified when an alarm fires or recovers (e.g. an SNS topic)"
  type        = list(string)
  default     = []
  nullable    = false
}

variable "deployment_alarm_names" {
  description = "CloudWatch alarms an ECS deployment watches; one in ALARM rolls the deployment back (empty = circuit breaker only)"
  type        = list(string)
  default     = []
  nullable    = false
}

variable "alarm_5xx_threshold" {
  description = "5xx responses (load balancer + targets) per minute that raise the 5xx alarm"
  type        = number
  default     = 10

  validation {
    condition     = var.alarm_5xx_threshold >= 1
    error_message = "alarm_5xx_threshold must be at least 1."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the IAM roles this module creates (global/ci output boundary_arns; required when the deploy role applies); null = none"
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$", coalesce(var.permissions_boundary_arn, "x")))
    error_message = "permissions_boundary_arn must be an IAM policy ARN."
  }
}

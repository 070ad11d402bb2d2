################################################################################
# Network
################################################################################

variable "name" {
  description = "Name prefix for every resource (e.g. `s3json-staging`)"
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "cidr" {
  description = "IPv4 CIDR block of the VPC"
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.cidr, 0)) && tonumber(split("/", var.cidr)[1]) <= 22
    error_message = "cidr must be a valid IPv4 CIDR block of /22 or larger."
  }
}

variable "azs" {
  description = "Availability zones to use; empty = the first `az_count` available zones of the region"
  type        = list(string)
  default     = []
  nullable    = false
}

variable "az_count" {
  description = "Number of availability zones when `azs` is empty (the service spans all of them)"
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 6 && floor(var.az_count) == var.az_count
    error_message = "az_count must be a whole number from 2 to 6."
  }
}

variable "subnet_newbits" {
  description = "Bits added to the VPC prefix for each subnet (8 on a /16 gives /24 subnets)"
  type        = number
  default     = 8

  validation {
    condition     = var.subnet_newbits >= 2 && var.subnet_newbits <= 12
    error_message = "subnet_newbits must be between 2 and 12."
  }
}

################################################################################
# NAT Gateway (optional: the service needs none, see the endpoints below)
################################################################################

variable "enable_nat_gateway" {
  description = "Give the private subnets a route to the internet through NAT gateways"
  type        = bool
  default     = false
  nullable    = false
}

variable "single_nat_gateway" {
  description = "With NAT enabled: one shared NAT gateway (cheaper) instead of one per AZ (zonal resilience)"
  type        = bool
  default     = true
  nullable    = false
}

################################################################################
# VPC Endpoints
################################################################################

variable "s3_read_bucket_arns" {
  description = "Buckets (ARNs) the S3 gateway endpoint lets the private subnets read (GetObject, ListBucket); ECR's layer bucket is always allowed, every other bucket is refused"
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.s3_read_bucket_arns : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", a))])
    error_message = "s3_read_bucket_arns holds bucket ARNs (arn:aws:s3:::NAME), without a key or wildcard."
  }
}

variable "dynamodb_read_table_arns" {
  description = "DynamoDB tables (ARNs) the private subnets may read through a DynamoDB gateway endpoint (GetItem, Scan, DescribeTable only); empty = no endpoint"
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.dynamodb_read_table_arns : can(regex("^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]{3,255}$", a))])
    error_message = "dynamodb_read_table_arns holds table ARNs (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME)."
  }
}

variable "interface_endpoints" {
  description = "AWS services reached through interface endpoints from the private subnets (short names, e.g. `ecr.api`)"
  type        = list(string)
  default     = ["ecr.api", "ecr.dkr", "logs"]
  nullable    = false

  validation {
    condition     = alltrue([for s in var.interface_endpoints : can(regex("^[a-z0-9.-]+$", s))])
    error_message = "interface_endpoints holds service short names such as ecr.api, ecr.dkr, logs, sts."
  }
}

################################################################################
# Flow Logs
################################################################################

variable "enable_flow_log" {
  description = "Send VPC flow logs (rejected traffic) to a CloudWatch log group"
  type        = bool
  default     = true
  nullable    = false
}

variable "flow_log_retention_days" {
  description = "Retention of the flow log group, in days"
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "tags" {
  description = "Tags added to every resource"
  type        = map(string)
  default     = {}
  nullable    = false
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

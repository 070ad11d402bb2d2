# The edge of one environment: where the load balancer's logs go and the web
# application firewall in front of it.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

# The account Elastic Load Balancing writes logs from in this region (regions
# opened before August 2022; newer ones use the service principal below).
data "aws_elb_service_account" "this" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  # Named, not prefixed: the bucket policy must name the bucket before it
  # exists. Account and region keep it globally unique (at most 63 chars).
  log_bucket        = "${var.name}-lb-logs-${local.account_id}-${data.aws_region.current.name}"
  access_prefix     = "access"
  connection_prefix = "connection"
  waf_block         = var.waf_mode == "block"
}

################################################################################
# Load balancer logs: a private bucket (modules/private-bucket: TLS-only,
# versioned, SSE-S3, which is the only encryption ALB log delivery supports)
# that expires logs, and a policy that lets ELB put objects under the two
# prefixes of this account, nothing else.
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
################################################################################

locals {
  log_delivery_statements = [{
    Sid    = "LoadBalancerLogDelivery"
    Effect = "Allow"
    Principal = {
      AWS     = data.aws_elb_service_account.this.arn
      Service = "logdelivery.elasticloadbalancing.amazonaws.com"
    }
    Action = "s3:PutObject"
    Resource = [
      for p in [local.access_prefix, local.connection_prefix] :
      "arn:${data.aws_partition.current.partition}:s3:::${local.log_bucket}/${p}/AWSLogs/${local.account_id}/*"
    ]
  }]
}

module "log_bucket" {
  source = "../private-bucket"

  bucket_name                        = local.log_bucket
  force_destroy                      = var.force_destroy
  expiration_days                    = var.lb_log_expiration_days
  noncurrent_version_expiration_days = 1
  lifecycle_rule_id                  = "expire-logs"
  tags                               = var.tags

  policy_statements = jsonencode(local.log_delivery_statements)
}

################################################################################
# Web application firewall: per-address rate limit, AWS's common and
# known-bad-inputs rule groups; `count` mode for a rollout; logs of what it
# blocked or counted, with a retention.
# https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html
################################################################################

locals {
  managed_rule_groups = {
    common     = { priority = 10, name = "AWSManagedRulesCommonRuleSet" }
    bad-inputs = { priority = 20, name = "AWSManagedRulesKnownBadInputsRuleSet" }
  }
}

resource "aws_wafv2_web_acl" "this" {
  count = var.enable_waf ? 1 : 0

  name        = var.name
  description = "s3json ${var.name}: rate limit per address, AWS common and known-bad-inputs rules (${var.waf_mode})"
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  # First and cheapest: one address sending more than waf_rate_limit
  # requests in 5 minutes is blocked until it slows down.
  rule {
    name     = "rate-per-address"
    priority = 0

    action {
      dynamic "block" {
        for_each = local.waf_block ? [1] : []
        content {}
      }
      dynamic "count" {
        for_each = local.waf_block ? [] : [1]
        content {}
      }
    }

    statement {
      rate_based_statement {
        limit                 = var.waf_rate_limit
        aggregate_key_type    = "IP"
        evaluation_window_sec = 300
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-rate-per-address"
      sampled_requests_enabled   = true
    }
  }

  dynamic "rule" {
    for_each = local.managed_rule_groups
    content {
      name     = rule.value.name
      priority = rule.value.priority

      # none = the group's own actions (block); count = count only.
      override_action {
        dynamic "none" {
          for_each = local.waf_block ? [1] : []
          content {}
        }
        dynamic "count" {
          for_each = local.waf_block ? [] : [1]
          content {}
        }
      }

      statement {
        managed_rule_group_statement {
          vendor_name = "AWS"
          name        = rule.value.name
        }
      }

      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "${var.name}-${rule.key}"
        sampled_requests_enabled   = true
      }
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = var.name
    sampled_requests_enabled   = true
  }

  tags = var.tags
}

resource "aws_wafv2_web_acl_association" "this" {
  count = var.enable_waf ? 1 : 0

  resource_arn = var.lb_arn
  web_acl_arn  = aws_wafv2_web_acl.this[0].arn
}

# WAF requires the aws-waf-logs- prefix for a log group destination.
resource "aws_cloudwatch_log_group" "waf" {
  count = var.enable_waf ? 1 : 0

  name              = "aws-waf-logs-${var.name}"
  retention_in_days = var.waf_log_retention_days

  tags = var.tags
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  count = var.enable_waf ? 1 : 0

  resource_arn            = aws_wafv2_web_acl.this[0].arn
  log_destination_configs = [aws_cloudwatch_log_group.waf[0].arn]

  # Only what the rules blocked or counted: logging every allowed request
  # would cost more than the firewall (the ALB access logs have those).
  logging_filter {
    default_behavior = "DROP"

    filter {
      behavior    = "KEEP"
      requirement = "MEETS_ANY"

      condition {
        action_condition {
          action = "BLOCK"
        }
      }
      condition {
        action_condition {
          action = "COUNT"
        }
      }
    }
  }
}

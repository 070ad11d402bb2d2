# Edge module: a private, expiring bucket that only ELB log delivery may
# write (under this account's prefixes), and a WAF web ACL with a rate limit
# per address, AWS managed rule groups, a count mode and its logs.

mock_provider "aws" {
  source = "../../testing/aws"
}

variables {
  name   = "s3json-test"
  lb_arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/s3json-test/0123456789abcdef"
}

run "defaults" {
  assert {
    condition     = output.lb_log_bucket == "s3json-test-lb-logs-123456789012-eu-west-1" && module.log_bucket.sse_algorithm == "AES256"
    error_message = "a dedicated log bucket per environment, SSE-S3 (the only encryption ALB log delivery supports)"
  }
  assert {
    condition = (
      length(output.lb_log_bucket_policy_statements) == 1 &&
      output.lb_log_bucket_policy_statements[0].Effect == "Allow" &&
      output.lb_log_bucket_policy_statements[0].Action == "s3:PutObject" &&
      output.lb_log_bucket_policy_statements[0].Principal.AWS == "arn:aws:iam::156460612806:root" &&
      output.lb_log_bucket_policy_statements[0].Principal.Service == "logdelivery.elasticloadbalancing.amazonaws.com" &&
      toset(output.lb_log_bucket_policy_statements[0].Resource) == toset([
        "arn:aws:s3:::s3json-test-lb-logs-123456789012-eu-west-1/access/AWSLogs/123456789012/*",
        "arn:aws:s3:::s3json-test-lb-logs-123456789012-eu-west-1/connection/AWSLogs/123456789012/*",
      ])
    )
    error_message = "ELB log delivery may only PutObject under this account's access/ and connection/ prefixes"
  }
  assert {
    condition     = aws_wafv2_web_acl.this[0].scope == "REGIONAL" && length(aws_wafv2_web_acl.this[0].default_action[0].allow) == 1
    error_message = "a regional web ACL that allows what no rule matches"
  }
  assert {
    condition = one([
      for r in aws_wafv2_web_acl.this[0].rule : try(r.statement[0].rate_based_statement[0].limit, null)
      if r.name == "rate-per-address" && try(r.statement[0].rate_based_statement[0].aggregate_key_type, "") == "IP" && try(length(r.action[0].block), 0) == 1
    ]) == 2000
    error_message = "a rate-based rule blocks an address above 2000 requests per 5 minutes"
  }
  assert {
    condition = toset([
      for r in aws_wafv2_web_acl.this[0].rule : r.statement[0].managed_rule_group_statement[0].name
      if length(r.statement[0].managed_rule_group_statement) == 1 && try(length(r.override_action[0].none), 0) == 1
    ]) == toset(["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"])
    error_message = "AWS's common and known-bad-inputs rule groups, with their own (blocking) actions"
  }
  assert {
    condition     = aws_wafv2_web_acl_association.this[0].resource_arn == var.lb_arn
    error_message = "the web ACL is on the load balancer"
  }
  assert {
    condition = (
      startswith(aws_cloudwatch_log_group.waf[0].name, "aws-waf-logs-") && aws_cloudwatch_log_group.waf[0].retention_in_days == 90 &&
      aws_wafv2_web_acl_logging_configuration.this[0].log_destination_configs == toset([aws_cloudwatch_log_group.waf[0].arn])
    )
    error_message = "WAF logs go to a log group with a retention"
  }
}

run "count_mode" {
  command = plan

  variables {
    waf_mode       = "count"
    waf_rate_limit = 500
  }

  assert {
    condition = alltrue([
      for r in aws_wafv2_web_acl.this[0].rule :
      length(r.statement[0].rate_based_statement) == 1 ? (try(length(r.action[0].count), 0) == 1 && try(length(r.action[0].block), 0) == 0) : (try(length(r.override_action[0].count), 0) == 1 && try(length(r.override_action[0].none), 0) == 0)
    ])
    error_message = "count mode: every rule only counts"
  }
}

run "waf_off" {
  command = plan

  variables {
    enable_waf = false
  }

  assert {
    condition     = length(aws_wafv2_web_acl.this) == 0 && length(aws_wafv2_web_acl_association.this) == 0 && output.web_acl_arn == null
    error_message = "enable_waf = false creates no firewall"
  }
}

run "rejects_bad_mode" {
  command = plan

  variables {
    waf_mode = "off"
  }

  expect_failures = [var.waf_mode]
}

run "rejects_tiny_rate_limit" {
  command = plan

  variables {
    waf_rate_limit = 5
  }

  expect_failures = [var.waf_rate_limit]
}

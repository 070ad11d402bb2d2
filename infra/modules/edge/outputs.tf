################################################################################
# Load balancer logs
################################################################################

output "lb_log_bucket" {
  description = "Bucket of the load balancer's logs, known once its policy is in force (access logs under access/, connection logs under connection/)"
  value       = module.log_bucket.configured_name
}

output "lb_log_bucket_policy_statements" {
  description = "Statements the log bucket's policy adds to its TLS-only deny: ELB log delivery may put objects under this account's two prefixes"
  value       = local.log_delivery_statements
}

output "lb_access_log_prefix" {
  description = "Key prefix of the access logs"
  value       = local.access_prefix
}

output "lb_connection_log_prefix" {
  description = "Key prefix of the connection logs"
  value       = local.connection_prefix
}

################################################################################
# Web application firewall
################################################################################

output "web_acl_arn" {
  description = "ARN of the web ACL; null when enable_waf is false"
  value       = try(aws_wafv2_web_acl.this[0].arn, null)
}

output "waf_log_group_name" {
  description = "Log group of the web ACL (blocked and counted requests); null when enable_waf is false"
  value       = try(aws_cloudwatch_log_group.waf[0].name, null)
}

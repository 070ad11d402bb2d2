# What scripts/deploy and operators read; everything comes from
# modules/environment.

output "url" {
  description = "Public URL of the service"
  value       = module.environment.url
}

output "lb_dns" {
  description = "DNS name of the load balancer"
  value       = module.environment.lb_dns
}

output "cluster_name" {
  description = "ECS cluster"
  value       = module.environment.cluster_name
}

output "service_name" {
  description = "ECS service"
  value       = module.environment.service_name
}

output "cpu_architecture" {
  description = "CPU architecture of the tasks (X86_64 or ARM64)"
  value       = module.environment.cpu_architecture
}

output "deployment_timing" {
  description = "What bounds a deployment's duration: scripts/deploy computes its wait from it"
  value       = module.environment.deployment_timing
}

output "image" {
  description = "Image the service runs"
  value       = module.environment.image
}

output "bucket" {
  description = "Documents bucket (S3JSON_BUCKET); null with the DynamoDB store"
  value       = module.environment.bucket
}

output "table" {
  description = "Documents table (S3JSON_TABLE); null with the S3 store"
  value       = module.environment.table
}

output "repository_url" {
  description = "ECR repository the image comes from"
  value       = module.environment.repository_url
}

output "vpc_id" {
  description = "VPC of the environment"
  value       = module.environment.vpc_id
}

output "private_subnet_ids" {
  description = "Private subnets the tasks run in"
  value       = module.environment.private_subnet_ids
}

output "public_subnet_ids" {
  description = "Public subnets of the load balancer"
  value       = module.environment.public_subnet_ids
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies (subscribe on-call here)"
  value       = module.environment.alarm_topic_arn
}

output "web_acl_arn" {
  description = "WAF web ACL in front of the load balancer (null without WAF)"
  value       = module.environment.web_acl_arn
}

output "lb_log_bucket" {
  description = "Bucket of the load balancer's access and connection logs"
  value       = module.environment.lb_log_bucket
}

output "dashboard_name" {
  description = "CloudWatch dashboard: requests, latency, errors, tasks, CPU/memory, cache and S3 errors"
  value       = module.environment.dashboard_name
}

output "auth_issuer" {
  description = "Token issuer the service trusts (S3JSON_JWT_ISSUER); null without auth"
  value       = module.environment.auth_issuer
}

output "auth_token_endpoint" {
  description = "Cognito token endpoint for the client credentials grant; null without the pool"
  value       = module.environment.auth_token_endpoint
}

output "auth_client_id" {
  description = "Cognito app client id for machine clients; null without the pool"
  value       = module.environment.auth_client_id
}

output "auth_client_secret" {
  description = "The app client's secret (sensitive: `scripts/tf-root.sh environments/<env> output -raw auth_client_secret`)"
  value       = module.environment.auth_client_secret
  sensitive   = true
}

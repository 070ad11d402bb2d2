################################################################################
# Service
################################################################################

output "url" {
  description = "Public URL of the service"
  value       = module.service.url
}

output "lb_dns" {
  description = "DNS name of the load balancer"
  value       = module.service.lb_dns_name
}

output "cluster_name" {
  description = "ECS cluster"
  value       = module.service.cluster_name
}

output "service_name" {
  description = "ECS service"
  value       = module.service.service_name
}

output "cpu_architecture" {
  description = "CPU architecture of the tasks (X86_64 or ARM64)"
  value       = module.service.cpu_architecture
}

output "deployment_timing" {
  description = "What bounds a deployment's duration (module service's deployment_timing): scripts/deploy computes its wait from it"
  value       = module.service.deployment_timing
}

output "image" {
  description = "Image the service runs"
  value       = module.service.image
}

################################################################################
# Documents and Image
################################################################################

output "bucket" {
  description = "Documents bucket (S3JSON_BUCKET); null with the DynamoDB store"
  value       = one(module.documents[*].bucket_name)
}

output "table" {
  description = "Documents table (S3JSON_TABLE); null with the S3 store"
  value       = one(module.documents_table[*].table_name)
}

output "table_deletion_protection" {
  description = "Whether the documents table refuses deletion; null with the S3 store"
  value       = one(module.documents_table[*].deletion_protection)
}

output "repository_url" {
  description = "ECR repository the image comes from"
  value       = data.aws_ecr_repository.this.repository_url
}

################################################################################
# Network
################################################################################

output "vpc_id" {
  description = "VPC of the environment"
  value       = module.network.vpc_id
}

output "private_subnet_ids" {
  description = "Private subnets the tasks run in"
  value       = module.network.private_subnet_ids
}

output "public_subnet_ids" {
  description = "Public subnets of the load balancer"
  value       = module.network.public_subnet_ids
}

################################################################################
# Edge and alarms
################################################################################

output "alarm_topic_arn" {
  description = "SNS topic every alarm of the environment notifies"
  value       = module.alarms.topic_arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the environment"
  value       = module.alarms.dashboard_name
}

output "web_acl_arn" {
  description = "WAF web ACL in front of the load balancer; null when enable_waf is false"
  value       = module.edge.web_acl_arn
}

output "lb_log_bucket" {
  description = "Bucket of the load balancer's access and connection logs"
  value       = module.edge.lb_log_bucket
}

################################################################################
# Auth
################################################################################

output "auth_issuer" {
  description = "Token issuer the service trusts (S3JSON_JWT_ISSUER); null without auth"
  value       = try(local.jwt.issuer, null)
}

output "auth_token_endpoint" {
  description = "Cognito token endpoint (client credentials); null without the pool"
  value       = one(module.auth[*].token_endpoint)
}

output "auth_client_id" {
  description = "Cognito app client for machine clients (S3JSON_JWT_AUDIENCE); null without the pool"
  value       = one(module.auth[*].client_id)
}

output "auth_client_secret" {
  description = "The app client's secret (sensitive: `terraform output -raw auth_client_secret`)"
  value       = one(module.auth[*].client_secret)
  sensitive   = true
}

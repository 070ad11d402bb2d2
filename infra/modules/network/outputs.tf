################################################################################
# VPC
################################################################################

output "vpc_id" {
  description = "ID of the VPC"
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR block of the VPC"
  value       = aws_vpc.this.cidr_block
}

output "azs" {
  description = "Availability zones the subnets are in"
  value       = local.azs
}

################################################################################
# Subnets
################################################################################

output "public_subnet_ids" {
  description = "IDs of the public subnets (one per AZ), for the load balancer"
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "IDs of the private subnets (one per AZ), for the ECS tasks"
  value       = aws_subnet.private[*].id
}

output "private_route_table_ids" {
  description = "IDs of the private route tables"
  value       = aws_route_table.private[*].id
}

output "nat_gateway_ids" {
  description = "IDs of the NAT gateways (empty unless enabled)"
  value       = aws_nat_gateway.this[*].id
}

################################################################################
# VPC Endpoints
################################################################################

output "s3_prefix_list_id" {
  description = "Prefix list of the S3 gateway endpoint (for security group egress rules)"
  value       = aws_vpc_endpoint.s3.prefix_list_id
}

output "s3_endpoint_policy" {
  description = "Policy of the S3 gateway endpoint (JSON): read the given buckets, pull ECR layers"
  value       = aws_vpc_endpoint.s3.policy
}

output "dynamodb_prefix_list_id" {
  description = "Prefix list of the DynamoDB gateway endpoint (for security group egress rules); null without one"
  value       = one(aws_vpc_endpoint.dynamodb[*].prefix_list_id)
}

output "dynamodb_endpoint_policy" {
  description = "Policy of the DynamoDB gateway endpoint (JSON); null without one"
  value       = one(aws_vpc_endpoint.dynamodb[*].policy)
}

output "endpoints_security_group_id" {
  description = "Security group of the interface endpoints"
  value       = aws_security_group.endpoints.id
}

output "interface_endpoint_ids" {
  description = "Interface endpoint IDs by service short name"
  value       = { for k, v in aws_vpc_endpoint.interface : k => v.id }
}

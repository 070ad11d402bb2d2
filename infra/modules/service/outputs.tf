################################################################################
# Cluster and Service
################################################################################

output "cluster_name" {
  description = "Name of the ECS cluster"
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster"
  value       = aws_ecs_cluster.this.arn
}

output "service_name" {
  description = "Name of the ECS service"
  value       = aws_ecs_service.this.name
}

output "task_definition_arn" {
  description = "ARN (with revision) of the task definition"
  value       = aws_ecs_task_definition.this.arn
}

output "cpu_architecture" {
  description = "CPU architecture the task definition runs on (X86_64 or ARM64)"
  value       = aws_ecs_task_definition.this.runtime_platform[0].cpu_architecture
}

output "image" {
  description = "Image the task definition runs"
  value       = local.image
}

output "log_group_name" {
  description = "CloudWatch log group of the containers"
  value       = aws_cloudwatch_log_group.this.name
}

################################################################################
# IAM
################################################################################

output "task_role_arn" {
  description = "ARN of the task role (read-only on the documents)"
  value       = aws_iam_role.task.arn
}

output "container_environment" {
  description = "The container's environment (JSON list of name/value): the service's settings"
  value       = jsonencode(jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment)
}

output "task_role_policy" {
  description = "The task role's inline policy (JSON): read the documents' store, nothing else"
  value       = aws_iam_role_policy.task.policy
}

output "task_exec_role_arn" {
  description = "ARN of the task execution role (ECR pull and logs)"
  value       = aws_iam_role.task_exec.arn
}

################################################################################
# Load Balancer
################################################################################

output "lb_dns_name" {
  description = "DNS name of the load balancer"
  value       = aws_lb.this.dns_name
}

output "lb_arn" {
  description = "ARN of the load balancer"
  value       = aws_lb.this.arn
}

output "lb_arn_suffix" {
  description = "ARN suffix of the load balancer (CloudWatch dimension LoadBalancer)"
  value       = aws_lb.this.arn_suffix
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the target group (CloudWatch dimension TargetGroup)"
  value       = aws_lb_target_group.this.arn_suffix
}

output "target_group_arn" {
  description = "ARN of the target group"
  value       = aws_lb_target_group.this.arn
}

output "url" {
  description = "Public URL of the service (https:// when TLS is set up; the domain when one is given)"
  value       = "${local.https ? "https" : "http"}://${coalesce(var.domain_name, aws_lb.this.dns_name)}"
}

################################################################################
# Security Groups
################################################################################

output "alb_security_group_id" {
  description = "Security group of the load balancer"
  value       = aws_security_group.alb.id
}

output "tasks_security_group_id" {
  description = "Security group of the tasks"
  value       = aws_security_group.tasks.id
}

################################################################################
# Autoscaling
################################################################################

output "deployment_timing" {
  description = "What bounds a deployment's duration, read back from the resources (seconds, counts): scripts/deploy computes its wait for the service to be stable from it"
  value = {
    max_tasks                    = var.autoscaling.max_capacity
    health_check_grace_seconds   = coalesce(aws_ecs_service.this.health_check_grace_period_seconds, 0)
    health_check_interval        = aws_lb_target_group.this.health_check[0].interval
    health_check_timeout         = aws_lb_target_group.this.health_check[0].timeout
    healthy_threshold            = aws_lb_target_group.this.health_check[0].healthy_threshold
    unhealthy_threshold          = aws_lb_target_group.this.health_check[0].unhealthy_threshold
    deregistration_delay_seconds = tonumber(aws_lb_target_group.this.deregistration_delay)
    stop_timeout_seconds         = local.stop_timeout
    circuit_breaker_rollback     = aws_ecs_service.this.deployment_circuit_breaker[0].rollback
  }
}

output "autoscaling_policy_names" {
  description = "Names of the target-tracking policies"
  value       = [for p in aws_appautoscaling_policy.this : p.name]
}

################################################################################
# Security Groups
################################################################################

output "task_egress" {
  description = "Where the tasks may connect on 443: security groups, prefix lists, CIDR blocks"
  value = {
    security_group_ids = aws_vpc_security_group_egress_rule.tasks_https_endpoints[*].referenced_security_group_id
    prefix_list_ids    = aws_vpc_security_group_egress_rule.tasks_https_prefix_list[*].prefix_list_id
    cidr_blocks        = aws_vpc_security_group_egress_rule.tasks_https_cidr[*].cidr_ipv4
  }
}

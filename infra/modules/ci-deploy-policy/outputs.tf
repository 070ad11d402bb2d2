output "boundary_name" {
  description = "Name of the permissions boundary every role of this environment carries"
  value       = local.boundary_name
}

output "boundary_arn" {
  description = "ARN of that permissions boundary"
  value       = local.boundary_arn
}

output "boundary_policy" {
  description = "The boundary: the most any workload role of this environment may do (task, execution and flow-log roles)"
  value       = jsonencode(local.boundary_policy)
}

output "deploy_policy" {
  description = "The deploy role's policy for this environment"
  value       = jsonencode(local.deploy_policy)
}

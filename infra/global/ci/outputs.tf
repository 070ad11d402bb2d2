################################################################################
# GitHub OIDC Provider
################################################################################

output "oidc_provider_arn" {
  description = "ARN of the GitHub OIDC provider the roles trust"
  value       = local.oidc_provider_arn
}

################################################################################
# Roles
################################################################################

output "plan_role_arn" {
  description = "Role of pull-request plans: repository variable AWS_PLAN_ROLE_ARN"
  value       = aws_iam_role.plan.arn
}

output "deploy_role_arns" {
  description = "Deploy role per environment"
  value       = { for k, r in aws_iam_role.deploy : k => r.arn }
}

output "boundary_arns" {
  description = "Permissions boundary per environment: set it as permissions_boundary_arn in that environment's terraform.tfvars"
  value       = { for k, p in aws_iam_policy.boundary : k => p.arn }
}

output "github_variables" {
  description = "Repository variables the workflows read (Settings > Secrets and variables > Actions > Variables); AWS_DEPLOY_ROLE_ARN here is the publishing (staging) role"
  value = {
    AWS_REGION          = var.region
    AWS_ACCOUNT_ID      = local.account_id
    AWS_PLAN_ROLE_ARN   = aws_iam_role.plan.arn
    AWS_DEPLOY_ROLE_ARN = one([for k, r in var.deploy_roles : aws_iam_role.deploy[k].arn if r.push_image])
  }
}

output "github_environment_variables" {
  description = "Per GitHub environment (Settings > Environments > <env> > Variables): AWS_DEPLOY_ROLE_ARN, which overrides the repository variable in that environment's jobs"
  value       = { for k, r in var.deploy_roles : r.github_environment => { AWS_DEPLOY_ROLE_ARN = aws_iam_role.deploy[k].arn } }
}

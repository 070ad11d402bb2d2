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

output "deploy_role_arn" {
  description = "Role of the main branch and deployment environments: repository variable AWS_DEPLOY_ROLE_ARN"
  value       = aws_iam_role.deploy.arn
}

output "github_variables" {
  description = "Repository variables the workflows read (Settings > Secrets and variables > Actions > Variables)"
  value = {
    AWS_REGION          = var.region
    AWS_ACCOUNT_ID      = local.account_id
    AWS_PLAN_ROLE_ARN   = aws_iam_role.plan.arn
    AWS_DEPLOY_ROLE_ARN = aws_iam_role.deploy.arn
  }
}

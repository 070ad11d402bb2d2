provider "aws" {
  region              = var.region
  allowed_account_ids = length(var.allowed_account_ids) > 0 ? var.allowed_account_ids : null

  default_tags {
    tags = merge({ Project = "s3json", ManagedBy = "terraform", Root = "global/ci" }, var.tags)
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  prefix     = var.name_prefix

  state_bucket     = coalesce(var.state_bucket_name, "${var.name_prefix}-tfstate-${local.account_id}-${var.region}")
  state_bucket_arn = "arn:${local.partition}:s3:::${local.state_bucket}"
  repository_arn   = "arn:${local.partition}:ecr:${var.region}:${local.account_id}:repository/${var.repository_name}"
  ci_roles_arn     = "arn:${local.partition}:iam::${local.account_id}:role/${local.prefix}-ci-*"
  managed_role_arn = "arn:${local.partition}:iam::${local.account_id}:role/${local.prefix}-*"

  oidc_host         = "token.actions.githubusercontent.com"
  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : var.oidc_provider_arn

}

################################################################################
# GitHub OIDC Provider: workflows get short-lived credentials, no stored keys
# https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services
################################################################################

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 1 : 0

  url            = "https://${local.oidc_host}"
  client_id_list = ["sts.amazonaws.com"]
  # IAM trusts GitHub's certificate through its own CA library; the list is
  # still required by the API.
  thumbprint_list = [
    "6938fd4d98bab03faadb97b34396831e3780aea1",
    "1c58a3a8518e8759bf075b76b750d4f2df264fcd",
  ]
}

locals {
  # Who may assume a role: this repository's tokens for sts.amazonaws.com,
  # from exactly the given `sub` claims (no wildcards). A job in a GitHub
  # environment gets `repo:<r>:environment:<env>` (no branch): production's
  # main-only rule is the environment's deployment-branch rule (docs/deploy.md).
  subs = merge(
    { plan = ["repo:${var.github_repository}:pull_request"] },
    { for env, r in var.deploy_roles : "deploy-${env}" => concat(
      ["repo:${var.github_repository}:environment:${r.github_environment}"],
      r.push_image ? ["repo:${var.github_repository}:ref:refs/heads/${var.deploy_branch}"] : [],
    ) },
  )
  trust = { for role, subs in local.subs : role => jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = local.oidc_provider_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "${local.oidc_host}:aud" = "sts.amazonaws.com"
          "${local.oidc_host}:sub" = subs
        }
      }
    }]
  }) }
}

################################################################################
# Read Policy: what `terraform plan` of every root reads (both roles)
################################################################################

locals {
  read_policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          # Describe/List calls have no resource-level permissions.
          Sid    = "DescribeInfrastructure"
          Effect = "Allow"
          Action = [
            "sts:GetCallerIdentity",
            "ec2:Describe*",
            "elasticloadbalancing:Describe*",
            "ecs:Describe*",
            "ecs:List*",
            "ecr:DescribeRepositories",
            "ecr:DescribeImages",
            "ecr:ListImages",
            "ecr:GetLifecyclePolicy",
            "ecr:GetRepositoryPolicy",
            "ecr:ListTagsForResource",
            "logs:DescribeLogGroups",
            "logs:ListTagsLogGroup",
            "logs:ListTagsForResource",
            "cloudwatch:DescribeAlarms",
            "cloudwatch:ListTagsForResource",
            "application-autoscaling:Describe*",
            "application-autoscaling:ListTagsForResource",
            "sns:GetTopicAttributes",
            "sns:GetSubscriptionAttributes",
            "sns:ListSubscriptionsByTopic",
            "sns:ListTagsForResource",
            "kms:DescribeKey",
            "kms:GetKeyPolicy",
            "kms:GetKeyRotationStatus",
            "kms:ListAliases",
            "kms:ListResourceTags",
            "wafv2:GetWebACL",
            "wafv2:GetWebACLForResource",
            "wafv2:GetLoggingConfiguration",
            "wafv2:ListTagsForResource",
            "cloudwatch:GetDashboard",
            "logs:DescribeMetricFilters",
            "iam:GetPolicy",
            "iam:GetPolicyVersion",
            "acm:DescribeCertificate",
            "acm:ListCertificates",
            "acm:ListTagsForCertificate",
            "route53:GetHostedZone",
            "route53:GetChange",
            "route53:ListResourceRecordSets",
            "route53:ListTagsForResource",
          ]
          Resource = "*"
        },
        {
          Sid      = "ReadManagedRoles"
          Effect   = "Allow"
          Action   = ["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole"]
          Resource = local.managed_role_arn
        },
        {
          Sid    = "ReadProjectBuckets"
          Effect = "Allow"
          Action = [
            "s3:ListBucket",
            "s3:GetBucket*",
            "s3:GetAccelerateConfiguration",
            "s3:GetEncryptionConfiguration",
            "s3:GetLifecycleConfiguration",
            "s3:GetReplicationConfiguration",
            "s3:GetObject",
            "s3:GetObjectTagging",
          ]
          Resource = ["arn:${local.partition}:s3:::${local.prefix}-*", "arn:${local.partition}:s3:::${local.prefix}-*/*"]
        },
        {
          # Plans take the state lock too (use_lockfile): lock objects only.
          Sid      = "StateLock"
          Effect   = "Allow"
          Action   = ["s3:PutObject", "s3:DeleteObject"]
          Resource = "${local.state_bucket_arn}/*.tflock"
        },
      ],
      var.state_kms_key_arn == null ? [] : [{
        Sid      = "StateKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
        Resource = var.state_kms_key_arn
      }],
    )
  })
}

################################################################################
# Deploy Roles: one per environment, each held to its environment by names,
# tags and a permissions boundary (modules/ci-deploy-policy)
################################################################################

module "deploy_policy" {
  source   = "../../modules/ci-deploy-policy"
  for_each = var.deploy_roles

  partition         = local.partition
  account_id        = local.account_id
  region            = var.region
  name_prefix       = local.prefix
  environment       = each.key
  state_bucket_arn  = local.state_bucket_arn
  state_kms_key_arn = var.state_kms_key_arn
  repository_arn    = local.repository_arn
  push_image        = each.value.push_image
  route53_zone_ids  = var.route53_zone_ids
  protected_arns = [
    local.ci_roles_arn,
    "arn:${local.partition}:iam::${local.account_id}:oidc-provider/${local.oidc_host}",
    "arn:${local.partition}:iam::${local.account_id}:policy/${local.prefix}-*-workload-boundary",
  ]
}

# Every role a deploy role creates carries this; the deploy role can neither
# create a role without it nor change or remove it.
resource "aws_iam_policy" "boundary" {
  for_each = var.deploy_roles

  name        = module.deploy_policy[each.key].boundary_name
  description = "Permissions boundary of the ${each.key} workload roles (tasks, task execution, flow logs)"
  policy      = module.deploy_policy[each.key].boundary_policy
}

resource "aws_iam_role" "deploy" {
  for_each = var.deploy_roles

  name                 = "${local.prefix}-ci-deploy-${each.key}"
  description          = "GitHub Actions, environment ${each.value.github_environment} of ${var.github_repository}: apply ${each.key}${each.value.push_image ? ", push the image" : ""}"
  assume_role_policy   = local.trust["deploy-${each.key}"]
  max_session_duration = var.max_session_duration
}

resource "aws_iam_role_policy" "deploy_read" {
  for_each = var.deploy_roles

  name   = "read"
  role   = aws_iam_role.deploy[each.key].id
  policy = local.read_policy
}

resource "aws_iam_role_policy" "deploy" {
  for_each = var.deploy_roles

  name   = "deploy"
  role   = aws_iam_role.deploy[each.key].id
  policy = module.deploy_policy[each.key].deploy_policy
}

################################################################################
# Plan Role: pull requests, read-only
################################################################################

resource "aws_iam_role" "plan" {
  name                 = "${local.prefix}-ci-plan"
  description          = "GitHub Actions, pull requests of ${var.github_repository}: terraform plan (read-only)"
  assume_role_policy   = local.trust.plan
  max_session_duration = var.max_session_duration
}

resource "aws_iam_role_policy" "plan_read" {
  name   = "read"
  role   = aws_iam_role.plan.id
  policy = local.read_policy
}

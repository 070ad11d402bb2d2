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

  # Everything the deploy role changes stays in this region.
  in_region = { StringEquals = { "aws:RequestedRegion" = var.region } }
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
  # from exactly the given `sub` claims (no wildcards).
  trust = { for role, subs in {
    plan   = ["repo:${var.github_repository}:pull_request"]
    deploy = concat(["repo:${var.github_repository}:ref:refs/heads/${var.deploy_branch}"], [for e in var.deploy_environments : "repo:${var.github_repository}:environment:${e}"])
    } : role => jsonencode({
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
# Deploy Policy: publish the image, apply global/ecr and the environments
################################################################################

locals {
  deploy_policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "StateWrite"
          Effect   = "Allow"
          Action   = ["s3:PutObject", "s3:DeleteObject"]
          Resource = "${local.state_bucket_arn}/*"
        },
        {
          Sid      = "EcrLogin"
          Effect   = "Allow"
          Action   = "ecr:GetAuthorizationToken"
          Resource = "*"
        },
        {
          Sid    = "EcrRepository"
          Effect = "Allow"
          Action = [
            "ecr:CreateRepository",
            "ecr:PutLifecyclePolicy",
            "ecr:PutImageScanningConfiguration",
            "ecr:PutImageTagMutability",
            "ecr:TagResource",
            "ecr:UntagResource",
            "ecr:BatchCheckLayerAvailability",
            "ecr:BatchGetImage",
            "ecr:GetDownloadUrlForLayer",
            "ecr:InitiateLayerUpload",
            "ecr:UploadLayerPart",
            "ecr:CompleteLayerUpload",
            "ecr:PutImage",
            "ecr:DescribeImageScanFindings",
          ]
          Resource = local.repository_arn
        },
        {
          # VPC, subnets, routes, gateways, endpoints, security groups,
          # flow logs; ALB; ECS; autoscaling; certificates: this region only.
          Sid    = "EnvironmentResources"
          Effect = "Allow"
          Action = [
            "ec2:CreateVpc", "ec2:DeleteVpc", "ec2:ModifyVpcAttribute",
            "ec2:CreateSubnet", "ec2:DeleteSubnet", "ec2:ModifySubnetAttribute",
            "ec2:CreateRouteTable", "ec2:DeleteRouteTable", "ec2:CreateRoute", "ec2:DeleteRoute", "ec2:ReplaceRoute",
            "ec2:AssociateRouteTable", "ec2:DisassociateRouteTable",
            "ec2:CreateInternetGateway", "ec2:DeleteInternetGateway", "ec2:AttachInternetGateway", "ec2:DetachInternetGateway",
            "ec2:AllocateAddress", "ec2:ReleaseAddress", "ec2:CreateNatGateway", "ec2:DeleteNatGateway",
            "ec2:CreateVpcEndpoint", "ec2:DeleteVpcEndpoints", "ec2:ModifyVpcEndpoint",
            "ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup",
            "ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress",
            "ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress",
            "ec2:ModifySecurityGroupRules", "ec2:UpdateSecurityGroupRuleDescriptionsIngress", "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
            "ec2:CreateFlowLogs", "ec2:DeleteFlowLogs",
            "ec2:CreateTags", "ec2:DeleteTags",
            "elasticloadbalancing:*",
            "ecs:CreateCluster", "ecs:DeleteCluster", "ecs:UpdateCluster", "ecs:PutClusterCapacityProviders",
            "ecs:CreateService", "ecs:UpdateService", "ecs:DeleteService",
            "ecs:RegisterTaskDefinition", "ecs:DeregisterTaskDefinition", "ecs:DeleteTaskDefinitions",
            "ecs:TagResource", "ecs:UntagResource",
            "application-autoscaling:RegisterScalableTarget", "application-autoscaling:DeregisterScalableTarget",
            "application-autoscaling:PutScalingPolicy", "application-autoscaling:DeleteScalingPolicy",
            "application-autoscaling:TagResource", "application-autoscaling:UntagResource",
            "acm:RequestCertificate", "acm:DeleteCertificate", "acm:AddTagsToCertificate", "acm:RemoveTagsFromCertificate",
          ]
          Resource  = "*"
          Condition = local.in_region
        },
        {
          Sid    = "LogGroups"
          Effect = "Allow"
          Action = [
            "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
            "logs:TagResource", "logs:UntagResource", "logs:TagLogGroup", "logs:UntagLogGroup",
          ]
          Resource = [
            "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:/ecs/${local.prefix}-*",
            "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:/vpc/${local.prefix}-*",
          ]
        },
        {
          Sid      = "Alarms"
          Effect   = "Allow"
          Action   = ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource", "cloudwatch:UntagResource"]
          Resource = "arn:${local.partition}:cloudwatch:${var.region}:${local.account_id}:alarm:${local.prefix}-*"
        },
        {
          # The roots' task, execution and flow-log roles, named <prefix>-*.
          Sid    = "ManagedRoles"
          Effect = "Allow"
          Action = [
            "iam:CreateRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy",
            "iam:TagRole", "iam:UntagRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy",
          ]
          Resource = local.managed_role_arn
        },
        {
          Sid      = "PassManagedRoles"
          Effect   = "Allow"
          Action   = "iam:PassRole"
          Resource = local.managed_role_arn
          Condition = {
            StringEquals = { "iam:PassedToService" = ["ecs-tasks.amazonaws.com", "vpc-flow-logs.amazonaws.com"] }
          }
        },
        {
          Sid      = "ServiceLinkedRoles"
          Effect   = "Allow"
          Action   = "iam:CreateServiceLinkedRole"
          Resource = "*"
          Condition = {
            StringEquals = { "iam:AWSServiceName" = ["ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com", "ecs.application-autoscaling.amazonaws.com"] }
          }
        },
        {
          # Documents buckets (`<prefix>-<env>-documents-*`) and their objects.
          Sid    = "DocumentBuckets"
          Effect = "Allow"
          Action = [
            "s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucket*", "s3:DeleteBucketPolicy",
            "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration",
            "s3:PutObject", "s3:PutObjectTagging", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:ListBucketVersions",
          ]
          Resource = ["arn:${local.partition}:s3:::${local.prefix}-*-documents-*", "arn:${local.partition}:s3:::${local.prefix}-*-documents-*/*"]
        },
        {
          # No way to widen its own rights, touch the OIDC provider or
          # weaken the state bucket.
          Sid    = "NoSelfEscalation"
          Effect = "Deny"
          Action = ["iam:*"]
          Resource = [
            local.ci_roles_arn,
            "arn:${local.partition}:iam::${local.account_id}:oidc-provider/${local.oidc_host}",
          ]
        },
        {
          Sid      = "KeepStateBucket"
          Effect   = "Deny"
          Action   = ["s3:DeleteBucket", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketVersioning", "s3:PutLifecycleConfiguration"]
          Resource = local.state_bucket_arn
        },
      ],
      length(var.route53_zone_ids) == 0 ? [] : [{
        Sid      = "DnsRecords"
        Effect   = "Allow"
        Action   = "route53:ChangeResourceRecordSets"
        Resource = [for z in var.route53_zone_ids : "arn:${local.partition}:route53:::hostedzone/${z}"]
      }],
    )
  })
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

################################################################################
# Deploy Role: the main branch and the deployment environments
################################################################################

resource "aws_iam_role" "deploy" {
  name                 = "${local.prefix}-ci-deploy"
  description          = "GitHub Actions, ${var.deploy_branch} and environments of ${var.github_repository}: push the image, apply"
  assume_role_policy   = local.trust.deploy
  max_session_duration = var.max_session_duration
}

resource "aws_iam_role_policy" "deploy_read" {
  name   = "read"
  role   = aws_iam_role.deploy.id
  policy = local.read_policy
}

resource "aws_iam_role_policy" "deploy" {
  name   = "deploy"
  role   = aws_iam_role.deploy.id
  policy = local.deploy_policy
}

# The deploy role policy of one environment and the permissions boundary of
# the roles it creates. Pure: no provider, no resources; global/ci creates
# the roles and policies, and a test evaluates these documents request by
# request with tests/emulator/iam_policy.py (moto checks most services
# against `*`, not real ARNs).
#
# Three ways the role is held to its environment:
#   * names: IAM roles, log groups, alarms, topics, buckets, dashboards and
#     KMS aliases are `<prefix>-<environment>-*`;
#   * tags: EC2, load balancer, ECS, WAF, ACM, KMS and autoscaling resources
#     are created only with the tag Environment=<environment>
#     (aws:RequestTag) and changed or deleted only when they carry it
#     (aws:ResourceTag); the roots' default_tags set it;
#   * the boundary: a role may be created or given a policy only with this
#     environment's permissions boundary, which the deploy role cannot remove
#     or edit. Without the boundary, CreateRole + PassRole would hand a task
#     any right the deploy role lacks: a path to administrator.

locals {
  p          = "${var.name_prefix}-${var.environment}"
  arn        = "arn:${var.partition}"
  acct       = var.account_id
  in_region  = { "aws:RequestedRegion" = var.region }
  tag_create = { StringEquals = merge(local.in_region, { "aws:RequestTag/Environment" = var.environment }) }
  tag_owned  = { StringEquals = merge(local.in_region, { "aws:ResourceTag/Environment" = var.environment }) }

  boundary_name = "${local.p}-workload-boundary"
  boundary_arn  = "${local.arn}:iam::${local.acct}:policy/${local.boundary_name}"
  role_arn      = "${local.arn}:iam::${local.acct}:role/${local.p}-*"

  state_keys = concat(["environments/${var.environment}/*"], var.push_image ? ["global/ecr/*"] : [])
}

################################################################################
# Permissions boundary: the union of what the environment's workload roles
# need (tasks read documents, the agent pulls and logs, flow logs write).
################################################################################

locals {
  boundary_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadDocuments"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:ListBucket"]
        Resource = ["${local.arn}:s3:::${local.p}-documents-*", "${local.arn}:s3:::${local.p}-documents-*/*"]
      },
      {
        Sid       = "DecryptDocumentsThroughS3"
        Effect    = "Allow"
        Action    = "kms:Decrypt"
        Resource  = "${local.arn}:kms:${var.region}:${local.acct}:key/*"
        Condition = { StringEquals = { "kms:ViaService" = "s3.${var.region}.amazonaws.com" } }
      },
      {
        Sid      = "PullImage"
        Effect   = "Allow"
        Action   = ["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
        Resource = "*"
      },
      {
        Sid    = "WriteOwnLogs"
        Effect = "Allow"
        Action = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"]
        Resource = [
          "${local.arn}:logs:${var.region}:${local.acct}:log-group:/ecs/${local.p}*",
          "${local.arn}:logs:${var.region}:${local.acct}:log-group:/vpc/${local.p}*",
        ]
      },
    ]
  }
}

################################################################################
# Deploy policy
################################################################################

locals {
  created_with_tag = [
    "ec2:CreateVpc", "ec2:CreateSubnet", "ec2:CreateRouteTable", "ec2:CreateInternetGateway",
    "ec2:AllocateAddress", "ec2:CreateNatGateway", "ec2:CreateVpcEndpoint", "ec2:CreateSecurityGroup", "ec2:CreateFlowLogs",
    "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup",
    "elasticloadbalancing:CreateListener", "elasticloadbalancing:CreateRule",
    "ecs:CreateCluster", "ecs:CreateService", "ecs:RegisterTaskDefinition",
    "application-autoscaling:RegisterScalableTarget",
    "wafv2:CreateWebACL", "acm:RequestCertificate", "kms:CreateKey",
  ]
  changed_when_owned = [
    "ec2:DeleteVpc", "ec2:ModifyVpcAttribute", "ec2:DeleteSubnet", "ec2:ModifySubnetAttribute",
    "ec2:DeleteRouteTable", "ec2:CreateRoute", "ec2:DeleteRoute", "ec2:ReplaceRoute",
    "ec2:AssociateRouteTable", "ec2:DisassociateRouteTable",
    "ec2:DeleteInternetGateway", "ec2:AttachInternetGateway", "ec2:DetachInternetGateway",
    "ec2:ReleaseAddress", "ec2:DeleteNatGateway", "ec2:DeleteVpcEndpoints", "ec2:ModifyVpcEndpoint",
    "ec2:DeleteSecurityGroup", "ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress", "ec2:ModifySecurityGroupRules",
    "ec2:UpdateSecurityGroupRuleDescriptionsIngress", "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
    "ec2:DeleteFlowLogs", "ec2:CreateTags", "ec2:DeleteTags",
    "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:DeleteListener", "elasticloadbalancing:DeleteRule",
    "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:ModifyTargetGroup",
    "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:ModifyListenerAttributes", "elasticloadbalancing:ModifyRule",
    "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets",
    "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags", "elasticloadbalancing:SetWebACL",
    "ecs:DeleteCluster", "ecs:UpdateCluster", "ecs:PutClusterCapacityProviders",
    "ecs:UpdateService", "ecs:DeleteService", "ecs:TagResource", "ecs:UntagResource",
    "ecs:DeregisterTaskDefinition", "ecs:DeleteTaskDefinitions",
    "application-autoscaling:DeregisterScalableTarget", "application-autoscaling:PutScalingPolicy",
    "application-autoscaling:DeleteScalingPolicy", "application-autoscaling:TagResource", "application-autoscaling:UntagResource",
    "wafv2:UpdateWebACL", "wafv2:DeleteWebACL", "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL",
    "wafv2:PutLoggingConfiguration", "wafv2:DeleteLoggingConfiguration", "wafv2:TagResource", "wafv2:UntagResource",
    "acm:DeleteCertificate", "acm:AddTagsToCertificate", "acm:RemoveTagsFromCertificate",
    "kms:EnableKeyRotation", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource",
    "kms:UpdateKeyDescription", "kms:CreateAlias", "kms:DeleteAlias", "kms:GenerateDataKey", "kms:Decrypt",
  ]

  deploy_policy = {
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "StateWrite"
          Effect   = "Allow"
          Action   = ["s3:PutObject", "s3:DeleteObject"]
          Resource = [for k in local.state_keys : "${var.state_bucket_arn}/${k}"]
        },
        {
          Sid      = "EcrLogin"
          Effect   = "Allow"
          Action   = "ecr:GetAuthorizationToken"
          Resource = "*"
        },
        {
          Sid    = var.push_image ? "EcrPublish" : "EcrRead"
          Effect = "Allow"
          Action = concat(
            ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages", "ecr:DescribeImageScanFindings"],
            var.push_image ? [
              "ecr:CreateRepository", "ecr:PutLifecyclePolicy", "ecr:PutImageScanningConfiguration", "ecr:PutImageTagMutability",
              "ecr:TagResource", "ecr:UntagResource", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage",
            ] : [],
          )
          Resource = var.repository_arn
        },
        {
          # Created only tagged Environment=<environment> (the roots'
          # default_tags), in this region.
          Sid       = "CreateTaggedForEnvironment"
          Effect    = "Allow"
          Action    = local.created_with_tag
          Resource  = "*"
          Condition = local.tag_create
        },
        {
          # Tag-on-create needs the tagging action too, but only inside a
          # create call: tags cannot be added to someone else's resource.
          Sid      = "TagOnCreate"
          Effect   = "Allow"
          Action   = "ec2:CreateTags"
          Resource = "*"
          Condition = {
            StringEquals = merge(local.in_region, { "aws:RequestTag/Environment" = var.environment })
            Null         = { "ec2:CreateAction" = "false" }
          }
        },
        {
          Sid      = "TagOnCreateLoadBalancing"
          Effect   = "Allow"
          Action   = "elasticloadbalancing:AddTags"
          Resource = "*"
          Condition = {
            StringEquals = merge(local.in_region, { "aws:RequestTag/Environment" = var.environment })
            StringLike   = { "elasticloadbalancing:CreateAction" = ["CreateLoadBalancer", "CreateTargetGroup", "CreateListener", "CreateRule"] }
          }
        },
        {
          # AWS creates a VPC's default security group untagged; the network
          # module adopts it (aws_default_security_group, to strip its rules),
          # which starts by tagging it. So: an untagged security group may be
          # tagged into this environment, nothing else (found by applying as
          # the role: tests/e2e/ci-role-e2e.sh).
          Sid      = "ClaimUntaggedSecurityGroup"
          Effect   = "Allow"
          Action   = "ec2:CreateTags"
          Resource = "${local.arn}:ec2:${var.region}:${local.acct}:security-group/*"
          Condition = {
            StringEquals = merge(local.in_region, { "aws:RequestTag/Environment" = var.environment })
            Null         = { "aws:ResourceTag/Environment" = "true" }
          }
        },
        {
          # Changes and deletes: only resources tagged with this environment.
          Sid       = "ChangeOwnEnvironment"
          Effect    = "Allow"
          Action    = local.changed_when_owned
          Resource  = "*"
          Condition = local.tag_owned
        },
        {
          Sid    = "NamedResources"
          Effect = "Allow"
          Action = [
            "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
            "logs:TagResource", "logs:UntagResource", "logs:TagLogGroup", "logs:UntagLogGroup",
            "logs:PutMetricFilter", "logs:DeleteMetricFilter",
            "cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource", "cloudwatch:UntagResource",
            "cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards",
            "sns:CreateTopic", "sns:DeleteTopic", "sns:SetTopicAttributes", "sns:Subscribe", "sns:Unsubscribe",
            "sns:TagResource", "sns:UntagResource",
          ]
          Resource = [
            "${local.arn}:logs:${var.region}:${local.acct}:log-group:/ecs/${local.p}*",
            "${local.arn}:logs:${var.region}:${local.acct}:log-group:/vpc/${local.p}*",
            "${local.arn}:logs:${var.region}:${local.acct}:log-group:aws-waf-logs-${local.p}*",
            "${local.arn}:cloudwatch:${var.region}:${local.acct}:alarm:${local.p}-*",
            "${local.arn}:cloudwatch::${local.acct}:dashboard/${local.p}*",
            "${local.arn}:sns:${var.region}:${local.acct}:${local.p}-*",
          ]
        },
        {
          # An alias is authorized on itself as well as on its key (the key
          # by tag, above). Aliases carry no tags: they are scoped by name
          # (found by applying staging as the role: tests/e2e/ci-role-e2e.sh).
          Sid      = "EnvironmentKeyAliases"
          Effect   = "Allow"
          Action   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
          Resource = "${local.arn}:kms:${var.region}:${local.acct}:alias/${local.p}-*"
        },
        {
          # Target tracking creates and deletes its own alarms with the
          # caller's rights: TargetTracking-service/<cluster>/<service>-...
          Sid      = "AutoscalingAlarms"
          Effect   = "Allow"
          Action   = ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms"]
          Resource = "${local.arn}:cloudwatch:${var.region}:${local.acct}:alarm:TargetTracking-service/${local.p}/${local.p}-*"
        },
        {
          Sid    = "EnvironmentBuckets"
          Effect = "Allow"
          Action = [
            "s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucket*", "s3:DeleteBucketPolicy",
            "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration",
            "s3:PutObject", "s3:PutObjectTagging", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:ListBucketVersions",
          ]
          Resource = [for b in ["documents", "lb-logs"] : "${local.arn}:s3:::${local.p}-${b}-*"]
        },
        {
          # Roles exist only with this environment's boundary, which caps
          # whatever policy they are given.
          Sid       = "RolesOnlyWithBoundary"
          Effect    = "Allow"
          Action    = ["iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:PutRolePermissionsBoundary"]
          Resource  = local.role_arn
          Condition = { StringEquals = { "iam:PermissionsBoundary" = local.boundary_arn } }
        },
        {
          Sid      = "ManageOwnRoles"
          Effect   = "Allow"
          Action   = ["iam:DeleteRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole"]
          Resource = local.role_arn
        },
        {
          Sid      = "PassOwnRoles"
          Effect   = "Allow"
          Action   = "iam:PassRole"
          Resource = local.role_arn
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
          # Explicit denies win over any allow, here or added later.
          Sid       = "NeverWithoutBoundary"
          Effect    = "Deny"
          Action    = ["iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePermissionsBoundary"]
          Resource  = "*"
          Condition = { StringNotEquals = { "iam:PermissionsBoundary" = local.boundary_arn } }
        },
        {
          Sid    = "KeepBoundary"
          Effect = "Deny"
          Action = [
            "iam:DeleteRolePermissionsBoundary", "iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy",
            "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:AttachRolePolicy",
          ]
          Resource = "*"
        },
        {
          Sid      = "KeepStateBucket"
          Effect   = "Deny"
          Action   = ["s3:DeleteBucket", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketVersioning", "s3:PutLifecycleConfiguration"]
          Resource = var.state_bucket_arn
        },
      ],
      length(var.protected_arns) == 0 ? [] : [{
        Sid      = "NoSelfEscalation"
        Effect   = "Deny"
        Action   = ["iam:*"]
        Resource = var.protected_arns
      }],
      var.state_kms_key_arn == null ? [] : [{
        Sid      = "StateKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
        Resource = var.state_kms_key_arn
      }],
      length(var.route53_zone_ids) == 0 ? [] : [{
        Sid      = "DnsRecords"
        Effect   = "Allow"
        Action   = "route53:ChangeResourceRecordSets"
        Resource = [for z in var.route53_zone_ids : "${local.arn}:route53:::hostedzone/${z}"]
      }],
    )
  }
}

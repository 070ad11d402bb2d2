# GitHub OIDC provider and CI roles: who may assume which role, and what
# each may do (mock provider: no credentials, no network).

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_resource "aws_iam_openid_connect_provider" {
    defaults = { arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }
  }
}

variables {
  github_repository = "acme/s3json"
}

run "trust" {
  command = apply

  assert {
    condition     = jsondecode(aws_iam_role.plan.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == ["repo:acme/s3json:pull_request"]
    error_message = "the plan role is for this repository's pull requests only"
  }

  assert {
    condition     = jsondecode(aws_iam_role.deploy["prod"].assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == ["repo:acme/s3json:environment:production"]
    error_message = "the production role trusts only the production environment (no branch, no other environment)"
  }

  assert {
    condition = toset(jsondecode(aws_iam_role.deploy["staging"].assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"]) == toset([
      "repo:acme/s3json:environment:staging",
      "repo:acme/s3json:ref:refs/heads/main",
    ])
    error_message = "the staging role is for the staging environment and main's publish job"
  }

  assert {
    condition = alltrue([for r in concat([aws_iam_role.plan], values(aws_iam_role.deploy)) :
      jsondecode(r.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com" &&
      !strcontains(r.assume_role_policy, "*")
    ])
    error_message = "tokens must be minted for sts.amazonaws.com; no wildcard in a trust policy"
  }

  assert {
    condition = (
      output.github_environment_variables.production.AWS_DEPLOY_ROLE_ARN == aws_iam_role.deploy["prod"].arn &&
      output.github_environment_variables.staging.AWS_DEPLOY_ROLE_ARN == aws_iam_role.deploy["staging"].arn &&
      output.github_variables.AWS_DEPLOY_ROLE_ARN == aws_iam_role.deploy["staging"].arn
    )
    error_message = "each GitHub environment names its own deploy role; the repository variable is the publishing (staging) role"
  }
}

run "least_privilege" {
  command = apply

  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.plan_read.policy).Statement :
      s.Effect == "Allow" && alltrue([for a in flatten([s.Action]) :
        can(regex("^(sts:GetCallerIdentity|[a-z0-9-]+:(Describe|List|Get)[A-Za-z*]*)$", a)) ||
        (s.Sid == "StateLock" && try(endswith(s.Resource, "/*.tflock"), false))
      ])
    ])
    error_message = "the plan role may only read (and take the state lock)"
  }

  assert {
    condition = alltrue(flatten([for p in aws_iam_role_policy.deploy : [for s in jsondecode(p.policy).Statement :
      !contains(flatten([s.Action]), "*") && !contains(flatten([s.Action]), "iam:*") || s.Effect == "Deny"
    ]]))
    error_message = "no allow-everything statement"
  }

  assert {
    condition = alltrue(flatten([for p in aws_iam_role_policy.deploy : [for s in jsondecode(p.policy).Statement :
      s.Resource != "*" || s.Effect == "Deny" || s.Sid == "EcrLogin" || s.Sid == "ServiceLinkedRoles" || try(s.Condition.StringEquals["aws:RequestedRegion"], "") == "eu-west-1"
    ]]))
    error_message = "account-wide allows must be limited to the region"
  }

  assert {
    condition = alltrue([for k, p in aws_iam_role_policy.deploy :
      one([for s in jsondecode(p.policy).Statement : s if s.Sid == "RolesOnlyWithBoundary"]).Condition.StringEquals["iam:PermissionsBoundary"] == "arn:aws:iam::123456789012:policy/${aws_iam_policy.boundary[k].name}" && aws_iam_policy.boundary[k].name == "s3json-${k}-workload-boundary" &&
      one([for s in jsondecode(p.policy).Statement : s if s.Sid == "RolesOnlyWithBoundary"]).Resource == "arn:aws:iam::123456789012:role/s3json-${k}-*"
    ])
    error_message = "a deploy role creates roles of its environment only, and only with its environment's boundary"
  }

  assert {
    condition = alltrue([for k, p in aws_iam_role_policy.deploy :
      contains(one([for s in jsondecode(p.policy).Statement : s if s.Sid == "KeepBoundary"]).Action, "iam:DeleteRolePermissionsBoundary") &&
      one([for s in jsondecode(p.policy).Statement : s if s.Sid == "NeverWithoutBoundary"]).Effect == "Deny"
    ])
    error_message = "the boundary cannot be removed, edited, or left off"
  }

  assert {
    condition = toset(one([for s in jsondecode(aws_iam_role_policy.deploy["staging"].policy).Statement : s if s.Sid == "NoSelfEscalation"]).Resource) == toset([
      "arn:aws:iam::123456789012:role/s3json-ci-*",
      "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
      "arn:aws:iam::123456789012:policy/s3json-*-workload-boundary",
    ])
    error_message = "no deploy role may change the CI roles, the OIDC provider or a boundary"
  }

  assert {
    condition = alltrue([for k, p in aws_iam_role_policy.deploy :
      one([for s in jsondecode(p.policy).Statement : s if s.Sid == "ChangeOwnEnvironment"]).Condition.StringEquals["aws:ResourceTag/Environment"] == k &&
      contains(one([for s in jsondecode(p.policy).Statement : s if s.Sid == "ChangeOwnEnvironment"]).Action, "elasticloadbalancing:DeleteLoadBalancer") &&
      contains(one([for s in jsondecode(p.policy).Statement : s if s.Sid == "ChangeOwnEnvironment"]).Action, "ec2:DeleteVpc")
    ])
    error_message = "EC2 and load balancer deletes only on resources tagged with the role's environment"
  }

  assert {
    condition = (
      one([for s in jsondecode(aws_iam_role_policy.deploy["prod"].policy).Statement : s if s.Sid == "EcrRead"]) != null &&
      length([for s in jsondecode(aws_iam_role_policy.deploy["prod"].policy).Statement : s if s.Sid == "EcrPublish"]) == 0
    )
    error_message = "the production role cannot push images"
  }

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.deploy["prod"].policy).Statement : s if s.Sid == "KeepStateBucket"]).Resource == "arn:aws:s3:::s3json-tfstate-123456789012-eu-west-1"
    error_message = "the state bucket's default name must match global/backend's"
  }
}

run "rejects_production_branch_trust" {
  command = plan

  variables {
    deploy_roles = { prod = { github_environment = "production", push_image = true } }
  }

  expect_failures = [var.deploy_roles]
}

run "existing_oidc_provider" {
  command = plan

  variables {
    create_oidc_provider = false
    oidc_provider_arn    = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 0
    error_message = "no second provider when one exists"
  }
}

run "rejects_bad_repository" {
  command = plan

  variables {
    github_repository = "not a repo"
  }

  expect_failures = [var.github_repository]
}

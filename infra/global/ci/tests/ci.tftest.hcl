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
    condition = toset(jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"]) == toset([
      "repo:acme/s3json:ref:refs/heads/main",
      "repo:acme/s3json:environment:staging",
      "repo:acme/s3json:environment:production",
    ])
    error_message = "the deploy role is for main and the deployment environments only"
  }

  assert {
    condition = alltrue([for r in [aws_iam_role.plan, aws_iam_role.deploy] :
      jsondecode(r.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    ])
    error_message = "tokens must be minted for sts.amazonaws.com"
  }

  assert {
    condition     = !strcontains(aws_iam_role.plan.assume_role_policy, "*") && !strcontains(aws_iam_role.deploy.assume_role_policy, "*")
    error_message = "no wildcard in a trust policy"
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
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement :
      !contains(flatten([s.Action]), "*") && !contains(flatten([s.Action]), "iam:*") || s.Effect == "Deny"
    ])
    error_message = "no allow-everything statement"
  }

  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement :
      s.Resource != "*" || s.Sid == "EcrLogin" || s.Sid == "ServiceLinkedRoles" || try(s.Condition.StringEquals["aws:RequestedRegion"], "") == "eu-west-1"
    ])
    error_message = "account-wide statements must be limited to the region"
  }

  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s if s.Sid == "NoSelfEscalation"]).Resource == [
      "arn:aws:iam::123456789012:role/s3json-ci-*",
      "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
    ]
    error_message = "the deploy role must not be able to change the CI roles or the OIDC provider"
  }

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s if s.Sid == "PassManagedRoles"]).Condition.StringEquals["iam:PassedToService"] == ["ecs-tasks.amazonaws.com", "vpc-flow-logs.amazonaws.com"]
    error_message = "roles may be passed to ECS tasks and flow logs only"
  }

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s if s.Sid == "KeepStateBucket"]).Resource == "arn:aws:s3:::s3json-tfstate-123456789012-eu-west-1"
    error_message = "the state bucket's default name must match global/backend's"
  }

  assert {
    condition     = output.github_variables.AWS_DEPLOY_ROLE_ARN == aws_iam_role.deploy.arn
    error_message = "github_variables must name the deploy role"
  }
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

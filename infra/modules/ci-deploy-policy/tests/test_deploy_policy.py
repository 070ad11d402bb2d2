"""Issue 12 item 7: the CI deploy roles cannot escalate or cross environments.

The deploy policies (modules/ci-deploy-policy, rendered by `terraform
console`: the module is pure, no provider or credentials) are evaluated
request by request with the emulator's IAM evaluator
(tests/emulator/iam_policy.py), against real resource ARNs and request
contexts (region, tags, permissions boundary, passed-to service). moto
itself checks EC2, ELB, ECS, CloudWatch... against `*`, so an apply against
it could not show these denials; this test does, statement by statement.

Evaluation as IAM does for one identity policy: an explicit Deny wins,
otherwise an Allow is needed.

Run: PYTHONPATH=tests python3 -m unittest infra/modules/ci-deploy-policy/tests/test_deploy_policy.py -v
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
MODULE = os.path.dirname(HERE)
REPO = os.path.abspath(os.path.join(MODULE, "..", "..", ".."))

from emulator import iam_policy

ACCT = "123456789012"
REGION = "eu-west-1"
STATE = "arn:aws:s3:::s3json-tfstate-123456789012-eu-west-1"
PROTECTED = [
    f"arn:aws:iam::{ACCT}:role/s3json-ci-*",
    f"arn:aws:iam::{ACCT}:oidc-provider/token.actions.githubusercontent.com",
    f"arn:aws:iam::{ACCT}:policy/s3json-*-workload-boundary",
]


def render(environment: str, push_image: bool) -> dict[str, dict]:
    """-> {"deploy": policy, "boundary": policy} from the module via terraform console."""
    tfvars = {
        "account_id": ACCT,
        "region": REGION,
        "environment": environment,
        "state_bucket_arn": STATE,
        "repository_arn": f"arn:aws:ecr:{REGION}:{ACCT}:repository/s3json",
        "push_image": push_image,
        "protected_arns": PROTECTED,
    }
    with tempfile.TemporaryDirectory() as tmp:
        varfile = os.path.join(tmp, "t.tfvars.json")
        with open(varfile, "w") as f:
            json.dump(tfvars, f)
        env = dict(os.environ, TF_DATA_DIR=os.path.join(tmp, "data"), TF_IN_AUTOMATION="1", TF_INPUT="0")
        subprocess.run(["terraform", f"-chdir={MODULE}", "init", "-backend=false", "-no-color"],
                       env=env, check=True, capture_output=True, timeout=120)
        out = subprocess.run(
            ["terraform", f"-chdir={MODULE}", "console", f"-var-file={varfile}"],
            input='jsonencode({deploy = local.deploy_policy, boundary = local.boundary_policy})\n',
            env=env, check=True, capture_output=True, text=True, timeout=120,
        ).stdout
    return json.loads(json.loads(out.strip()))


def decide(policy: dict, action: str, resource: str, ctx: dict[str, str | list[str]]) -> str:
    """"Allow" or "Deny" (explicit or implicit) for one request."""
    context = {"aws:requestedregion": [REGION]}
    for k, v in ctx.items():
        context[k.lower()] = v if isinstance(v, list) else [v]
    allowed = False
    for stmt in policy["Statement"]:
        effect = iam_policy.evaluate_statement(stmt, action, resource, None, context, check_principal=False)
        if effect == "Deny":
            return "Deny"
        allowed = allowed or effect == "Allow"
    return "Allow" if allowed else "Deny"


@unittest.skipUnless(shutil.which("terraform"), "terraform not on PATH")
class DeployPolicy(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.staging = render("staging", True)
        cls.prod = render("prod", False)

    def assertDecision(self, expected: str, role: str, action: str, resource: str, **ctx: str | list[str]) -> None:
        policy = (self.staging if role == "staging" else self.prod)["deploy"]
        got = decide(policy, action, resource, {k.replace("__", "/").replace("_", ":", 1): v for k, v in ctx.items()})
        self.assertEqual(expected, got, f"{role}: {action} on {resource} {ctx}")

    # -- environments do not cross (tags) --------------------------------------

    def test_load_balancer_delete_scoped_to_own_environment(self) -> None:
        lb = f"arn:aws:elasticloadbalancing:{REGION}:{ACCT}:loadbalancer/app/s3json-prod/0123456789abcdef"
        self.assertDecision("Deny", "staging", "elasticloadbalancing:DeleteLoadBalancer", lb, aws_ResourceTag__Environment="prod")
        self.assertDecision("Deny", "staging", "elasticloadbalancing:DeleteLoadBalancer", lb)
        self.assertDecision("Allow", "prod", "elasticloadbalancing:DeleteLoadBalancer", lb, aws_ResourceTag__Environment="prod")
        stg = lb.replace("s3json-prod", "s3json-staging")
        self.assertDecision("Allow", "staging", "elasticloadbalancing:DeleteLoadBalancer", stg, aws_ResourceTag__Environment="staging")

    def test_ec2_and_ecs_changes_scoped_to_own_environment(self) -> None:
        vpc = f"arn:aws:ec2:{REGION}:{ACCT}:vpc/vpc-0123456789abcdef0"
        self.assertDecision("Deny", "staging", "ec2:DeleteVpc", vpc, aws_ResourceTag__Environment="prod")
        self.assertDecision("Allow", "staging", "ec2:DeleteVpc", vpc, aws_ResourceTag__Environment="staging")
        sg = f"arn:aws:ec2:{REGION}:{ACCT}:security-group/sg-0123456789abcdef0"
        self.assertDecision("Deny", "staging", "ec2:AuthorizeSecurityGroupIngress", sg, aws_ResourceTag__Environment="prod")
        svc = f"arn:aws:ecs:{REGION}:{ACCT}:service/s3json-prod/s3json-prod"
        self.assertDecision("Deny", "staging", "ecs:UpdateService", svc, aws_ResourceTag__Environment="prod")
        self.assertDecision("Deny", "staging", "ecs:DeleteService", svc, aws_ResourceTag__Environment="prod")

    def test_creates_need_the_environment_tag_and_region(self) -> None:
        self.assertDecision("Allow", "staging", "elasticloadbalancing:CreateLoadBalancer", "*", aws_RequestTag__Environment="staging")
        self.assertDecision("Deny", "staging", "elasticloadbalancing:CreateLoadBalancer", "*", aws_RequestTag__Environment="prod")
        self.assertDecision("Deny", "staging", "elasticloadbalancing:CreateLoadBalancer", "*")
        self.assertDecision("Deny", "staging", "ec2:CreateVpc", "*", aws_RequestTag__Environment="staging", aws_RequestedRegion="eu-central-1")
        # Tags only as part of a create call: no retagging prod as staging.
        self.assertDecision("Deny", "staging", "ec2:CreateTags", "*", aws_RequestTag__Environment="staging")
        self.assertDecision("Allow", "staging", "ec2:CreateTags", "*", aws_RequestTag__Environment="staging", ec2_CreateAction="CreateVpc")

    def test_untagged_security_group_may_be_claimed(self) -> None:
        # A VPC's default security group is created untagged; the network
        # module tags it when it adopts it (found by tests/e2e/ci-role-e2e.sh).
        sg = f"arn:aws:ec2:{REGION}:{ACCT}:security-group/sg-0123456789abcdef0"
        self.assertDecision("Allow", "staging", "ec2:CreateTags", sg, aws_RequestTag__Environment="staging")
        self.assertDecision("Deny", "staging", "ec2:CreateTags", sg, aws_RequestTag__Environment="staging",
                            aws_ResourceTag__Environment="prod")  # fmt: skip
        self.assertDecision("Deny", "staging", "ec2:CreateTags", sg, aws_RequestTag__Environment="prod")
        vpc = f"arn:aws:ec2:{REGION}:{ACCT}:vpc/vpc-0123456789abcdef0"
        self.assertDecision("Deny", "staging", "ec2:CreateTags", vpc, aws_RequestTag__Environment="staging")

    def test_named_resources_of_the_other_environment(self) -> None:
        self.assertDecision("Deny", "staging", "s3:PutObject", f"{STATE}/environments/prod/terraform.tfstate")
        self.assertDecision("Allow", "staging", "s3:PutObject", f"{STATE}/environments/staging/terraform.tfstate")
        self.assertDecision("Deny", "prod", "s3:PutObject", f"{STATE}/global/ecr/terraform.tfstate")
        self.assertDecision("Deny", "staging", "s3:DeleteBucket", "arn:aws:s3:::s3json-prod-documents-20240101")
        self.assertDecision("Deny", "staging", "logs:DeleteLogGroup", f"arn:aws:logs:{REGION}:{ACCT}:log-group:/ecs/s3json-prod")
        self.assertDecision("Deny", "staging", "cloudwatch:DeleteAlarms", f"arn:aws:cloudwatch:{REGION}:{ACCT}:alarm:s3json-prod-5xx-rate")
        self.assertDecision("Deny", "staging", "sns:DeleteTopic", f"arn:aws:sns:{REGION}:{ACCT}:s3json-prod-alarms")

    def test_key_aliases_by_name_and_key_tag(self) -> None:
        # AWS authorizes an alias request on the alias (no tags: by name) and
        # on its key (by tag); found by applying staging as the role.
        alias = f"arn:aws:kms:{REGION}:{ACCT}:alias/s3json-staging-alarms"
        key = f"arn:aws:kms:{REGION}:{ACCT}:key/0123abcd-0000-0000-0000-000000000000"
        for action in ("kms:CreateAlias", "kms:DeleteAlias"):
            self.assertDecision("Allow", "staging", action, alias)
            self.assertDecision("Deny", "staging", action, alias.replace("staging", "prod"))
            self.assertDecision("Allow", "staging", action, key, aws_ResourceTag__Environment="staging")
            self.assertDecision("Deny", "staging", action, key, aws_ResourceTag__Environment="prod")

    def test_target_tracking_alarms_allowed_for_own_service(self) -> None:
        own = f"arn:aws:cloudwatch:{REGION}:{ACCT}:alarm:TargetTracking-service/s3json-staging/s3json-staging-AlarmHigh-1a2b"
        self.assertDecision("Allow", "staging", "cloudwatch:PutMetricAlarm", own)
        self.assertDecision("Allow", "staging", "cloudwatch:DeleteAlarms", own)
        self.assertDecision("Deny", "staging", "cloudwatch:PutMetricAlarm", own.replace("s3json-staging", "s3json-prod"))

    # -- no escalation (boundary) ---------------------------------------------

    def test_create_role_only_with_own_boundary(self) -> None:
        role = f"arn:aws:iam::{ACCT}:role/s3json-staging-task"
        own = f"arn:aws:iam::{ACCT}:policy/s3json-staging-workload-boundary"
        other = f"arn:aws:iam::{ACCT}:policy/s3json-prod-workload-boundary"
        self.assertDecision("Deny", "staging", "iam:CreateRole", role)
        self.assertDecision("Deny", "staging", "iam:CreateRole", role, iam_PermissionsBoundary=other)
        self.assertDecision("Deny", "staging", "iam:CreateRole", role, iam_PermissionsBoundary="arn:aws:iam::aws:policy/AdministratorAccess")
        self.assertDecision("Allow", "staging", "iam:CreateRole", role, iam_PermissionsBoundary=own)
        self.assertDecision("Deny", "staging", "iam:CreateRole", f"arn:aws:iam::{ACCT}:role/s3json-prod-task", iam_PermissionsBoundary=other)
        self.assertDecision("Deny", "staging", "iam:CreateRole", f"arn:aws:iam::{ACCT}:role/admin", iam_PermissionsBoundary=own)

    def test_role_policies_only_on_bounded_roles(self) -> None:
        role = f"arn:aws:iam::{ACCT}:role/s3json-staging-task"
        own = f"arn:aws:iam::{ACCT}:policy/s3json-staging-workload-boundary"
        self.assertDecision("Deny", "staging", "iam:PutRolePolicy", role)
        self.assertDecision("Allow", "staging", "iam:PutRolePolicy", role, iam_PermissionsBoundary=own)
        self.assertDecision("Deny", "staging", "iam:AttachRolePolicy", role, iam_PermissionsBoundary=own)

    def test_boundary_cannot_be_removed_or_edited(self) -> None:
        role = f"arn:aws:iam::{ACCT}:role/s3json-staging-task"
        boundary = f"arn:aws:iam::{ACCT}:policy/s3json-staging-workload-boundary"
        self.assertDecision("Deny", "staging", "iam:DeleteRolePermissionsBoundary", role)
        self.assertDecision("Deny", "staging", "iam:PutRolePermissionsBoundary", role, iam_PermissionsBoundary="arn:aws:iam::aws:policy/AdministratorAccess")
        for action in ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy"):
            self.assertDecision("Deny", "staging", action, boundary)

    def test_pass_role_only_own_roles_to_tasks(self) -> None:
        self.assertDecision("Allow", "staging", "iam:PassRole", f"arn:aws:iam::{ACCT}:role/s3json-staging-task", iam_PassedToService="ecs-tasks.amazonaws.com")
        self.assertDecision("Deny", "staging", "iam:PassRole", f"arn:aws:iam::{ACCT}:role/s3json-prod-task", iam_PassedToService="ecs-tasks.amazonaws.com")
        self.assertDecision("Deny", "staging", "iam:PassRole", f"arn:aws:iam::{ACCT}:role/s3json-staging-task", iam_PassedToService="lambda.amazonaws.com")

    def test_ci_roles_and_oidc_provider_untouchable(self) -> None:
        for role in ("staging", "prod"):
            self.assertDecision("Deny", role, "iam:UpdateAssumeRolePolicy", f"arn:aws:iam::{ACCT}:role/s3json-ci-deploy-prod")
            self.assertDecision("Deny", role, "iam:PutRolePolicy", f"arn:aws:iam::{ACCT}:role/s3json-ci-deploy-staging",
                                iam_PermissionsBoundary=f"arn:aws:iam::{ACCT}:policy/s3json-{role}-workload-boundary")
            self.assertDecision("Deny", role, "iam:UpdateOpenIDConnectProviderThumbprint",
                                f"arn:aws:iam::{ACCT}:oidc-provider/token.actions.githubusercontent.com")

    def test_only_staging_publishes_images(self) -> None:
        repo = f"arn:aws:ecr:{REGION}:{ACCT}:repository/s3json"
        self.assertDecision("Allow", "staging", "ecr:PutImage", repo)
        self.assertDecision("Deny", "prod", "ecr:PutImage", repo)
        self.assertDecision("Allow", "prod", "ecr:BatchGetImage", repo)

    # -- the boundary caps what a created role can ever do ---------------------

    def test_boundary_caps_workload_roles(self) -> None:
        b = self.staging["boundary"]
        self.assertEqual("Allow", decide(b, "s3:GetObject", "arn:aws:s3:::s3json-staging-documents-2024/foo.json", {}))
        self.assertEqual("Deny", decide(b, "s3:GetObject", "arn:aws:s3:::s3json-prod-documents-2024/foo.json", {}))
        self.assertEqual("Deny", decide(b, "s3:PutObject", "arn:aws:s3:::s3json-staging-documents-2024/foo.json", {}))
        self.assertEqual("Deny", decide(b, "iam:CreateRole", f"arn:aws:iam::{ACCT}:role/x", {}))
        self.assertEqual("Deny", decide(b, "s3:GetObject", f"{STATE}/environments/prod/terraform.tfstate", {}))


if __name__ == "__main__":
    unittest.main()

"""What a request to ELB, ECS, CloudWatch Logs, CloudWatch, SNS, Application
Auto Scaling, WAFv2 or KMS asks IAM to authorize (issue 12 item 7).

moto checks these services' actions against Resource `*` with no
service-specific condition key, so a policy that scopes them by name
(`log-group:/ecs/s3json-staging*`), by aws:RequestTag on create or by
aws:ResourceTag on change -- infra/modules/ci-deploy-policy -- is decided by
the missing ARN and keys: every scoped Allow fails. `describe` derives from
the request's own parameters what AWS evaluates:

  * resources: the ARNs the request names (each must be allowed; `*` when it
    names none, e.g. Describe*, or a resource that does not exist yet and is
    scoped by aws:RequestTag instead);
  * keys: aws:RequestTag/<k> and aws:TagKeys from the request's tags;
    resource_keys: aws:ResourceTag/<k> of each named resource, for the
    check on that resource (no resource lends its tag to another);
  * passed roles: (role ARN, service) pairs the request hands to a service
    (ECS task and execution roles, VPC flow log delivery role), each
    authorized as iam:PassRole with iam:PassedToService.

Pure: the tags of existing resources come from the `tags_of(arn)` callback
(patches.py reads them from moto's backends). Unit-tested in test_emu.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

TagsOf = Callable[[str], "dict[str, str] | None"]

# SigV4 signing name -> IAM service prefix (CloudWatch signs as "monitoring").
IAM_PREFIX = {"monitoring": "cloudwatch"}
SERVICES = ("elasticloadbalancing", "ecs", "logs", "cloudwatch", "sns", "application-autoscaling", "wafv2", "kms")


@dataclass
class Request:
    """What one request asks IAM to allow."""

    resources: list[str] = field(default_factory=lambda: ["*"])
    keys: dict[str, list[str]] = field(default_factory=dict)
    # aws:ResourceTag/<k> per resource: AWS evaluates each named resource
    # with its own tags (an alias has none, its key has the key's)
    resource_keys: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    passed_roles: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _Where:
    region: str
    account: str

    def arn(self, service: str, rest: str, regional: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if regional else ''}:{self.account}:{rest}"


# -- request tags ------------------------------------------------------------


def _query_tags(params: dict[str, Any]) -> dict[str, str]:
    """Tags.member.N.Key/Value (ELB, CloudWatch, SNS query protocol)."""
    out = {}
    for name, key in params.items():
        m = re.fullmatch(r"Tags\.member\.(\d+)\.Key", name)
        if m:
            out[str(key)] = str(params.get(f"Tags.member.{m.group(1)}.Value", ""))
    return out


def _json_tags(value: Any) -> dict[str, str]:
    """A tag list [{key|Key|TagKey, value|Value|TagValue}] or a tag map."""
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    out = {}
    for t in value if isinstance(value, list) else []:
        if isinstance(t, dict):
            k = t.get("key", t.get("Key", t.get("TagKey")))
            v = t.get("value", t.get("Value", t.get("TagValue", "")))
            if k is not None:
                out[str(k)] = str(v)
    return out


def _request_tag_keys(tags: dict[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"aws:requesttag/" + k.lower(): [v] for k, v in tags.items()}
    if tags:
        out["aws:tagkeys"] = list(tags)
    return out


def _resource_tag_keys(arn: str, tags_of: TagsOf) -> dict[str, list[str]]:
    """aws:ResourceTag/<k> of one resource (one that does not exist has none)."""
    return {"aws:resourcetag/" + k.lower(): [v] for k, v in (tags_of(arn) or {}).items()}


# -- per service: the ARNs a request names ---------------------------------


def _members(params: dict[str, Any], name: str) -> list[str]:
    """Name.member.N (query) or Name: [...] / Name: "..." (JSON)."""
    v = params.get(name)
    if isinstance(v, list):
        return [str(x) for x in v]
    if isinstance(v, str):
        return [v]
    return [str(params[k]) for k in sorted(params) if re.fullmatch(re.escape(name) + r"\.member\.\d+", k)]


def _elb(action: str, p: dict[str, Any], w: _Where) -> tuple[list[str], dict[str, str]]:
    arns = [str(p[k]) for k in ("LoadBalancerArn", "TargetGroupArn", "ListenerArn", "RuleArn") if p.get(k)]
    arns += _members(p, "ResourceArns")
    return arns, _query_tags(p)


def _ecs_cluster(w: _Where, c: str) -> str:
    return c if c.startswith("arn:") else w.arn("ecs", f"cluster/{c}")


def _ecs_task_definition(w: _Where, t: str) -> str:
    return t if t.startswith("arn:") else w.arn("ecs", f"task-definition/{t}")


def _ecs(action: str, p: dict[str, Any], w: _Where) -> tuple[list[str], dict[str, str]]:
    cluster = str(p.get("cluster") or "default")
    arns = []
    if p.get("service"):
        s = str(p["service"])
        name = cluster.rsplit("/", 1)[-1]
        arns.append(s if s.startswith("arn:") else w.arn("ecs", f"service/{name}/{s}"))
    elif p.get("cluster") or action in ("DeleteCluster", "UpdateCluster", "PutClusterCapacityProviders"):
        arns.append(_ecs_cluster(w, cluster))
    if action == "CreateCluster" and p.get("clusterName"):
        arns = []  # the new cluster: scoped by aws:RequestTag
    if p.get("taskDefinition"):
        arns.append(_ecs_task_definition(w, str(p["taskDefinition"])))
    arns += [_ecs_task_definition(w, t) for t in _members(p, "taskDefinitions")]
    if p.get("resourceArn"):
        arns.append(str(p["resourceArn"]))
    if action == "CreateService":
        arns = [a for a in arns if ":service/" not in a]  # the new service
    return arns, _json_tags(p.get("tags"))


def _logs(action: str, p: dict[str, Any], w: _Where) -> tuple[list[str], dict[str, str]]:
    arns = [w.arn("logs", f"log-group:{p['logGroupName']}")] if p.get("logGroupName") else []
    if p.get("resourceArn"):
        arns.append(re.sub(r":\*$", "", str(p["resourceArn"])))
    return arns, _json_tags(p.get("tags"))


def _cloudwatch(action: str, p: dict[str, Any], w: _Where) -> tuple[list[str], dict[str, str]]:
    arns = [w.arn("cloudwatch", f"alarm:{n}") for n in _members(p, "AlarmName") + _members(p, "AlarmNames")]
    arns += [w.arn("cloudwatch", f"dashboard/{n}", False) for n in _members(p, "DashboardName") + _members(p, "DashboardNames")]
    arns += _members(p, "ResourceARN")
    tags = _query_tags(p) or _json_tags(p.get("Tags"))
    return arns, tags


def _sns(action: str, p: dict[str, Any], w: _Where) -> tuple[list[str], dict[str, str]]:
    arns = [w.arn("sns", str(p["Name"]))] if action == "CreateTopic" and p.get("Name") else []
    arns += [str(p[k]) for k in ("TopicArn", "ResourceArn") if p.get(k)]
    sub = str(p.get("SubscriptionArn") or "")
    if sub.startswith("arn:") and sub.count(":") >= 6:
        arns.append(sub.rsplit(":", 1)[0])  # a subscription is authorized on its topic
    return arns, _query_tags(p)


def _autoscaling(action: str, p: dict[str, Any], w: _Where, target_arn: Callable[[str, str, str], str | None]) -> tuple[list[str], dict[str, str]]:
    arns = [str(p["ResourceARN"])] if p.get("ResourceARN") else []
    if p.get("ResourceId") and p.get("ServiceNamespace"):
        t = target_arn(str(p["ServiceNamespace"]), str(p["ResourceId"]), str(p.get("ScalableDimension") or ""))
        if t:
            arns.append(t)
    return arns, _json_tags(p.get("Tags"))


def _wafv2(action: str, p: dict[str, Any], w: _Where) -> tuple[list[str], dict[str, str]]:
    arns = [str(p[k]) for k in ("ResourceARN", "WebACLArn") if p.get(k)]
    if action in ("UpdateWebACL", "DeleteWebACL", "GetWebACL") and p.get("Name") and p.get("Id"):
        scope = "global" if p.get("Scope") == "CLOUDFRONT" else "regional"
        arns.append(w.arn("wafv2", f"{scope}/webacl/{p['Name']}/{p['Id']}"))
    lc = p.get("LoggingConfiguration")
    if isinstance(lc, dict) and lc.get("ResourceArn"):
        arns.append(str(lc["ResourceArn"]))
    return arns, _json_tags(p.get("Tags"))


def _kms(action: str, p: dict[str, Any], w: _Where, key_arn: Callable[[str], str | None]) -> tuple[list[str], dict[str, str]]:
    arns = []
    alias = str(p.get("AliasName") or "")
    if alias.startswith("alias/"):
        # CreateAlias, UpdateAlias, DeleteAlias: the alias and its key
        arns.append(w.arn("kms", alias))
        if action == "DeleteAlias" and key_arn(alias):
            arns.append(str(key_arn(alias)))
    for k in ("KeyId", "TargetKeyId"):
        if p.get(k):
            arns.append(key_arn(str(p[k])) or w.arn("kms", f"key/{p[k]}"))
    return arns, _json_tags(p.get("Tags"))


# -- passed roles ------------------------------------------------------------


def passed_roles(service: str, action: str, p: dict[str, Any]) -> list[tuple[str, str]]:
    """Roles a request hands to a service (authorized as iam:PassRole)."""
    if service == "ecs" and action == "RegisterTaskDefinition":
        return [(str(p[k]), "ecs-tasks.amazonaws.com") for k in ("taskRoleArn", "executionRoleArn") if p.get(k)]
    if service == "ec2" and action == "CreateFlowLogs" and p.get("DeliverLogsPermissionArn"):
        return [(str(p["DeliverLogsPermissionArn"]), "vpc-flow-logs.amazonaws.com")]
    return []


def describe(
    service: str,
    action: str,
    params: dict[str, Any],
    region: str,
    account: str,
    tags_of: TagsOf,
    target_arn: Callable[[str, str, str], str | None] = lambda *_: None,
    key_arn: Callable[[str], str | None] = lambda _k: None,
) -> Request | None:
    """The request's resources, condition keys and passed roles; None for a
    service this module does not model (moto's check stands)."""
    service = IAM_PREFIX.get(service, service)
    w = _Where(region, account)
    if service == "elasticloadbalancing":
        arns, tags = _elb(action, params, w)
    elif service == "ecs":
        arns, tags = _ecs(action, params, w)
    elif service == "logs":
        arns, tags = _logs(action, params, w)
    elif service == "cloudwatch":
        arns, tags = _cloudwatch(action, params, w)
    elif service == "sns":
        arns, tags = _sns(action, params, w)
    elif service == "application-autoscaling":
        arns, tags = _autoscaling(action, params, w, target_arn)
    elif service == "wafv2":
        arns, tags = _wafv2(action, params, w)
    elif service == "kms":
        arns, tags = _kms(action, params, w, key_arn)
    else:
        return None
    arns = list(dict.fromkeys(arns))
    return Request(
        resources=arns or ["*"],
        keys=_request_tag_keys(tags),
        resource_keys={a: _resource_tag_keys(a, tags_of) for a in arns},
        passed_roles=passed_roles(service, action, params),
    )

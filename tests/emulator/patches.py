"""Small, documented corrections to moto 5.2 for a strict emulator.

Each patch names the moto defect it works around, so that it can be dropped
once moto fixes it.  Nothing in site-packages is edited: we replace single
functions/methods at import time (apply() is idempotent).

Request context: the WSGI middleware ``ContextMiddleware`` records, per request
thread, what moto throws away: the raw request target (path and query exactly
as received), the scheme (http/https, for aws:SecureTransport), the peer
address (aws:SourceIp) and the raw headers.  The patches read it through
``current()``; when it is absent (moto used in-process without our server) they
fall back to moto's own behaviour.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import io
import logging
import re
import threading
from typing import Any

from emulator import sigv4

log = logging.getLogger("emu.patches")

_tls = threading.local()


class RequestContext:
    __slots__ = (
        "scheme", "raw_path", "raw_query", "remote_addr", "headers", "method", "principal", "body",
        "extra_keys", "resource",
    )  # fmt: skip

    def __init__(self, environ: dict[str, Any]):
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
        if raw.startswith(("http://", "https://")):
            # absolute-form request target: keep only path?query
            rest = raw.split("://", 1)[1]
            raw = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
        path, _, query = raw.partition("?")
        # werkzeug hands us the latin-1 "WSGI dance" of the bytes on the wire
        self.raw_path = path.encode("latin-1", "replace").decode("utf-8", "replace")
        self.raw_query = query.encode("latin-1", "replace").decode("utf-8", "replace")
        self.scheme = environ.get("wsgi.url_scheme", "http")
        self.remote_addr = environ.get("REMOTE_ADDR", "")
        self.method = environ.get("REQUEST_METHOD", "GET")
        headers: dict[str, list[str]] = {}
        for k, v in environ.items():
            if k.startswith("HTTP_"):
                name = k[5:].replace("_", "-").lower()
            elif k in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                name = k.replace("_", "-").lower()
            else:
                continue
            if not isinstance(v, str):
                continue
            v = v.encode("latin-1", "replace").decode("utf-8", "replace")
            headers.setdefault(name, []).append(v)
        self.headers = headers
        self.principal: str | None = None
        # condition keys of the check in progress (Patch 13b: service_auth)
        self.extra_keys: dict[str, list[str]] = {}
        self.resource: str | None = None  # the ARN an action was checked on (Patch 10)
        # The body as received.  moto's `raw_body` is empty for form-encoded
        # (query protocol) requests because Flask has already parsed the form,
        # so SigV4 payload hashing needs its own copy.
        self.body = b""
        stream = environ.get("wsgi.input")
        length = environ.get("CONTENT_LENGTH")
        if stream is not None and length and length.isdigit() and int(length) > 0:
            self.body = _read_exactly(stream, int(length))
            environ["wsgi.input"] = io.BytesIO(self.body)
        elif stream is not None and environ.get("wsgi.input_terminated"):
            self.body = stream.read()
            environ["wsgi.input"] = io.BytesIO(self.body)

    def header(self, name: str) -> str | None:
        v = self.headers.get(name.lower())
        return ",".join(v) if v else None


def _read_exactly(stream: Any, n: int) -> bytes:
    chunks = []
    while n > 0:
        chunk = stream.read(min(n, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def current() -> RequestContext | None:
    return getattr(_tls, "ctx", None)


# The last DynamoDB requests served, oldest first: (operation, JSON body,
# HTTP status).  Tests count reads and inspect what a client asked for (e.g.
# that a revalidation projects sha256 and never transfers `body`).
DDB_LOG: Any = None
DDB_LOG_MAX = 20000


def _log_dynamodb(environ: dict[str, Any], body: bytes, status: str) -> None:
    import collections
    import json

    global DDB_LOG
    target = environ.get("HTTP_X_AMZ_TARGET") or ""
    if not target.startswith("DynamoDB_"):
        return
    if DDB_LOG is None:
        DDB_LOG = collections.deque(maxlen=DDB_LOG_MAX)
    try:
        doc = json.loads(body or b"{}")
    except ValueError:
        doc = {}
    DDB_LOG.append((target.split(".", 1)[-1], doc, int(status.split(" ", 1)[0])))


def _tls_body(environ: dict[str, Any]) -> bytes:
    return environ.get("emu.body", b"")


class ContextMiddleware:
    """WSGI wrapper: publish the RequestContext for the duration of the app call."""

    def __init__(self, app: Any):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        _tls.ctx = RequestContext(environ)
        environ["emu.body"] = _tls.ctx.body
        seen: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen[:] = [status, headers, exc_info]
            return lambda data: None  # moto never uses the legacy write() callable

        try:
            result = self.app(environ, capture)
        finally:
            _tls.ctx = None
        status, headers, exc_info = seen
        _log_dynamodb(environ, _tls_body(environ), status)
        if (environ.get("HTTP_X_AMZ_TARGET") or "").startswith("DynamoDB_") and not status.startswith("2"):
            # Patch 10: moto's auth errors leave werkzeug's text/html type on a JSON body
            headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
            headers.append(("Content-Type", "application/x-amz-json-1.0"))
        if status.startswith("403") and environ.get("REQUEST_METHOD") != "HEAD":
            # Patch 5 (below): give an empty S3 403 its AccessDenied body
            body = b"".join(result)
            if hasattr(result, "close"):
                result.close()
            if not body.strip():
                body = _ACCESS_DENIED_XML
                headers = [(k, v) for k, v in headers if k.lower() not in ("content-type", "content-length")]
                headers += [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))]
            start_response(status, headers, exc_info)
            return [body]
        start_response(status, headers, exc_info)
        return result


# --------------------------------------------------------------------------
# Patch 1: SigV4 verification over the request as received.
#
# moto bug: IAMRequestBase._calculate_signature rebuilds the request from
# `self.uri`, which the server has already percent-decoded, and then lets
# botocore sign that decoded URL.  Any correctly signed request whose path or
# query holds an escaped character other than %20 (`prefix=dir%2F`, `%2B`,
# non-ASCII keys) is rejected with SignatureDoesNotMatch, and conversely a
# request signed over one encoding but sent with another can slip through.
# We recompute the canonical request from the raw path and query (see
# sigv4.py), keep moto's credential lookup (wrong secret / unknown key /
# wrong or missing session token are still rejected by moto), and add the
# checks real AWS makes that moto skips: every signed header must be present,
# S3 requires x-amz-content-sha256 and verifies it against the body, and the
# request time must be within 15 minutes.
# --------------------------------------------------------------------------

MAX_SKEW = _dt.timedelta(minutes=15)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _s3_error(code: str, message: str, status: int) -> Exception:
    """An S3-shaped XML error with an explicit HTTP status.  (moto's
    ServiceException takes its status from the botocore error model, which
    has no entry for RequestTimeTooSkewed & co., so it would answer 400.)"""
    from werkzeug.exceptions import HTTPException
    from xml.sax.saxutils import escape

    class S3AuthError(HTTPException):
        def get_headers(self, *a: Any, **kw: Any) -> list[tuple[str, str]]:
            return [("Content-Type", "application/xml")]

        def get_body(self, *a: Any, **kw: Any) -> str:  # not werkzeug's HTML page
            return self.description or ""

    e = S3AuthError()
    e.code = status
    e.description = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
    )
    return e


def _check_signature(self: Any) -> None:
    ctx = current()
    if ctx is None:
        return _orig["check_signature"](self)
    auth = sigv4.parse_authorization(self._headers.get("Authorization", ""))
    if auth is None:
        self._raise_signature_does_not_match()
    service = auth["service"]
    amz_date = ctx.header("x-amz-date")
    if not amz_date:
        self._raise_signature_does_not_match()
    try:
        t = _dt.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=_dt.timezone.utc)
    except ValueError:
        self._raise_signature_does_not_match()
    now = _dt.datetime.now(_dt.timezone.utc)
    if abs(now - t) > MAX_SKEW:
        if service == "s3":
            raise _s3_error(
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
                403,
            )
        self._raise_signature_does_not_match()

    body = ctx.body
    content_sha = ctx.header("x-amz-content-sha256")
    if service == "s3":
        if not content_sha:
            raise _s3_error(
                "InvalidRequest",
                "Missing required header for this request: x-amz-content-sha256",
                400,
            )
        if _HEX64.match(content_sha) and hashlib.sha256(body).hexdigest() != content_sha:
            raise _s3_error(
                "XAmzContentSHA256Mismatch",
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
                400,
            )
        payload_hash = content_sha
    else:
        payload_hash = content_sha or hashlib.sha256(body).hexdigest()

    signed = auth["SignedHeaders"].split(";")
    if "host" not in signed:
        self._raise_signature_does_not_match()
    creq = sigv4.canonical_request(
        ctx.method, ctx.raw_path, ctx.raw_query, signed, ctx.headers, payload_hash, service
    )
    if creq is None:
        self._raise_signature_does_not_match()
    secret = self._access_key.create_credentials().secret_key
    expected = sigv4.signature(secret, amz_date, auth["region"], service, creq)
    if not hmac.compare_digest(expected, auth["Signature"]):
        log.info("SignatureDoesNotMatch; canonical request was:\n%s", creq)
        self._raise_signature_does_not_match()


# --------------------------------------------------------------------------
# Patch 2: unsigned requests.
#
# moto bug: with auth enforced, IAMRequestBase.__init__ indexes
# headers["Authorization"] unconditionally, so an anonymous request (or a
# presigned URL, which moto's auth path does not understand) is a 500 with an
# HTML traceback.  AWS answers 403: AccessDenied (S3) or
# MissingAuthenticationToken.  Presigned URLs are not supported here: they
# are refused with 403 as well.
# --------------------------------------------------------------------------


def _authenticate_and_authorize_action(self: Any, iam_request_cls: type, resource: str = "*") -> None:
    from moto import settings as ms
    from moto.core.authorization import ActionAuthenticatorMixin

    enforced = ActionAuthenticatorMixin.request_count >= ms.INITIAL_NO_AUTH_ACTION_COUNT
    if enforced and current() is not None and "Authorization" not in self.headers:
        form = _form(current().body)
        if form.get("Action") == "AssumeRoleWithWebIdentity":
            return _authorize_web_identity(form)  # unsigned in AWS too (Patch 3c)
        if self.headers.get("X-Amz-Target") in ActionAuthenticatorMixin.PUBLIC_OPERATIONS:
            return
        from moto.iam.access_control import S3IAMRequest

        if (self.headers.get("X-Amz-Target") or "").startswith("DynamoDB_"):
            raise _ddb_unsigned()  # Patch 10
        if iam_request_cls is S3IAMRequest or issubclass(iam_request_cls, S3IAMRequest):
            from moto.s3.exceptions import S3AccessDeniedError

            raise S3AccessDeniedError()
        from moto.core.exceptions import _RESTError

        class MissingAuthenticationToken(_RESTError):
            code = 403

        raise MissingAuthenticationToken(
            "MissingAuthenticationToken", "Request is missing Authentication Token"
        )
    return _orig["authenticate"](self, iam_request_cls, resource)


# --------------------------------------------------------------------------
# Patch 3: IAM policy evaluation (identity, bucket and trust policies).
#
# moto bugs (see iam_policy.py for the list): only StringEquals is evaluated,
# every other operator "matches"; a non-matching Allow condition becomes an
# explicit Deny; patterns are regexes; account-root principals never match.
# We replace IAMPolicyStatement.is_action_permitted with iam_policy's
# evaluator, fed with a request context built from what the client actually
# sent: aws:SecureTransport from the scheme, aws:SourceIp, aws:CurrentTime,
# aws:EpochTime, aws:UserAgent, aws:Referer, aws:RequestedRegion,
# aws:PrincipalArn/Account/Type, aws:username, aws:userid, and for S3
# s3:prefix / s3:delimiter / s3:max-keys (from the query) and s3:x-amz-*
# (from the headers), plus moto's own keys (sts:ExternalId).
#
# moto also evaluates a bucket policy only for object requests (and with a
# made-up s3:HeadObject action); we additionally apply the bucket policy's
# explicit Deny to every S3 request on that bucket, with the IAM action name.
# --------------------------------------------------------------------------


def _resolve_principal(access_key_id: str) -> str | None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    for user in list(iam_backends[DEFAULT_ACCOUNT_ID]["aws"].users.values()):
        for k in user.access_keys:
            if k.access_key_id == access_key_id:
                return user.arn
    try:
        for role in sts_backends[DEFAULT_ACCOUNT_ID]["aws"].assumed_roles:
            if role.access_key_id == access_key_id:
                return role.arn
    except Exception:
        pass
    return None


def _principal_keys(arn: str) -> dict[str, list[str]]:
    import re as _re

    out = {"aws:principalarn": [arn]}
    parts = arn.split(":")
    if len(parts) > 5:
        out["aws:principalaccount"] = [parts[4]]
    m = _re.fullmatch(r"arn:([^:]+):sts::(\d+):assumed-role/([^/]+)/(.*)", arn)
    if m:
        out["aws:principalarn"] = [f"arn:{m.group(1)}:iam::{m.group(2)}:role/{m.group(3)}"]
        out["aws:principaltype"] = ["AssumedRole"]
        out["aws:userid"] = [f"{m.group(3)}:{m.group(4)}"]
    elif ":user/" in arn:
        out["aws:principaltype"] = ["User"]
        out["aws:username"] = [arn.rsplit("/", 1)[1]]
    elif arn.endswith(":root"):
        out["aws:principaltype"] = ["Account"]
    return out


def request_condition_context(
    incoming: dict[str, Any] | None = None, principal: str | None = None
) -> tuple[dict[str, list[str]], str | None]:
    """-> (condition context, caller principal ARN or None when anonymous)"""
    from urllib.parse import unquote

    c: dict[str, list[str]] = {}
    now = _dt.datetime.now(_dt.timezone.utc)
    c["aws:currenttime"] = [now.strftime("%Y-%m-%dT%H:%M:%SZ")]
    c["aws:epochtime"] = [str(int(now.timestamp()))]
    ctx = current()
    if ctx is not None:
        c["aws:securetransport"] = ["true" if ctx.scheme == "https" else "false"]
        if ctx.remote_addr:
            c["aws:sourceip"] = [ctx.remote_addr]
        for h, k in (("user-agent", "aws:useragent"), ("referer", "aws:referer")):
            if ctx.header(h):
                c[k] = [ctx.header(h)]
        auth = sigv4.parse_authorization(ctx.header("authorization") or "")
        if auth:
            c["aws:requestedregion"] = [auth["region"]]
            if principal is None:
                principal = ctx.principal or _resolve_principal(auth["access_key_id"])
                ctx.principal = principal
            if auth["service"] == "s3":
                c["s3:signatureversion"] = ["AWS4-HMAC-SHA256"]
                c["s3:authtype"] = ["REST-HEADER"]
                for name, vals in ctx.headers.items():
                    if name.startswith("x-amz-"):
                        c["s3:" + name] = list(vals)
                for pair in ctx.raw_query.split("&"):
                    name, eq, value = pair.partition("=")
                    name = unquote(name)
                    if name in ("prefix", "delimiter", "max-keys"):
                        c["s3:" + name] = [unquote(value)]
        if auth and auth["service"] in ("iam", "ec2"):
            c.update(request_parameter_keys(auth["service"], auth["region"], ctx.body))
        c.update(ctx.extra_keys)
    if principal:
        c.update(_principal_keys(principal))
    for k, v in (incoming or {}).items():
        c[k.lower()] = v if isinstance(v, list) else [v]
    return c, principal


# --------------------------------------------------------------------------
# Patch 3b: condition keys taken from the request's parameters (issue 12).
#
# moto's IAM check fills no service-specific condition key, so a policy that
# scopes by tag or permissions boundary is decided by a missing key: an Allow
# conditioned on aws:RequestTag / iam:PermissionsBoundary never matches, and
# a Deny on StringNotEquals always does. For the query-protocol requests the
# CI deploy role's policy scopes (infra/modules/ci-deploy-policy) we add:
#   * IAM: iam:PermissionsBoundary (CreateRole, PutRolePermissionsBoundary);
#   * EC2: aws:RequestTag/<k> and ec2:CreateAction from TagSpecification.N
#     (tag-on-create), aws:RequestTag/<k> from CreateTags' Tag.N, and
#     aws:ResourceTag/<k> of the VPCs, subnets, route tables, gateways,
#     addresses, endpoints, security groups and flow logs the request names
#     by id (the tags moto stores), as AWS evaluates DeleteSecurityGroup,
#     ModifyVpcAttribute & co.
# moto checks IAM and EC2 actions against Resource `*`: IAM requests naming
# a RoleName, PolicyArn or UserName are checked against that ARN instead
# (iam_resource_arn); EC2 requests naming one resource by id against its
# ARN (ec2_resource_arn). Tag conditions are what scope EC2 otherwise.
# --------------------------------------------------------------------------


def _form(body: bytes) -> dict[str, str]:
    from urllib.parse import parse_qsl

    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        return {}


def _ec2_resource_tags(region: str, resource_id: str) -> dict[str, str]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ec2.models import ec2_backends

    try:
        return dict(ec2_backends[DEFAULT_ACCOUNT_ID][region].tags.get(resource_id, {}))
    except KeyError:
        return {}


def iam_resource_arn(account_id: str, form: dict[str, str]) -> str:
    """The role or policy an IAM request names (moto checks IAM against `*`)."""
    if form.get("RoleName"):
        return f"arn:aws:iam::{account_id}:role/{form['RoleName']}"
    if form.get("PolicyArn"):
        return form["PolicyArn"]
    if form.get("UserName"):
        return f"arn:aws:iam::{account_id}:user/{form['UserName']}"
    return "*"


_EC2_ARN_TYPE = {
    "vpc": "vpc", "subnet": "subnet", "rtb": "route-table", "igw": "internet-gateway", "eipalloc": "elastic-ip",
    "nat": "natgateway", "vpce": "vpc-endpoint", "sg": "security-group", "fl": "vpc-flow-log",
}  # fmt: skip


def _route_table_association(region: str, assoc_id: str) -> list[str]:
    """[route table, subnet] of an association: AWS authorizes
    DisassociateRouteTable on those (the request names only the association)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ec2.models import ec2_backends

    try:
        tables = ec2_backends[DEFAULT_ACCOUNT_ID][region].route_tables
    except KeyError:
        return []
    for table in list(tables.values()):
        subnet = table._associations.get(assoc_id)
        if subnet is not None:
            return [table.id] + ([subnet] if _EC2_TAGGED_ID.match(subnet) else [])
    return []


def ec2_resource_arn(account_id: str, region: str, form: dict[str, str]) -> str:
    """The ARN of the one resource an EC2 request names by id (moto checks
    EC2 against `*`); `*` when it names none or several. A statement scoped
    to an ARN pattern then matches only that resource; `*` statements are
    unaffected."""
    ids = {v for n, v in form.items() if re.search(r"Id(\.\d+)?$", n) and _EC2_TAGGED_ID.match(v)}
    if len(ids) != 1 or not region:
        return "*"
    rid = ids.pop()
    return f"arn:aws:ec2:{region}:{account_id}:{_EC2_ARN_TYPE[rid.split('-', 1)[0]]}/{rid}"


def request_parameter_keys(service: str, region: str, body: bytes) -> dict[str, list[str]]:
    """Condition keys AWS derives from an IAM or EC2 query-protocol request."""
    form = _form(body)
    out: dict[str, list[str]] = {}
    if service == "iam":
        if form.get("PermissionsBoundary"):
            out["iam:permissionsboundary"] = [form["PermissionsBoundary"]]
        return out
    tag = re.compile(r"(?:TagSpecification\.\d+\.)?Tag\.(\d+)\.Key$")
    for name, key in form.items():
        m = tag.match(name)
        if m:
            value = form.get(name[: -len("Key")] + "Value", "")
            out.setdefault("aws:requesttag/" + key.lower(), []).append(value)
            out.setdefault("aws:tagkeys", []).append(key)
    if any(n.startswith("TagSpecification.") for n in form) and form.get("Action"):
        out["ec2:createaction"] = [form["Action"]]
    out.update(_ec2_named_resource_tags(region, form))
    return out


# Resources whose tags a request's `...Id` parameters name (AWS evaluates
# aws:ResourceTag per resource; a request naming several, e.g.
# AttachInternetGateway, needs every one allowed).
_EC2_TAGGED_ID = re.compile(r"(vpc|subnet|rtb|igw|eipalloc|nat|vpce|sg|fl)-[0-9a-f]+$")


def _ec2_named_resource_tags(region: str, form: dict[str, str]) -> dict[str, list[str]]:
    """aws:ResourceTag/<k> when every resource the request names carries the
    same value for <k>; a key on which they differ (or that one lacks) is
    left out, so a tag condition on it does not match: no resource lends
    its tag to another."""
    ids = [v for n, v in form.items() if re.search(r"Id(\.\d+)?$", n) and _EC2_TAGGED_ID.match(v)]
    if form.get("AssociationId", "").startswith("rtbassoc-"):
        ids += _route_table_association(region, form["AssociationId"])
    if not ids:
        return {}
    tag_sets = [_ec2_resource_tags(region, i) for i in ids]
    common = {k: v for k, v in tag_sets[0].items() if all(t.get(k) == v for t in tag_sets[1:])}
    return {"aws:resourcetag/" + k.lower(): [v] for k, v in common.items()}


# --------------------------------------------------------------------------
# Patch 3c: AssumeRoleWithWebIdentity is authorized by the role's trust policy.
#
# AWS takes this call unsigned (the token is the credential); Patch 2 refused
# it, and stock moto issues credentials for any role and any token. We take
# it unsigned and evaluate the role's trust policy as STS does: the
# statement must allow sts:AssumeRoleWithWebIdentity to the principal
# {"Federated": <provider ARN of the token's iss>}, that provider must exist
# with the token's aud in its client ids, and the conditions see the claims
# as `<issuer host>:aud` / `:sub` / `:iss`. Not done: the token's signature
# and expiry (no issuer keys offline) -- a test that needs a refusal must get
# it from the trust policy, which is what the CI roles' tests check.
# --------------------------------------------------------------------------


def _jwt_claims(token: str) -> dict[str, Any]:
    import base64
    import json

    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _web_identity_denied(message: str) -> Exception:
    from moto.core.exceptions import _RESTError

    class AccessDenied(_RESTError):
        code = 403

    return AccessDenied("AccessDenied", message)


def _authorize_web_identity(form: dict[str, str]) -> None:
    import json

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import iam_backends

    from emulator import iam_policy

    claims = _jwt_claims(form.get("WebIdentityToken", ""))
    iss = str(claims.get("iss", ""))
    host = iss.split("://", 1)[-1].rstrip("/")
    iam = iam_backends[DEFAULT_ACCOUNT_ID]["aws"]
    provider_arn = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:oidc-provider/{host}"
    provider = iam.open_id_providers.get(provider_arn) if host else None
    auds = claims.get("aud") if isinstance(claims.get("aud"), list) else [claims.get("aud")]
    if provider is None or not set(map(str, auds)) & set(provider.client_id_list):
        raise _web_identity_denied("No OpenIDConnect provider found for this token's issuer and audience")
    role_name = form.get("RoleArn", "").rsplit("/", 1)[-1]
    role = iam.roles.get(next((r.id for r in iam.roles.values() if r.name == role_name), ""))
    if role is None:
        raise _web_identity_denied(f"Not authorized to perform sts:AssumeRoleWithWebIdentity on {form.get('RoleArn')}")
    ctx = {f"{host}:{k}": [str(v)] for k, v in claims.items() if k in ("aud", "sub", "iss")}
    ctx = {k.lower(): v for k, v in ctx.items()}
    allowed = False
    for stmt in json.loads(role.assume_role_policy_document).get("Statement", []):
        federated = (stmt.get("Principal") or {}).get("Federated") if isinstance(stmt.get("Principal"), dict) else None
        if provider_arn not in ([federated] if isinstance(federated, str) else federated or []):
            continue
        effect = iam_policy.evaluate_statement(stmt, "sts:AssumeRoleWithWebIdentity", "*", None, ctx, False)
        if effect == iam_policy.DENY:
            allowed = False
            break
        allowed = allowed or effect == iam_policy.ALLOW
    if not allowed:
        raise _web_identity_denied(f"Not authorized to perform sts:AssumeRoleWithWebIdentity on {form.get('RoleArn')}")


def _statement_is_action_permitted(
    self: Any,
    action: str,
    resource: str = "*",
    principal: str | None = None,
    incoming_condition_values: dict[str, str] | None = None,
) -> Any:
    from moto.iam.access_control import PermissionResult

    from emulator import iam_policy

    ctx, who = request_condition_context(incoming_condition_values, principal)
    effect = iam_policy.evaluate_statement(self._statement, action, resource, who, ctx, True)
    if effect == iam_policy.ALLOW:
        return PermissionResult.PERMITTED
    if effect == iam_policy.DENY:
        return PermissionResult.DENIED
    return PermissionResult.NEUTRAL


def _check_action_permitted(self: Any, resource: str) -> None:
    from moto.iam.access_control import IAMPolicy, PermissionResult, S3IAMRequest

    ctx = current()
    if ctx is not None:
        ctx.principal = self._access_key.arn
        # (moto names an existing role as IAM's resource: the boundary still applies)
        if (resource == "*" or self._action.startswith("iam:")) and _service_request_check(self, ctx):
            return None
        if resource == "*" and self._action.startswith("iam:"):
            resource = iam_resource_arn(self.account_id, _form(ctx.body))
        elif resource == "*" and self._action.startswith("dynamodb:"):  # Patch 10
            resource = dynamodb_table_arn(self.account_id, self._region, ctx.body)
            ctx.resource = resource
        elif resource == "*" and self._action.startswith("ec2:"):
            auth = sigv4.parse_authorization(ctx.header("authorization") or "")
            resource = ec2_resource_arn(self.account_id, auth["region"] if auth else "", _form(ctx.body))
        if isinstance(self, S3IAMRequest) and ":::" in resource:
            bucket_name = resource.split(":::", 1)[1].split("/", 1)[0]
            policy = _bucket_policy(self.account_id, bucket_name)
            if policy:
                if IAMPolicy(policy).is_action_permitted(self._action, resource) == PermissionResult.DENIED:
                    self._raise_access_denied()
    return _orig["check_action_permitted"](self, resource)


def _bucket_policy(account_id: str, bucket_name: str) -> str | None:
    if not bucket_name or bucket_name == "*":
        return None
    try:
        from moto.s3.models import s3_backends

        bucket = s3_backends[account_id]["aws"].buckets.get(bucket_name)
    except Exception:
        return None
    if bucket is None or not bucket.policy:
        return None
    p = bucket.policy
    return p.decode() if isinstance(p, bytes) else p


# --------------------------------------------------------------------------
# Patch 13b: resource ARNs and condition keys of ELB, ECS, logs, CloudWatch,
# SNS, Application Auto Scaling, WAFv2 and KMS requests; iam:PassRole.
#
# moto checks these services against Resource `*` with no service condition
# key (and CloudWatch as `monitoring:<Action>`, its signing name), so the CI
# deploy policy's name- and tag-scoped statements never match. For these
# services we check the action against each ARN the request names, with
# aws:RequestTag / aws:ResourceTag / aws:TagKeys (service_auth.describe;
# existing resources' tags read from moto's backends below), and authorize
# every role the request hands to a service (ECS task definitions' task and
# execution roles, EC2 flow logs' delivery role) as iam:PassRole with
# iam:PassedToService, which moto never checks.
# --------------------------------------------------------------------------


def _request_params(ctx: RequestContext) -> dict[str, Any]:
    """The request's parameters: JSON protocols' body, or the query form."""
    import json

    if "json" in (ctx.header("content-type") or ""):
        try:
            v = json.loads(ctx.body or b"{}")
        except ValueError:
            return {}
        return v if isinstance(v, dict) else {}
    form: dict[str, Any] = _form(ctx.body)
    if not form and ctx.raw_query:
        form = _form(ctx.raw_query.encode())
    return form


def _backend(module: str, name: str, region: str) -> Any:
    import importlib

    from moto.core import DEFAULT_ACCOUNT_ID

    backends = getattr(importlib.import_module(f"moto.{module}.models"), name)
    return backends[DEFAULT_ACCOUNT_ID][region]


def _ecs_tags(region: str, arn: str) -> dict[str, str]:
    from emulator import service_auth

    be = _backend("ecs", "ecs_backends", region)
    kind, _, rest = arn.split(":", 5)[-1].partition("/")
    if kind == "cluster":
        obj = be.clusters.get(rest)
    elif kind == "service":
        obj = be.services.get(rest.replace("/", ":", 1))
    elif kind == "task-definition":
        family, _, rev = rest.partition(":")
        obj = be.task_definitions.get(family, {}).get(int(rev)) if rev.isdigit() else None
    else:
        obj = None
    return service_auth._json_tags(getattr(obj, "tags", None) or [])


def _moto_tags(service: str, region: str, arn: str) -> dict[str, str]:
    """The tags moto keeps for an existing resource; {} when unknown."""
    try:
        if service == "elasticloadbalancing":
            return dict(_backend("elbv2", "elbv2_backends", region).tagging_service.get_tag_dict_for_resource(arn))
        if service == "ecs":
            return _ecs_tags(region, arn)
        if service == "logs":
            return dict(_backend("logs", "logs_backends", region).list_tags_for_resource(arn))
        if service == "cloudwatch":
            return dict(_backend("cloudwatch", "cloudwatch_backends", region).list_tags_for_resource(arn))
        if service == "sns":
            return dict(_backend("sns", "sns_backends", region).list_tags_for_resource(arn))
        if service == "wafv2":
            return dict(_backend("wafv2", "wafv2_backends", region).tagging_service.get_tag_dict_for_resource(arn))
        if service == "kms":
            be = _backend("kms", "kms_backends", region)
            return dict(be.tagger.get_tag_dict_for_resource(be.any_id_to_key_id(arn)))
        if service == "application-autoscaling":
            be = _backend("applicationautoscaling", "applicationautoscaling_backends", region)
            for by_rid in be.targets.values():
                for target in by_rid.values():
                    if target.arn == arn:
                        return dict(_aas_tags(target))
    except Exception:  # an unknown resource has no tags
        return {}
    return {}


def _aas_target_arn(region: str, namespace: str, resource_id: str, dimension: str) -> str | None:
    try:
        be = _backend("applicationautoscaling", "applicationautoscaling_backends", region)
        for by_rid in be.targets.values():
            for target in by_rid.values():
                if target.service_namespace == namespace and target.resource_id == resource_id and (
                    not dimension or target.scalable_dimension == dimension
                ):
                    return str(target.arn)
    except Exception:
        return None
    return None


def _kms_key_arn(region: str, key_id: str) -> str | None:
    try:
        be = _backend("kms", "kms_backends", region)
        return str(be.describe_key(be.any_id_to_key_id(key_id)).arn)
    except Exception:
        return None


def _iam_existing_boundary(action: str, params: dict[str, Any]) -> dict[str, list[str]]:
    """iam:PermissionsBoundary of the role a policy request changes: AWS
    evaluates the role's current boundary for PutRolePolicy & co (Patch 3b
    takes it from the request for CreateRole / PutRolePermissionsBoundary)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import iam_backends

    if action not in ("PutRolePolicy", "DeleteRolePolicy", "AttachRolePolicy", "DetachRolePolicy") or not params.get("RoleName"):
        return {}
    try:
        role = iam_backends[DEFAULT_ACCOUNT_ID]["aws"].get_role(params["RoleName"])
    except Exception:
        return {}
    boundary = getattr(role, "permissions_boundary_arn", None)
    return {"iam:permissionsboundary": [str(boundary)]} if boundary else {}


def _check_as(self: Any, ctx: RequestContext, action: str, resource: str, keys: dict[str, list[str]]) -> None:
    """moto's check of ACTION on RESOURCE with KEYS added to the context."""
    saved = self._action
    self._action, ctx.extra_keys = action, keys
    try:
        _orig["check_action_permitted"](self, resource)
    finally:
        self._action, ctx.extra_keys = saved, {}


def _check_passed_roles(self: Any, ctx: RequestContext, roles: list[tuple[str, str]]) -> None:
    for role_arn, to_service in roles:
        _check_as(self, ctx, "iam:PassRole", role_arn, {"iam:passedtoservice": [to_service]})


def _service_request_check(self: Any, ctx: RequestContext) -> bool:
    """Decide a request to a service service_auth models (raises when
    denied); False: not modelled here, moto's check goes on."""
    from emulator import service_auth

    service, _, action = self._action.partition(":")
    auth = sigv4.parse_authorization(ctx.header("authorization") or "")
    region = auth["region"] if auth else ""
    params = _request_params(ctx)
    if service == "ec2":
        _check_passed_roles(self, ctx, service_auth.passed_roles("ec2", action, params))
        return False
    if service == "iam":
        ctx.extra_keys = _iam_existing_boundary(action, params)
        return False
    iam_service = service_auth.IAM_PREFIX.get(service, service)
    req = service_auth.describe(
        service, action, params, region, self.account_id,
        tags_of=lambda arn: _moto_tags(iam_service, region, arn),
        target_arn=lambda ns, rid, dim: _aas_target_arn(region, ns, rid, dim),
        key_arn=lambda k: _kms_key_arn(region, k),
    )  # fmt: skip
    if req is None:
        return False
    for arn in req.resources:
        _check_as(self, ctx, f"{iam_service}:{action}", arn, {**req.keys, **req.resource_keys.get(arn, {})})
    _check_passed_roles(self, ctx, req.passed_roles)
    return True


# --------------------------------------------------------------------------
# Patch 4: Application Auto Scaling tags.
#
# moto bug: no TagResource / UntagResource / ListTagsForResource (the action
# dispatcher answers 500, which the Terraform AWS provider retries for 10+
# minutes), and RegisterScalableTarget drops its Tags.  We keep the tags on
# the FakeScalableTarget itself (so /moto-api/reset and deregistration drop
# them) and look targets up by ScalableTargetARN.  RegisterScalableTarget
# without a RoleARN also gets the service-linked role ARN AWS fills in, so
# DescribeScalableTargets returns what the provider expects.
# --------------------------------------------------------------------------

_AAS_SLR = {
    "ecs": "ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService",
    "dynamodb": "dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
}


def _aas_find_target(resp: Any, arn: str) -> Any:
    from moto.core.exceptions import JsonRESTError

    for by_rid in resp.applicationautoscaling_backend.targets.values():
        for target in by_rid.values():
            if target.arn == arn:
                return target
    raise JsonRESTError("ResourceNotFoundException", f"No scalable target found for {arn}")


def _aas_tags(target: Any) -> dict[str, str]:
    if not hasattr(target, "_emu_tags"):
        target._emu_tags = {}
    return target._emu_tags


def _aas_validate_tags(tags: dict[str, str]) -> None:
    from moto.core.exceptions import JsonRESTError

    if len(tags) > 50:
        raise JsonRESTError("TooManyTagsException", "A resource can have at most 50 tags")
    for k, v in tags.items():
        if not (1 <= len(k) <= 128) or len(v) > 256 or k.lower().startswith("aws:"):
            raise JsonRESTError("ValidationException", f"invalid tag {k!r}")


def _aas_tag_resource(self: Any) -> str:
    import json

    target = _aas_find_target(self, self._get_param("ResourceARN"))
    new = dict(self._get_param("Tags") or {})
    merged = {**_aas_tags(target), **new}
    _aas_validate_tags(merged)
    target._emu_tags = merged
    return json.dumps({})


def _aas_untag_resource(self: Any) -> str:
    import json

    target = _aas_find_target(self, self._get_param("ResourceARN"))
    for k in self._get_param("TagKeys") or []:
        _aas_tags(target).pop(k, None)
    return json.dumps({})


def _aas_list_tags_for_resource(self: Any) -> str:
    import json

    target = _aas_find_target(self, self._get_param("ResourceARN"))
    return json.dumps({"Tags": dict(_aas_tags(target))})


def _aas_register_scalable_target(self: Any) -> str:
    import json

    tags = self._get_param("Tags")
    if tags:
        _aas_validate_tags(dict(tags))
    out = _orig["aas_register"](self)
    arn = json.loads(out)["ScalableTargetARN"]
    target = _aas_find_target(self, arn)
    if tags:
        _aas_tags(target).update(tags)
    if not target.role_arn:
        slr = _AAS_SLR.get(target.service_namespace)
        if slr:
            acct = arn.split(":")[4]
            target.role_arn = f"arn:aws:iam::{acct}:role/aws-service-role/{slr}"
    return out


# --------------------------------------------------------------------------
# Patch 5: an S3 403 always has an error body.
#
# moto bug: an object request denied by the bucket policy (e.g. the
# aws:SecureTransport deny over HTTP) is answered `403` with an empty body,
# where S3 sends <Error><Code>AccessDenied</Code>...; clients that read the
# error code see nothing.  The middleware fills in the body.
# --------------------------------------------------------------------------

_ACCESS_DENIED_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
)


# --------------------------------------------------------------------------
# Patch 6: expired STS credentials.
#
# moto bug: AssumeRole credentials never expire; AWS rejects them after
# Expiration with ExpiredToken (S3: 400, other services: 403).  Needed by
# credential-refresh tests.
# --------------------------------------------------------------------------


def _assumed_role_init(self: Any, account_id: str, partition: str, access_key_id: str, headers: Any) -> None:
    from moto.core.utils import utcnow
    from moto.iam.access_control import CreateAccessKeyFailure
    from moto.sts.models import sts_backends

    _orig["assumed_init"](self, account_id, partition, access_key_id, headers)
    for role in sts_backends[account_id][partition].assumed_roles:
        if role.access_key_id == access_key_id and role.expiration <= utcnow():
            raise CreateAccessKeyFailure(reason="ExpiredToken")


def _raise_invalid_access_key_s3(self: Any, reason: str) -> None:
    if reason == "ExpiredToken":
        raise _s3_error("ExpiredToken", "The provided token has expired.", 400)
    return _orig["s3_invalid_key"](self, reason)


def _raise_invalid_access_key_iam(self: Any, reason: str) -> None:
    if _is_dynamodb(self):  # Patch 10
        if reason == "ExpiredToken":
            raise ddb_error(DDB_AUTH_PREFIX + "ExpiredTokenException", "The security token included in the request is expired")
        raise ddb_error(DDB_AUTH_PREFIX + "UnrecognizedClientException", "The security token included in the request is invalid.")
    if reason == "ExpiredToken":
        from moto.core.exceptions import _RESTError

        class ExpiredToken(_RESTError):
            code = 403

        raise ExpiredToken("ExpiredToken", "The security token included in the request is expired")
    return _orig["iam_invalid_key"](self, reason)


# --------------------------------------------------------------------------
# Patch 7: attributes moto drops, which Terraform then diffs forever.
#
# * ECS CreateService: healthCheckGracePeriodSeconds, availabilityZoneRebalancing,
#   enableExecuteCommand, enableECSManagedTags, ... are not stored (moto's
#   UpdateService does store them).  We copy every such request member onto
#   the Service that moto does not model itself.
# * ELBv2 CreateLoadBalancer without Scheme stores none; AWS defaults to
#   internet-facing.
# --------------------------------------------------------------------------

_ECS_SERVICE_EXTRAS = {
    "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
    "availabilityZoneRebalancing": "availability_zone_rebalancing",
    "enableExecuteCommand": "enable_execute_command",
    "enableECSManagedTags": "enable_ecs_managed_tags",
    "deploymentConfiguration": "deployment_configuration",
    "capacityProviderStrategy": "capacity_provider_strategy",
    "placementConstraints": "placement_constraints",
    "placementStrategy": "placement_strategy",
}


def _ecs_create_service(self: Any) -> Any:
    result = _orig["ecs_create_service"](self)
    service = self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("serviceName"))
    for member, attr in _ECS_SERVICE_EXTRAS.items():
        value = self._get_param(member)
        if value is not None and getattr(service, attr, None) in (None, [], {}):
            setattr(service, attr, value)
    if getattr(service, "availability_zone_rebalancing", None) is None:
        service.availability_zone_rebalancing = "DISABLED"
    return result


def _elbv2_create_load_balancer(self: Any, *args: Any, **kwargs: Any) -> Any:
    if kwargs.get("scheme") is None and len(args) < 5:
        kwargs["scheme"] = "internet-facing"
    return _orig["elbv2_create_lb"](self, *args, **kwargs)


# --------------------------------------------------------------------------
# Patch 8: S3-like ListObjectsV2 continuation tokens.
#
# moto's tokens are md5 hex digests: they never contain `+ / =`, so they do
# not exercise a client's query encoding, while real S3 tokens (base64) do.
# Ours always contain `+`, `/` and `=`.  An unknown token is 400
# InvalidArgument as on S3 (moto: 500, comparing a key with None).
# --------------------------------------------------------------------------


def _s3_truncate_result(self: Any, result_keys: Any, max_keys: int) -> Any:
    import base64
    import os as _os

    keys, truncated, token = _orig["s3_truncate"](self, result_keys, max_keys)
    if token is not None:
        key_id = self._pagination_tokens.pop(token)
        raw = b"\xfb\xef\xbe\xff\xff\xff" + _os.urandom(18) + b"\x01"
        token = "1" + base64.b64encode(raw).decode()  # "1++++////...==" like S3's
        self._pagination_tokens[token] = key_id
    return keys, truncated, token


def _s3_list_objects_v2(self: Any, bucket: Any, prefix: Any, delimiter: Any, continuation_token: Any, *a: Any, **kw: Any) -> Any:
    if continuation_token and continuation_token not in self._pagination_tokens:
        from moto.s3.exceptions import InvalidContinuationToken

        raise InvalidContinuationToken()
    return _orig["s3_list_v2"](self, bucket, prefix, delimiter, continuation_token, *a, **kw)


# --------------------------------------------------------------------------
# Patch 8b: ListObjectsV2 encoding-type=url encodes every field AWS lists.
#
# AWS: with encoding-type=url, Delimiter, Prefix, StartAfter, Contents/Key
# and CommonPrefixes/Prefix come URL-encoded (ContinuationToken and
# NextContinuationToken do not); botocore decodes exactly those.  moto 5.2
# encodes Key, Prefix and CommonPrefixes but echoes StartAfter and
# Delimiter raw, so a client decoding them as AWS documents gets them wrong.
# --------------------------------------------------------------------------

_ECHOED = re.compile(r"<(StartAfter|Delimiter)>(.*?)</\1>", re.S)


def _s3_list_objects_v2_response(self: Any) -> Any:
    import html
    import urllib.parse

    status, headers, body = _orig["s3_list_v2_response"](self)
    if self.querystring.get("encoding-type", [None])[0] != "url" or status != 200:
        return status, headers, body
    text = body.decode() if isinstance(body, bytes) else body

    def enc(m: re.Match) -> str:
        value = urllib.parse.quote(html.unescape(m.group(2)), safe="/")
        return f"<{m.group(1)}>{value}</{m.group(1)}>"

    text = _ECHOED.sub(enc, text)
    return status, headers, text.encode() if isinstance(body, bytes) else text


# --------------------------------------------------------------------------
# Patch 9: S3 IAM action names.
#
# moto authorizes some S3 operations under names that are not IAM actions
# (s3:HeadBucket, s3:ListObjectsV2, s3:GetBucketEncryption, ...), so a policy
# written for AWS denies them.  Map them to the action AWS checks.
# --------------------------------------------------------------------------

S3_IAM_ACTIONS = {
    "HeadBucket": "ListBucket",
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "HeadObject": "GetObject",
    "ListBuckets": "ListAllMyBuckets",
    "ListObjectVersions": "ListBucketVersions",
    "DeleteObjects": "DeleteObject",
    "CopyObject": "PutObject",
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "UploadPartCopy": "PutObject",
    "CompleteMultipartUpload": "PutObject",
    "ListParts": "ListMultipartUploadParts",
    "ListMultipartUploads": "ListBucketMultipartUploads",
    "GetBucketEncryption": "GetEncryptionConfiguration",
    "PutBucketEncryption": "PutEncryptionConfiguration",
    "DeleteBucketEncryption": "PutEncryptionConfiguration",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
    "GetBucketNotificationConfiguration": "GetBucketNotification",
    "PutBucketNotificationConfiguration": "PutBucketNotification",
    "GetBucketAccelerateConfiguration": "GetAccelerateConfiguration",
    "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
    "PutPublicAccessBlock": "PutBucketPublicAccessBlock",
    "DeletePublicAccessBlock": "PutBucketPublicAccessBlock",
    "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
    "GetBucketReplication": "GetReplicationConfiguration",
}


def _iam_request_init(self: Any, *args: Any, **kwargs: Any) -> None:
    _orig["iam_request_init"](self, *args, **kwargs)
    service, _, name = self._action.partition(":")
    if service == "s3" and name in S3_IAM_ACTIONS:
        self._action = "s3:" + S3_IAM_ACTIONS[name]


# --------------------------------------------------------------------------
# Patch 10: DynamoDB authorization and auth errors as AWS gives them (issue 14).
#
# moto bugs: (a) every DynamoDB action is checked against Resource `*`, so a
# least-privilege policy naming the table (what a task role has) is refused
# and one naming another table is not what refuses it; (b) auth failures are
# answered HTTP 403 with an XML body.  DynamoDB checks the table's ARN
# (arn:aws:dynamodb:<region>:<account>:table/<name>) and answers every auth
# failure HTTP 400 with a JSON body whose `__type` is
# com.amazon.coral.service#AccessDeniedException / UnrecognizedClientException
# / InvalidSignatureException / MissingAuthenticationTokenException /
# ExpiredTokenException (the AccessDenied one with a capital "Message", as
# AWS sends it).  Clients should match the part after `#`.
# --------------------------------------------------------------------------

DDB_AUTH_PREFIX = "com.amazon.coral.service#"


def ddb_error(error_type: str, message: str, message_key: str = "message", status: int = 400) -> Exception:
    """A DynamoDB JSON-protocol error: HTTP `status`, body {"__type", message}."""
    import json

    from moto.core.exceptions import JsonRESTError

    e = JsonRESTError(error_type, message)
    e.code = status
    e.description = json.dumps({"__type": error_type, message_key: message})
    return e


def _is_dynamodb(req: Any) -> bool:
    return getattr(req, "_service", None) == "dynamodb"


def dynamodb_table_arn(account_id: str, region: str, body: bytes) -> str:
    """The table a DynamoDB JSON request names (TableName, or the single
    table of a batch's RequestItems); `*` when it names none (ListTables)."""
    import json

    try:
        doc = json.loads(body or b"{}")
    except ValueError:
        return "*"
    if not isinstance(doc, dict):
        return "*"
    name = doc.get("TableName")
    if not name and isinstance(doc.get("RequestItems"), dict) and len(doc["RequestItems"]) == 1:
        name = next(iter(doc["RequestItems"]))
    if not isinstance(name, str) or not name:
        return "*"
    if name.startswith("arn:"):
        return name
    return f"arn:aws:dynamodb:{region}:{account_id}:table/{name}"


def _ddb_raise_signature_does_not_match(self: Any) -> None:
    if _is_dynamodb(self):
        raise ddb_error(
            DDB_AUTH_PREFIX + "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        )
    return _orig["iam_bad_sig"](self)


def _ddb_raise_access_denied(self: Any) -> None:
    if _is_dynamodb(self):
        ctx = current()
        resource = getattr(ctx, "resource", None) or "*"
        raise ddb_error(
            DDB_AUTH_PREFIX + "AccessDeniedException",
            f"User: {self._access_key.arn} is not authorized to perform: {self._action} on resource: {resource}"
            f" because no identity-based policy allows the {self._action} action",
            message_key="Message",
        )
    return _orig["iam_denied"](self)


def _ddb_unsigned() -> Exception:
    return ddb_error(DDB_AUTH_PREFIX + "MissingAuthenticationTokenException", "Request is missing Authentication Token")


# --------------------------------------------------------------------------
# Patch 11: Scan as DynamoDB pages it (issue 14).
#
# moto bugs: (a) a table Scan returns items sorted by key, so a client (or a
# test) that assumes an order passes here and fails on AWS, where a Scan over
# a table keyed by a hash key alone comes in hash order (unordered to the
# user); (b) when Limit is reached on the last item moto omits
# LastEvaluatedKey, where DynamoDB stops as soon as it has evaluated Limit
# items and returns LastEvaluatedKey (the next page is then empty: clients
# must handle an empty final page); (c) the 1 MB page limit is measured on
# the items returned after the legacy ScanFilter, where DynamoDB measures
# the data read.  Here a table Scan walks items ordered by md5 of the
# partition key (stable, not alphabetical), an ExclusiveStartKey resumes
# after its hash position (also for a key that is not, or no longer, in the
# table), Limit counts evaluated items before any filter, and the 1 MB
# budget counts every item read.  Index scans keep moto's code.
# --------------------------------------------------------------------------

SCAN_PAGE_BYTES = 1024 * 1024


def _ddb_hash_order(hash_value: Any, range_value: Any = None) -> tuple[str, str]:
    import json

    def enc(v: Any) -> str:
        if v is None:
            return ""
        return json.dumps(v.to_json() if hasattr(v, "to_json") else v, sort_keys=True)

    return hashlib.md5(enc(hash_value).encode()).hexdigest(), enc(range_value)


def _ddb_item_passes(item: Any, filters: dict[str, Any], filter_expression: Any) -> bool:
    for attribute_name, (op, objs) in filters.items():
        attribute = item.attrs.get(attribute_name)
        if attribute is None:
            if op != "NULL":
                return False
        elif not attribute.compare(op, objs):
            return False
    return filter_expression is None or bool(filter_expression.expr(item))


def _ddb_table_scan(
    self: Any, filters: dict[str, Any], limit: int, exclusive_start_key: dict[str, Any],
    filter_expression: Any = None, index_name: str | None = None, consistent_read: bool = False,
    projection_expression: Any = None, segments: Any = (None, None),
) -> Any:  # fmt: skip
    import copy

    from moto.dynamodb.models.dynamo_type import DynamoType

    if index_name:
        return _orig["ddb_scan"](self, filters, limit, exclusive_start_key, filter_expression,
                                 index_name, consistent_read, projection_expression, segments=segments)  # fmt: skip

    def order(item: Any) -> tuple[str, str]:
        return _ddb_hash_order(item.hash_key, item.range_key)

    items = sorted((i for i in self.all_items() if i.is_within_segment(segments)), key=order)
    if exclusive_start_key:
        rk = exclusive_start_key.get(self.range_key_attr) if self.range_key_attr else None
        start = _ddb_hash_order(DynamoType(exclusive_start_key[self.hash_key_attr]),
                                DynamoType(rk) if rk else None)  # fmt: skip
        items = [i for i in items if order(i) > start]
    results, scanned, read_bytes, last = [], 0, 0, None
    for item in items:
        if scanned and read_bytes + item.size() > SCAN_PAGE_BYTES:
            break
        scanned += 1
        read_bytes += item.size()
        last = item
        if _ddb_item_passes(item, filters, filter_expression):
            results.append(copy.deepcopy(item))
        if limit and scanned >= limit:
            break
    lek = None
    if last is not None and (scanned < len(items) or (limit and scanned >= limit)):
        lek = self._get_last_evaluated_key(last, None)
    if projection_expression:
        results = [r.project(projection_expression) for r in results]
    return results, scanned, lek


def _s3_delete_marker_dispose(self: Any, garbage: bool = False) -> None:
    """DeleteObjects naming a version of a key whose current version is a
    delete marker failed with a 500 (moto 5.2.1: `FakeDeleteMarker` has no
    `dispose`), so emptying a versioned bucket (force_destroy of the
    Terraform state bucket, whose .tflock objects leave delete markers) never
    ended. AWS deletes the version. A delete marker holds no data buffer:
    nothing to release."""


_orig: dict[str, Any] = {}
_applied = False


def apply() -> None:
    global _applied
    if _applied:
        return
    from moto.iam import access_control as ac

    _orig["check_signature"] = ac.IAMRequestBase.check_signature
    ac.IAMRequestBase.check_signature = _check_signature

    from moto.core.authorization import ActionAuthenticatorMixin as AAM

    _orig["authenticate"] = AAM._authenticate_and_authorize_action
    AAM._authenticate_and_authorize_action = _authenticate_and_authorize_action

    _orig["iam_request_init"] = ac.IAMRequestBase.__init__
    ac.IAMRequestBase.__init__ = _iam_request_init

    _orig["statement"] = ac.IAMPolicyStatement.is_action_permitted
    ac.IAMPolicyStatement.is_action_permitted = _statement_is_action_permitted
    _orig["check_action_permitted"] = ac.IAMRequestBase.check_action_permitted
    ac.IAMRequestBase.check_action_permitted = _check_action_permitted

    _orig["assumed_init"] = ac.AssumedRoleAccessKey.__init__
    ac.AssumedRoleAccessKey.__init__ = _assumed_role_init
    _orig["s3_invalid_key"] = ac.S3IAMRequest._raise_invalid_access_key
    ac.S3IAMRequest._raise_invalid_access_key = _raise_invalid_access_key_s3
    _orig["iam_invalid_key"] = ac.IAMRequest._raise_invalid_access_key
    ac.IAMRequest._raise_invalid_access_key = _raise_invalid_access_key_iam
    _orig["iam_bad_sig"] = ac.IAMRequest._raise_signature_does_not_match
    ac.IAMRequest._raise_signature_does_not_match = _ddb_raise_signature_does_not_match
    _orig["iam_denied"] = ac.IAMRequest._raise_access_denied
    ac.IAMRequest._raise_access_denied = _ddb_raise_access_denied

    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse as AAS

    _orig["aas_register"] = AAS.register_scalable_target
    AAS.register_scalable_target = _aas_register_scalable_target
    AAS.tag_resource = _aas_tag_resource
    AAS.untag_resource = _aas_untag_resource
    AAS.list_tags_for_resource = _aas_list_tags_for_resource

    from moto.ecs.responses import EC2ContainerServiceResponse as ECSR
    from moto.elbv2.models import ELBv2Backend

    _orig["ecs_create_service"] = ECSR.create_service
    ECSR.create_service = _ecs_create_service
    from moto.s3.models import S3Backend

    _orig["s3_truncate"] = S3Backend._truncate_result
    S3Backend._truncate_result = _s3_truncate_result
    _orig["s3_list_v2"] = S3Backend.list_objects_v2
    S3Backend.list_objects_v2 = _s3_list_objects_v2
    from moto.s3.responses import S3Response

    _orig["s3_list_v2_response"] = S3Response.list_objects_v2
    S3Response.list_objects_v2 = _s3_list_objects_v2_response

    from moto.dynamodb.models.table import Table as DdbTable

    _orig["ddb_scan"] = DdbTable.scan
    DdbTable.scan = _ddb_table_scan

    _orig["elbv2_create_lb"] = ELBv2Backend.create_load_balancer
    ELBv2Backend.create_load_balancer = _elbv2_create_load_balancer

    from moto.s3.models import FakeDeleteMarker

    if not hasattr(FakeDeleteMarker, "dispose"):
        FakeDeleteMarker.dispose = _s3_delete_marker_dispose

    _applied = True

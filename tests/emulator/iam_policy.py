"""IAM policy statement evaluation, as AWS documents it.

Replaces moto 5.2's IAMPolicyStatement logic (see patches.py), which
  * evaluates only StringEquals: every other condition operator (Bool,
    StringLike, StringNotEquals, IpAddress, ...) counts as matching, so a
    `Deny if aws:SecureTransport = false` statement denies everything;
  * turns an Allow statement whose condition does not match into an explicit
    Deny (it should merely not apply);
  * matches Resource/Action patterns as regular expressions (`a+b.json` does
    not match itself) and Action case-sensitively; ignores NotResource;
  * compares an `{"AWS": "arn:aws:iam::ACCOUNT:root"}` principal by substring.

Pure Python, no moto import: unit-testable on its own.

Context: a dict of lower-cased condition key -> list of string values (a key
that is absent from the dict is absent from the request context).
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import re
from typing import Any

ALLOW = "Allow"
DENY = "Deny"

# -- wildcard matching -------------------------------------------------------

_glob_cache: dict[tuple[str, bool], re.Pattern[str]] = {}


def glob_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """`*` = any run of characters, `?` = one character, everything else literal."""
    key = (pattern, ignore_case)
    rx = _glob_cache.get(key)
    if rx is None:
        parts = []
        for ch in pattern:
            if ch in _LITERAL:
                parts.append(re.escape(_LITERAL[ch]))
            elif ch == "*":
                parts.append(".*")
            elif ch == "?":
                parts.append(".")
            else:
                parts.append(re.escape(ch))
        rx = re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))
        _glob_cache[key] = rx
    return rx.fullmatch(value) is not None


# -- policy variables --------------------------------------------------------

_VAR = re.compile(r"\$\{([^}]*)\}")
# ${*} and ${?} are literal characters, not wildcards: glob_match reads these
# stand-ins as the literal characters.
_LITERAL = {"\x01": "*", "\x02": "?"}
_AS_LITERAL = {"*": "\x01", "?": "\x02", "$": "$"}
_UNRESOLVED = "\x00unresolved\x00"


def substitute(value: str, ctx: dict[str, list[str]], for_glob: bool = True) -> str:
    """${aws:username}, ${key, 'default'}, ${*} ${?} ${$}."""
    if "${" not in value:
        return value

    def repl(m: re.Match[str]) -> str:
        inner = m.group(1).strip()
        if inner in ("*", "?", "$"):
            return _AS_LITERAL[inner] if for_glob else inner
        name, _, default = inner.partition(",")
        vals = ctx.get(name.strip().lower())
        if vals:
            return vals[0]
        default = default.strip()
        if len(default) >= 2 and default[0] == default[-1] == "'":
            return default[1:-1]
        return _UNRESOLVED

    return _VAR.sub(repl, value)


# -- condition operators -----------------------------------------------------


def _num(v: str) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _date(v: str) -> dt.datetime | None:
    v = str(v).strip()
    try:
        if re.fullmatch(r"-?\d+(\.\d+)?", v):
            return dt.datetime.fromtimestamp(float(v), dt.timezone.utc)
        d = dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
        if d.tzinfo is None:
            d = d.replace(tzinfo=dt.timezone.utc)
        return d
    except (ValueError, OverflowError, OSError):
        return None


def _ip_in(ctx_v: str, pol_v: str) -> bool:
    try:
        return ipaddress.ip_address(ctx_v.strip()) in ipaddress.ip_network(pol_v.strip(), strict=False)
    except ValueError:
        return False


def _arn_like(ctx_v: str, pol_v: str) -> bool:
    # ARN operators compare the six colon-delimited parts; each part may hold wildcards
    cp = ctx_v.split(":", 5)
    pp = pol_v.split(":", 5)
    if len(cp) != 6 or len(pp) != 6:
        return False
    return all(glob_match(p, c) for p, c in zip(pp, cp))


def _cmp(conv: Any, op: Any) -> Any:
    def f(c: str, p: str) -> bool:
        a, b = conv(c), conv(p)
        return a is not None and b is not None and op(a, b)

    return f


def _binary_equals(c: str, p: str) -> bool:
    try:
        return base64.b64decode(c) == base64.b64decode(p)
    except ValueError:
        return c == p


# base operator -> (match(context_value, policy_value), negated, substitutes policy variables)
_POSITIVE: dict[str, Any] = {
    "StringEquals": (lambda c, p: c == p, True),
    "StringEqualsIgnoreCase": (lambda c, p: c.casefold() == p.casefold(), True),
    "StringLike": (lambda c, p: glob_match(p, c), True),
    "NumericEquals": (_cmp(_num, lambda a, b: a == b), False),
    "NumericLessThan": (_cmp(_num, lambda a, b: a < b), False),
    "NumericLessThanEquals": (_cmp(_num, lambda a, b: a <= b), False),
    "NumericGreaterThan": (_cmp(_num, lambda a, b: a > b), False),
    "NumericGreaterThanEquals": (_cmp(_num, lambda a, b: a >= b), False),
    "DateEquals": (_cmp(_date, lambda a, b: a == b), False),
    "DateLessThan": (_cmp(_date, lambda a, b: a < b), False),
    "DateLessThanEquals": (_cmp(_date, lambda a, b: a <= b), False),
    "DateGreaterThan": (_cmp(_date, lambda a, b: a > b), False),
    "DateGreaterThanEquals": (_cmp(_date, lambda a, b: a >= b), False),
    "Bool": (lambda c, p: c.lower() == p.lower(), True),
    "BinaryEquals": (_binary_equals, False),
    "IpAddress": (_ip_in, False),
    "ArnEquals": (_arn_like, True),
    "ArnLike": (_arn_like, True),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


class UnknownOperator(ValueError):
    pass


def _parse_operator(op: str) -> tuple[str | None, str, bool, bool]:
    """-> (set qualifier, base operator, negated, if_exists)"""
    qualifier = None
    for q in ("ForAnyValue:", "ForAllValues:"):
        if op.startswith(q):
            qualifier, op = q[:-1], op[len(q) :]
    if_exists = False
    if op.endswith("IfExists") and op != "IfExists":
        op, if_exists = op[: -len("IfExists")], True
    if op == "Null":
        return qualifier, "Null", False, if_exists
    if op in _NEGATED:
        return qualifier, _NEGATED[op], True, if_exists
    if op in _POSITIVE:
        return qualifier, op, False, if_exists
    raise UnknownOperator(op)


def _as_list(v: Any) -> list[str]:
    vals = v if isinstance(v, list) else [v]
    out = []
    for x in vals:
        if isinstance(x, bool):
            out.append("true" if x else "false")
        else:
            out.append(str(x))
    return out


def evaluate_condition(op: str, key: str, policy_value: Any, ctx: dict[str, list[str]]) -> bool:
    qualifier, base, negated, if_exists = _parse_operator(op)
    pvals = _as_list(policy_value)
    cvals = ctx.get(key.lower())
    present = cvals is not None and len(cvals) > 0

    if base == "Null":
        want_absent = any(p.lower() == "true" for p in pvals)
        return (not present) == want_absent

    if not present:
        if if_exists:
            return True
        if qualifier == "ForAllValues":
            return True
        if qualifier == "ForAnyValue":
            return False
        return negated

    match, subst = _POSITIVE[base]
    if subst:
        globbing = base in ("StringLike", "ArnEquals", "ArnLike")
        pvals = [substitute(p, ctx, for_glob=globbing) for p in pvals]

    def one(c: str) -> bool:
        hit = any(match(c, p) for p in pvals)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(one(c) for c in cvals)
    # ForAnyValue, and a plain operator on a (possibly multi-valued) key
    if negated and qualifier is None:
        return all(one(c) for c in cvals)
    return any(one(c) for c in cvals)


def evaluate_conditions(block: dict[str, Any] | None, ctx: dict[str, list[str]]) -> bool:
    """AND over operators and keys, OR over a key's policy values (NOR when negated).
    An unknown operator makes the statement not apply (AWS rejects such policies)."""
    if not block:
        return True
    for op, keys in block.items():
        if not isinstance(keys, dict):
            return False
        for key, value in keys.items():
            try:
                if not evaluate_condition(op, key, value, ctx):
                    return False
            except UnknownOperator:
                return False
    return True


# -- principals --------------------------------------------------------------


def _account_of(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else None


def principal_matches(spec: Any, principal: str | None) -> bool:
    """spec: the statement's Principal.  principal: caller ARN, or None for anonymous."""
    if spec == "*":
        return True
    if not isinstance(spec, dict):
        return False
    for kind, values in spec.items():
        for v in _as_list(values):
            if kind == "AWS":
                if v == "*":
                    return True
                if principal is None:
                    continue
                if re.fullmatch(r"\d{12}", v) or re.fullmatch(r"arn:[^:]+:iam::\d{12}:root", v):
                    acct = v if v.isdigit() else _account_of(v)
                    if _account_of(principal) == acct:
                        return True
                elif v == principal:
                    return True
                else:
                    # a role ARN names every session of that role
                    m = re.fullmatch(r"arn:([^:]+):sts::(\d{12}):assumed-role/([^/]+)/.*", principal)
                    if m and v == f"arn:{m.group(1)}:iam::{m.group(2)}:role/{m.group(3)}":
                        return True
            # Service / Federated / CanonicalUser principals never match an IAM caller
    return False


# -- statements --------------------------------------------------------------


def _element_matches(values: Any, value: str, ignore_case: bool, ctx: dict[str, list[str]]) -> bool:
    for pattern in _as_list(values):
        pattern = substitute(pattern, ctx)
        if glob_match(pattern, value, ignore_case=ignore_case):
            return True
    return False


def evaluate_statement(
    stmt: dict[str, Any],
    action: str,
    resource: str,
    principal: str | None,
    ctx: dict[str, list[str]],
    check_principal: bool,
) -> str | None:
    """-> "Allow", "Deny", or None when the statement does not apply."""
    if "NotAction" in stmt:
        if _element_matches(stmt["NotAction"], action, True, ctx):
            return None
    elif not _element_matches(stmt.get("Action", []), action, True, ctx):
        return None

    if check_principal:
        if "Principal" in stmt and not principal_matches(stmt["Principal"], principal):
            return None
        if "NotPrincipal" in stmt and principal_matches(stmt["NotPrincipal"], principal):
            return None

    if "Resource" in stmt:
        if not _element_matches(stmt["Resource"], resource, False, ctx):
            return None
    elif "NotResource" in stmt:
        if _element_matches(stmt["NotResource"], resource, False, ctx):
            return None

    if not evaluate_conditions(stmt.get("Condition"), ctx):
        return None
    effect = stmt.get("Effect")
    return effect if effect in (ALLOW, DENY) else None

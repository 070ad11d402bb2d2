"""SigV4 canonical request computed the way AWS does, from the request as received.

Reference: botocore.auth.SigV4Auth / S3SigV4Auth (and the SigV4 spec):

* canonical URI
  - S3: the path exactly as sent on the wire (already percent-encoded by the
    client, never decoded, never normalised: `/b/a%2Bb.json` stays as is and
    `/b/a+b.json` stays as is, and the two sign differently).
  - every other service: the wire path with `.`/`..` segments removed and then
    URI-encoded once more (botocore: quote(normalize_url_path(path), safe='/~')).
* canonical query: every `name=value` pair percent-decoded (a `+` is a literal
  plus, not a space) and re-encoded with only `A-Za-z0-9-_.~` left bare, sorted
  by name then value.  That is how AWS accepts `prefix=dir/` and `prefix=dir%2F`
  alike, while a client that signs `dir/` literally into its canonical query
  computes a different signature and is rejected.
* canonical headers: the SignedHeaders from the Authorization header, lower
  case, values trimmed and inner whitespace runs collapsed, repeated headers
  joined with `,`.
* payload hash: the X-Amz-Content-SHA256 header when present, else sha256(body).

Nothing in here depends on moto, so it can be unit tested on its own.
"""

from __future__ import annotations

import hashlib
import hmac
import posixpath
from urllib.parse import quote, unquote_to_bytes

UNRESERVED = "-_.~"


def _aws_quote(raw: str) -> str:
    """Percent-decode one query component (bytes, `+` literal) and re-encode it."""
    return quote(unquote_to_bytes(raw), safe=UNRESERVED)


def canonical_query(raw_query: str) -> str:
    if not raw_query:
        return ""
    pairs = []
    for pair in raw_query.split("&"):
        if pair == "":
            continue
        name, _, value = pair.partition("=")
        pairs.append((_aws_quote(name), _aws_quote(value)))
    pairs.sort()
    return "&".join(f"{k}={v}" for k, v in pairs)


def _normalize_path(path: str) -> str:
    # botocore.utils.normalize_url_path: remove dot segments, keep a trailing slash
    if not path:
        return "/"
    normalized = posixpath.normpath(path)
    if normalized.startswith("//"):
        normalized = "/" + normalized.lstrip("/")
    if path.endswith("/") and normalized != "/":
        normalized += "/"
    return normalized


def canonical_uri(raw_path: str, service: str) -> str:
    if service == "s3":
        return raw_path or "/"
    return quote(_normalize_path(raw_path), safe="/~")


def canonical_headers(signed: list[str], header_values: dict[str, list[str]]) -> str | None:
    """header_values: lower-case name -> list of raw values. None if a signed header is missing."""
    lines = []
    for name in signed:
        values = header_values.get(name)
        if values is None:
            return None
        lines.append(name + ":" + ",".join(" ".join(v.split()) for v in values))
    return "\n".join(lines) + "\n"


def canonical_request(
    method: str,
    raw_path: str,
    raw_query: str,
    signed_headers: list[str],
    header_values: dict[str, list[str]],
    payload_hash: str,
    service: str,
) -> str | None:
    headers = canonical_headers(signed_headers, header_values)
    if headers is None:
        return None
    return "\n".join(
        [
            method.upper(),
            canonical_uri(raw_path, service),
            canonical_query(raw_query),
            headers,
            ";".join(signed_headers),
            payload_hash,
        ]
    )


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def signature(secret: str, amz_date: str, region: str, service: str, creq: str) -> str:
    date = amz_date[:8]
    scope = f"{date}/{region}/{service}/aws4_request"
    sts = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(creq.encode("utf-8")).hexdigest()]
    )
    k = _hmac(("AWS4" + secret).encode("utf-8"), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    k = _hmac(k, "aws4_request")
    return hmac.new(k, sts.encode("utf-8"), hashlib.sha256).hexdigest()


def parse_authorization(value: str) -> dict[str, str] | None:
    """`AWS4-HMAC-SHA256 Credential=AK/20250101/us-east-1/s3/aws4_request, SignedHeaders=a;b, Signature=hex`"""
    if not value or not value.startswith("AWS4-HMAC-SHA256 "):
        return None
    out: dict[str, str] = {}
    for part in value[len("AWS4-HMAC-SHA256 ") :].split(","):
        k, _, v = part.strip().partition("=")
        out[k] = v
    if not all(k in out for k in ("Credential", "SignedHeaders", "Signature")):
        return None
    scope = out["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        return None
    out["access_key_id"], out["date"], out["region"], out["service"] = scope[:4]
    return out

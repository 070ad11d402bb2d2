"""A local OpenID-style key server and token minter for the auth tests.

- Key: an RS256 (RSA 2048) or ES256 (P-256) key pair with a kid; jwk() is
  its public JWK, sign() a JWS signature made with `cryptography`.
- KeyServer: serves the public keys as a JWKS over http on 127.0.0.1 (any
  path, as Cognito's /{pool}/.well-known/jwks.json), counts its requests,
  rotates (add a key, retire one) and fails on demand (500, or a reply held
  back for 'hang_seconds'). Stopped by stop(); every wait is bounded.
- mint(): a compact JWS from a header and claims, signed by a Key, or with
  any alg/signature a test wants to forge (none, HS256, a wrong key).

No PyJWT: base64url and the JOSE encodings are written out here so the
tests control every byte of the token. `cryptography` comes with moto (a
dependency of the emulator, installed by CI's pip line) and with Debian's
python3-cryptography; only APIs present in both (38 and later) are used.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(obj) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


def _uint(n: int, size: int | None = None) -> bytes:
    size = size or max(1, (n.bit_length() + 7) // 8)
    return n.to_bytes(size, "big")


class Key:
    """A signing key pair; 'alg' is RS256 or ES256."""

    def __init__(self, kid: str, alg: str = "RS256"):
        self.kid = kid
        self.alg = alg
        if alg == "RS256":
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif alg == "ES256":
            self.private = ec.generate_private_key(ec.SECP256R1())
        else:
            raise ValueError(f"unsupported alg {alg}")
        self.public = self.private.public_key()

    def jwk(self) -> dict:
        """The public JWK, as Cognito and other issuers publish it."""
        if self.alg == "RS256":
            n = self.public.public_numbers()
            return {"kty": "RSA", "kid": self.kid, "alg": "RS256", "use": "sig",
                    "n": b64url(_uint(n.n)), "e": b64url(_uint(n.e))}  # fmt: skip
        n = self.public.public_numbers()
        return {"kty": "EC", "kid": self.kid, "alg": "ES256", "use": "sig", "crv": "P-256",
                "x": b64url(_uint(n.x, 32)), "y": b64url(_uint(n.y, 32))}  # fmt: skip

    def public_pem(self) -> bytes:
        return self.public.public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)  # fmt: skip

    def sign(self, signing_input: bytes) -> bytes:
        """The JWS signature: PKCS#1 v1.5 for RS256, raw r||s for ES256."""
        if self.alg == "RS256":
            return self.private.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        der = self.private.sign(signing_input, ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return _uint(r, 32) + _uint(s, 32)


def mint(key: Key | None, claims: dict, header: dict | None = None,
         hs256_secret: bytes | None = None, signature: bytes | None = None) -> str:  # fmt: skip
    """A compact JWS. The header defaults to {alg: key.alg, kid: key.kid,
    typ: JWT}; 'header' entries override or (value None) remove fields.
    Signed by 'key', or HMAC-SHA256 with 'hs256_secret', or carrying
    'signature' as given (b"" for alg none)."""
    h = {"alg": key.alg if key else "none", "typ": "JWT"}
    if key:
        h["kid"] = key.kid
    for k, v in (header or {}).items():
        if v is None:
            h.pop(k, None)
        else:
            h[k] = v
    signing_input = f"{b64url_json(h)}.{b64url_json(claims)}".encode()
    if signature is not None:
        sig = signature
    elif hs256_secret is not None:
        sig = hmac.new(hs256_secret, signing_input, hashlib.sha256).digest()
    else:
        assert key is not None
        sig = key.sign(signing_input)
    return f"{signing_input.decode()}.{b64url(sig)}"


class KeyServer:
    """A JWKS endpoint on 127.0.0.1. Use as a context manager."""

    def __init__(self):
        self.keys: list[Key] = []
        self.requests = 0  # JWKS requests answered or failed
        self.mode = "ok"  # ok | error (500) | hang (reply after hang_seconds)
        self.hang_seconds = 5.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._httpd is not None
        return self._httpd.server_address[1]

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/.well-known/jwks.json"

    def add_key(self, kid: str, alg: str = "RS256") -> Key:
        key = Key(kid, alg)
        with self._lock:
            self.keys.append(key)
        return key

    def retire(self, kid: str) -> None:
        with self._lock:
            self.keys = [k for k in self.keys if k.kid != kid]

    def jwks(self) -> bytes:
        with self._lock:
            return json.dumps({"keys": [k.jwk() for k in self.keys]}).encode()

    def count(self) -> int:
        with self._lock:
            return self.requests

    def start(self) -> KeyServer:
        ks = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                with ks._lock:
                    ks.requests += 1
                    mode = ks.mode
                if mode == "hang":
                    ks._stop.wait(ks.hang_seconds)
                if mode == "error":
                    body, status = b'{"error":"injected"}', 500
                else:
                    body, status = ks.jwks(), 200
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up waiting (hang mode)

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)  # fmt: skip
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread:
            self._thread.join(5)

    def __enter__(self) -> KeyServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def claims(issuer: str, audience: str | None = "s3json", scope: str = "s3json/read:*",
           sub: str = "client-1", lifetime: int = 300, **extra) -> dict:  # fmt: skip
    """Claims of a client-credentials access token, valid now."""
    now = int(time.time())
    c = {"iss": issuer, "sub": sub, "iat": now, "nbf": now - 1, "exp": now + lifetime,
         "scope": scope, "token_use": "access", "jti": f"{sub}-{time.monotonic_ns()}"}  # fmt: skip
    if audience is not None:
        c["aud"] = audience
    c.update(extra)
    return c


if __name__ == "__main__":
    # Self-check: the minted tokens verify with the published public keys.
    with KeyServer() as ks:
        for alg in ("RS256", "ES256"):
            k = ks.add_key(f"k-{alg}", alg)
            tok = mint(k, claims(ks.issuer))
            h, p, s = tok.split(".")
            raw = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
            data = f"{h}.{p}".encode()
            if alg == "RS256":
                k.public.verify(raw, data, padding.PKCS1v15(), hashes.SHA256())
            else:
                from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

                der = encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                           int.from_bytes(raw[32:], "big"))  # fmt: skip
                k.public.verify(der, data, ec.ECDSA(hashes.SHA256()))
        import urllib.request

        with urllib.request.urlopen(ks.jwks_url, timeout=5) as r:
            assert len(json.load(r)["keys"]) == 2 and ks.count() == 1
    print("keyserver: ok")

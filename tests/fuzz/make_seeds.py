#!/usr/bin/env python3
"""make_seeds.py -- writes the binary-layout seeds of fuzz_sigv4 and
fuzz_query, and the token and key-set seeds of fuzz_jwt and fuzz_jwks, into
tests/fuzz/corpus/ (the text seeds of the other targets are plain files
there). Run from anywhere; rewrites only its own files.

fuzz_jwt/fuzz_jwks seeds are signed by keys made here with python3
`cryptography` and thrown away: only public halves and signatures are
written (the fuzz target makes its own keys, so none of these verify
there; they give the parsers real shapes to mutate).

fuzz_sigv4 input (see fuzz.h, struct fdp): strings at the front, each ended
by a backslash and one other byte; integers read from the END, last byte
first: flags, method choice, time choice (bit 0: raw 64-bit time, bit 1:
"Host" rather than "host"), time (4 or 8 bytes, most significant first), query count, header count, query-value-NULL bits (4).
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def sigv4(strings, flags=0, method=0, now=0, tsel=0, nquery=0, nheaders=0,
          qnull=0, raw_now=None):
    front = b"".join(s.replace(b"\\", b"\\\\") + b"\\\n" for s in strings)
    back = [flags, method, tsel]
    if tsel & 1:
        back += list(struct.pack(">q", raw_now))
    else:
        back += list(struct.pack(">I", now))
    back += [nquery, nheaders] + list(struct.pack(">I", qnull))
    return front + bytes(reversed(back))


AKID = b"AKIAIOSFODNN7EXAMPLE"
SECRET = b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = (b"IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD"
         b"example+session/token==")
T0 = 0  # 2015-08-30T12:36:00Z, the AWS test suite's date

SIGV4 = {
    # S3 GetObject: key with spaces and unicode, as the client sends it
    "get_object": sigv4([b"/bucket/v1/a b/\xe2\x82\xac.json", AKID, SECRET],
                        flags=0x02),
    # ListObjectsV2 page 2, temporary credentials
    "list_v2": sigv4([b"/bucket", AKID, SECRET, TOKEN,
                      b"list-type", b"2", b"prefix", b"v1/docs/",
                      b"max-keys", b"1000", b"continuation-token",
                      b"1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="],
                     flags=0x06, now=86400 * 3000, nquery=4),
    # the AWS suite's get-vanilla-query-order-key-case and friends
    "query_order": sigv4([b"/", AKID, SECRET, b"Param2", b"value2",
                          b"Param1", b"value1", b"Param1", b"value0",
                          b"a", b"", b"~ sp+ce=&", b"%2F", b"flag"],
                         nquery=6, qnull=1 << 5),
    # normalize_path with dot segments and empty segments
    "normalize": sigv4([b"/a/./b/../../c//d/..//", AKID, SECRET],
                       flags=0x01),
    # headers: duplicates, case, folded values, multiline
    "headers": sigv4([b"/doc.json", AKID, SECRET, b"My-Header1",
                      b"  value1 \t folded\r\n  line ", b"my-header1",
                      b"value2", b"X-Amz-Meta-Empty", b"",
                      b"Range", b"bytes=0-1023"],
                     flags=0x02, tsel=2, nheaders=4),
    # header the signer adds itself -> SIGV4_BAD_INPUT
    "added_header": sigv4([b"/x", AKID, SECRET, b"X-Amz-Date",
                           b"20150830T123600Z"], nheaders=1),
    # UNSIGNED-PAYLOAD, custom region/service, HEAD
    "region": sigv4([b"/k", b"eu-central-1", b"s3", AKID, SECRET],
                    flags=0x50, method=1),
    # custom method and payload hash, time far away
    "custom": sigv4([b"PROPFIND", b"/", AKID, SECRET, b"x" * 64],
                    flags=0x80 | 0x40, method=255, tsel=1,
                    raw_now=253402300799),
}


def query(cap, default, maxv, value):
    return bytes([cap, default, maxv]) + value


QUERY = {
    "limit_10": query(255, 100, 200, b"10"),
    "limit_enc": query(16, 100, 200, b"%31%30%30"),
    "limit_big": query(255, 100, 200, b"1000000000"),
    "space_plus": query(32, 1, 1, b"a+b%20c"),
    "bad_escape": query(255, 1, 1, b"abc%2"),
    "nul": query(255, 1, 1, b"a%00b"),
    "cursor": query(255, 1, 1,
                    b"MXVlR2N4TFBSeDFUci9YWUV4SG5oYllMZ3ZlRHMySi93bTM2SHk0dmJPd009"),
    "cursor_short": query(8, 1, 1, b"YWJj"),
    "cursor_tail": query(255, 1, 1, b"YWI"),
    "cursor_noncanon": query(255, 1, 1, b"YWJ"),
    "cursor_encoded": query(255, 1, 1, b"YW%4Aj"),
}


def b64u(data):
    import base64
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def jwt_and_jwks():
    """(fuzz_jwt seeds, fuzz_jwks seeds), from throwaway keys."""
    import json
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    def n2b(n, size=None):
        return b64u(n.to_bytes(size or (n.bit_length() + 7) // 8, "big")).decode()

    rk = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ek = ec.generate_private_key(ec.SECP256R1())
    rp, ep = rk.public_key().public_numbers(), ek.public_key().public_numbers()
    rjwk = {"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig", "n": n2b(rp.n), "e": n2b(rp.e)}
    ejwk = {"kty": "EC", "kid": "e1", "crv": "P-256", "x": n2b(ep.x, 32), "y": n2b(ep.y, 32)}
    claims = {"iss": "https://issuer.test/pool", "client_id": "c1", "token_use": "access",
              "sub": "u1", "scope": "s3json/read:team:* s3json/read:foo", "iat": 1700000000,
              "exp": 1700000600}

    def token(header, body, key=None):
        si = b64u(json.dumps(header).encode()) + b"." + b64u(json.dumps(body).encode())
        if key is rk:
            sig = rk.sign(si, padding.PKCS1v15(), hashes.SHA256())
        elif key is ek:
            from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
            r, s_ = decode_dss_signature(ek.sign(si, ec.ECDSA(hashes.SHA256())))
            sig = r.to_bytes(32, "big") + s_.to_bytes(32, "big")
        else:
            sig = b"sig"
        return si + b"." + b64u(sig)

    jwt = {
        "rs256": b"\x00" + token({"alg": "RS256", "kid": "k1"}, claims, rk),
        "es256": b"\x00" + token({"alg": "ES256", "kid": "e1"}, claims, ek),
        "none": b"\x00" + token({"alg": "none", "kid": "k1"}, claims),
        "hs256": b"\x00" + token({"alg": "HS256", "kid": "k1"}, claims),
        "crit": b"\x00" + token({"alg": "RS256", "kid": "k1", "crit": ["x"]}, claims, rk),
        "claims": b"\x01" + json.dumps(claims).encode(),
        "claims_aud": b"\x01" + json.dumps(dict(claims, aud=["x", "c1"])).encode(),
        "claims_nbf": b"\x01" + json.dumps(dict(claims, nbf=1700000100, exp=1.7e9)).encode(),
        "scopes": b"\x02s3json/read:team:* openid  s3json/read:a:b\nteam/x",
        "scopes_all": b"\x02s3json/read:*\nfoo",
    }
    jwks = {
        "two": json.dumps({"keys": [rjwk, ejwk]}).encode(),
        "skipped": json.dumps({"keys": [dict(rjwk, use="enc", kid="x"), dict(rjwk, alg="RS512"),
                                        dict(ejwk, crv="P-384"), {"kty": "oct", "k": "AAAA", "kid": "o"},
                                        dict(ejwk, alg="RS256")]}).encode(),
        "dup": json.dumps({"keys": [rjwk, dict(ejwk, kid="k1")]}).encode(),
        "empty": b'{"keys":[]}',
    }
    return jwt, jwks


def write(target, seeds):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    write("sigv4", SIGV4)
    write("query", QUERY)
    JWT, JWKS = jwt_and_jwks()
    write("jwt", JWT)
    write("jwks", JWKS)

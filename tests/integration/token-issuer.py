#!/usr/bin/python3
"""A Docker token issuer for tests (distribution's "token" auth), on 127.0.0.1.

  GET /token?service=SVC&scope=repository:NAME:pull,push[&scope=...]
      [Authorization: Basic ...]
  -> {"token": JWT, "access_token": JWT, "expires_in": N, "issued_at": RFC3339}

The account given with --user is the only one accepted (wrong credentials:
401); it gets the actions it asks for. Anonymous requests get pull only.
Scopes come as several scope= parameters or space-separated in one. The JWT
is signed RS256 with --key; its header carries "x5c" (the signer's
certificate, which the registry's rootcertbundle holds) and the libtrust
"kid" of the key (distribution 2.8 looks at x5c first, then kid; --header kid
leaves x5c out so that the kid path is the one used).

Distribution 2.8.2 accepts a token up to 60 s past its "exp" (Leeway in
registry/auth/token). With --expires N the token says expires_in N and its
exp claim is issued_at + N - 60, so the registry really refuses it N seconds
after issue: short-lived tokens then test a client's refresh.

Each request is logged to --log as one line:
  GET /token user=USER|- scopes=S1;S2 granted=S1';S2' status=CODE
"""
import argparse
import base64
import datetime
import hashlib
import json
import os
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

LEEWAY = 60  # distribution 2.8.2, registry/auth/token/token.go


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def libtrust_kid(public_key):
    """libtrust's key ID: base32 of the first 30 bytes of sha256(SPKI DER),
    in 12 groups of 4 joined by ':'."""
    der = public_key.public_bytes(serialization.Encoding.DER,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    s = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(s[i:i + 4] for i in range(0, len(s), 4))


def parse_scope(s):
    """repository:NAME:a,b -> (type, name, [actions]); None if malformed."""
    parts = s.split(":")
    if len(parts) < 3:
        return None
    return parts[0], ":".join(parts[1:-1]), [a for a in parts[-1].split(",") if a]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--user", help="USER:PASS, the one account accepted")
    ap.add_argument("--expires", type=int, help="short-lived tokens (see above)")
    ap.add_argument("--header", choices=["x5c", "kid"], default="x5c")
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args()

    with open(a.key, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    with open(a.cert, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    header = {"typ": "JWT", "alg": "RS256", "kid": libtrust_kid(key.public_key())}
    if a.header == "x5c":
        header["x5c"] = [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()]
    user, password = (a.user.split(":", 1) if a.user else (None, None))
    log_lock = threading.Lock()

    def sign(claims):
        head = b64url(json.dumps(header, separators=(",", ":")).encode())
        body = b64url(json.dumps(claims, separators=(",", ":")).encode())
        sig = key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{head}.{body}.{b64url(sig)}"

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def reply(self, code, obj, extra=()):
            data = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in extra:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def log_line(self, who, scopes, granted, code):
            with log_lock, open(a.log, "a") as f:
                f.write(f"{self.command} {urlsplit(self.path).path} user={who or '-'} "
                        f"scopes={';'.join(scopes) or '-'} granted={';'.join(granted) or '-'} "
                        f"status={code}\n")

        def do_GET(self):
            u = urlsplit(self.path)
            q = parse_qs(u.query)
            scopes = [s for v in q.get("scope", []) for s in v.split(" ") if s]
            if u.path != "/token":
                self.log_line(None, scopes, [], 404)
                return self.reply(404, {"errors": [{"code": "NOT_FOUND", "message": "no such path"}]})
            who = None
            auth = self.headers.get("Authorization", "")
            if auth:
                ok = False
                if auth.lower().startswith("basic "):
                    try:
                        u_, p_ = base64.b64decode(auth[6:].strip()).decode().split(":", 1)
                        ok = user is not None and u_ == user and p_ == password
                        who = u_
                    except (ValueError, UnicodeDecodeError):
                        pass
                if not ok:
                    self.log_line(who or "?", scopes, [], 401)
                    return self.reply(401, {"errors": [{"code": "UNAUTHORIZED",
                                                        "message": "bad credentials"}]},
                                      [("WWW-Authenticate", 'Basic realm="v2c-test-issuer"')])
            access, granted = [], []
            for s in scopes:
                p = parse_scope(s)
                if not p:
                    continue
                typ, name, actions = p
                if who:
                    allowed = actions
                elif typ == "repository":
                    allowed = [x for x in actions if x == "pull"]
                else:
                    allowed = []
                access.append({"type": typ, "name": name, "actions": allowed})
                granted.append(f"{typ}:{name}:{','.join(allowed)}")
            now = int(time.time())
            expires_in = a.expires if a.expires else 300
            exp = now + a.expires - LEEWAY if a.expires else now + expires_in
            claims = {
                "iss": a.issuer, "sub": who or "", "aud": q.get("service", [a.service])[0],
                "exp": exp, "nbf": now, "iat": now, "jti": uuid.uuid4().hex, "access": access,
            }
            tok = sign(claims)
            issued = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
            self.log_line(who, scopes, granted, 200)
            self.reply(200, {"token": tok, "access_token": tok, "expires_in": expires_in,
                             "issued_at": issued.strftime("%Y-%m-%dT%H:%M:%SZ")})

        def do_POST(self):  # the OAuth2 form (docker with refresh tokens): not served
            n = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(n)
            self.log_line(None, [], [], 405)
            self.reply(405, {"errors": [{"code": "UNSUPPORTED", "message": "use GET"}]})

    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{srv.server_address[1]}\n")
    os.rename(tmp, a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""An HTTP/1.1 reverse proxy for tests that injects deterministic faults.

  fault-proxy.py --upstream HOST:PORT --mode-file F --log F --port-file F
                 [--listen 127.x.y.z] [--redirect-to HOST:PORT] [--challenge VALUE]
                 [--log-auth]

Listens on 127.0.0.1 (or the loopback address --listen names; a free port,
written to --port-file) and forwards each
request, head and body streamed as they come (Content-Length or chunked,
relayed as is), to the plain-http upstream over one upstream connection per
client connection. Nothing is rewritten but:
  - Host is passed on unchanged, so the registry builds its Location URLs
    with the proxy's address; a Location that still names the upstream is
    rewritten to the proxy anyway;
  - "Expect: 100-continue" is answered by the proxy itself and not passed on.

The mode file holds the faults, re-read at every request (a changed file
restarts the counters; lines starting with # are ignored). A mode is "none" or comma-separated FAULT@WHICH:
  FAULT  500 (or any 4xx/5xx code): answered by the proxy, not forwarded
           (the request body is read and dropped); 429 adds Retry-After: 1
         cut: the request is read whole, then the connection is closed with
           no reply (the upstream never sees it)
         cutbody: a request with a body is forwarded with half its body (half
           of the first chunk when chunked), then both connections close; a
           request without one is forwarded whole and the response is cut
           halfway through its body (or, if it has none, never sent: the
           upstream did the work, the client sees a closed connection)
         401: with --challenge, the reply carries WWW-Authenticate: VALUE
         redirect: answered 307 with Location http://REDIRECT_TO/same-target
           (--redirect-to, another loopback address); not forwarded
         endless: answered 200 (application/octet-stream, no length,
           Connection: close) with zeros until the client hangs up, at most
           ENDLESS_MAX bytes or ENDLESS_SECONDS; logged with sent=BYTES
         drip: forwarded; the reply's head is relayed, its body one byte a
           second (at most DRIP_SECONDS, then the connection closes)
         digest: forwarded; the reply's Docker-Content-Digest (when it has
           one) is replaced by another digest (the sha256 of the real one):
           a registry that says it stored the blob or manifest as something
           else; logged with fault=digest
  WHICH  N       the Nth request (1-based, counting every request)
         N+      the Nth and every later one
         everyK  every Kth PATCH or PUT (PATCH and PUT counted together)
         METHOD:N, METHOD:N+, METHOD:everyK  counting only that method
         METHOD/WORD:...  counting only that method on targets holding /WORD/
           (GET/blobs:2 is the second blob GET)
The first fault that matches a request applies.

Log (--log), one line per request when it ends:
  N METHOD TARGET fault=none|500|429|cut|cutbody-request|cutbody-response status=CODE|-
(with --log-auth, " auth=SCHEME" or " auth=-" is added: the scheme of the
request's Authorization header, never its value)
(TARGET with the long _state value shortened to _state=...); a TLS
handshake (clients try https first) is refused, logged as
"- TLS-handshake ..." and not counted.
"""
import argparse
import hashlib
import os
import re
import socket
import socketserver
import sys
import threading
import time

BUF = 65536
IO_TIMEOUT = 120
ENDLESS_MAX = 256 << 20
ENDLESS_SECONDS = 60
DRIP_SECONDS = 120


class Cut(Exception):
    pass


def parse_mode(text):
    """The first line that is not a comment; '#' lines only mark a new mode
    (fault_proxy_mode adds one so that even the same mode restarts)."""
    lines = [x for x in text.splitlines() if x.strip() and not x.lstrip().startswith("#")]
    faults = []
    for item in (lines[0] if lines else "").replace(" ", "").split(","):
        if not item or item == "none":
            continue
        m = re.fullmatch(r"(\d{3}|cut|cutbody|redirect|endless|drip|digest)@(?:([A-Z]+)(?:/([a-z]+))?:)?"
                         r"(?:(\d+)(\+?)|every(\d+))", item)
        if not m:
            raise ValueError(f"bad fault {item!r}")
        kind, method, word, n, plus, every = m.groups()
        key = f"{method}/{word}" if word else method
        if every:
            faults.append((kind, key, "every", int(every)))
        else:
            faults.append((kind, key, "from" if plus else "n", int(n)))
    return faults


class State:
    def __init__(self, mode_file, log_file):
        self.mode_file, self.log_file = mode_file, log_file
        self.lock = threading.Lock()
        self.mode_text = None
        self.faults = []
        self.counts = {}

    def next(self, method, target):
        with self.lock:
            try:
                with open(self.mode_file) as f:
                    text = f.read().strip()
            except OSError:
                text = self.mode_text or "none"
            if text != self.mode_text:
                self.mode_text, self.counts = text, {}
                try:
                    self.faults = parse_mode(text)
                except ValueError as e:
                    print(f"fault-proxy: {e}; no faults", file=sys.stderr)
                    self.faults = []
            c = self.counts
            c["*"] = c.get("*", 0) + 1
            c[method] = c.get(method, 0) + 1
            if method in ("PATCH", "PUT"):
                c["PATCH/PUT"] = c.get("PATCH/PUT", 0) + 1
            words = {f for _, f, _, _ in self.faults if f and "/" in f and f != "PATCH/PUT"}
            path = target.split("?", 1)[0]
            for f in words:
                fm, fw = f.split("/", 1)
                if fm == method and f"/{fw}/" in path:
                    c[f] = c.get(f, 0) + 1
            n = c["*"]
            for kind, fmethod, sel, k in self.faults:
                if fmethod and fmethod.split("/", 1)[0] != method:
                    continue
                if fmethod and "/" in fmethod and f"/{fmethod.split('/', 1)[1]}/" not in path:
                    continue
                if sel == "every":
                    key = fmethod or "PATCH/PUT"
                    if key == "PATCH/PUT" and method not in ("PATCH", "PUT"):
                        continue
                    if c[key] % k == 0:
                        return n, kind
                else:
                    cnt = c[fmethod] if fmethod else n
                    if cnt == k or (sel == "from" and cnt >= k):
                        return n, kind
            return n, None

    def log(self, line):
        with self.lock, open(self.log_file, "a") as f:
            f.write(line + "\n")


def read_head(r):
    """(first line, [(name, value)]) or None at a clean EOF."""
    first = r.readline(16384)
    if not first:
        return None
    if not first.endswith(b"\n"):
        raise EOFError("head cut short")
    headers, total = [], 0
    while True:
        line = r.readline(16384)
        total += len(line)
        if not line.endswith(b"\n") or total > 256 * 1024:
            raise EOFError("head cut short")
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
    return first.decode("latin-1").rstrip("\r\n"), headers


def hget(headers, name, default=""):
    for k, v in headers:
        if k.lower() == name:
            return v
    return default


def framing(headers):
    """('chunked', None), ('fixed', N) or (None, 0)"""
    if "chunked" in hget(headers, "transfer-encoding").lower():
        return "chunked", None
    cl = hget(headers, "content-length")
    if cl:
        return "fixed", int(cl)
    return None, 0


def build_head(first, headers):
    return (first + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n").encode("latin-1")


def iter_fixed(r, n):
    while n > 0:
        b = r.read1(min(BUF, n))
        if not b:
            raise EOFError("body cut short")
        n -= len(b)
        yield b, len(b)


def iter_chunked(r, on_first_size=None):
    first = True
    while True:
        line = r.readline(1024)
        if not line.endswith(b"\n"):
            raise EOFError("chunk size cut short")
        size = int(line.split(b";")[0].strip(), 16)
        if first and on_first_size:
            on_first_size(size)
        first = False
        yield line, 0
        if size == 0:
            while True:
                t = r.readline(16384)
                if not t.endswith(b"\n"):
                    raise EOFError("trailer cut short")
                yield t, 0
                if t in (b"\r\n", b"\n"):
                    return
        left = size
        while left > 0:
            b = r.read1(min(BUF, left))
            if not b:
                raise EOFError("chunk cut short")
            left -= len(b)
            yield b, len(b)
        crlf = r.readline(8)
        if not crlf.endswith(b"\n"):
            raise EOFError("chunk end cut short")
        yield crlf, 0


def iter_until_close(r):
    while True:
        b = r.read1(BUF)
        if not b:
            return
        yield b, len(b)


def body_iter(r, frame, length, limit_box=None):
    if frame == "chunked":
        cb = (lambda s: limit_box.__setitem__(0, s // 2)) if limit_box is not None else None
        return iter_chunked(r, cb)
    if frame == "fixed":
        if limit_box is not None:
            limit_box[0] = length // 2
        return iter_fixed(r, length)
    if frame == "close":
        return iter_until_close(r)
    return iter(())


def relay(gen, dst, limit_box=None):
    """Copies the pieces to dst; with limit_box, stops (raises Cut) once
    limit_box[0] payload bytes were sent."""
    sent = 0
    for piece, nd in gen:
        lim = limit_box[0] if limit_box is not None else None
        if lim is not None and nd and sent + nd > lim:
            if dst is not None and lim > sent:
                dst.sendall(piece[:lim - sent])
            raise Cut()
        if dst is not None:
            dst.sendall(piece)
        sent += nd
    if limit_box is not None and limit_box[0] is not None:
        raise Cut()  # fewer payload bytes than the limit: cut at the end


def upstream_alive(s):
    # A socket with a timeout waits for data even with MSG_DONTWAIT: peek
    # in non-blocking mode, then restore the timeout.
    timeout = s.gettimeout()
    s.setblocking(False)
    try:
        return s.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        s.settimeout(timeout)


def error_reply(code, close, challenge=None):
    reason = {401: "Unauthorized", 429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
              503: "Service Unavailable"}.get(code, "Injected Fault")
    errcode = "TOOMANYREQUESTS" if code == 429 else "UNKNOWN"
    body = ('{"errors":[{"code":"%s","message":"injected by fault-proxy","detail":null}]}\n'
            % errcode).encode()
    head = [f"HTTP/1.1 {code} {reason}", "Content-Type: application/json; charset=utf-8",
            f"Content-Length: {len(body)}"]
    if code == 429:
        head.append("Retry-After: 1")
    if code == 401 and challenge:
        head.append(f"WWW-Authenticate: {challenge}")
    if close:
        head.append("Connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True, help="HOST:PORT (plain http)")
    ap.add_argument("--mode-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--listen", default="127.0.0.1", help="a loopback address")
    ap.add_argument("--redirect-to", help="HOST:PORT on loopback, for the redirect fault")
    ap.add_argument("--challenge", help="WWW-Authenticate of injected 401 replies")
    ap.add_argument("--log-auth", action="store_true")
    a = ap.parse_args()
    if not a.listen.startswith("127."):
        ap.error("--listen takes a loopback address (127.0.0.0/8)")
    if a.redirect_to and not a.redirect_to.startswith("127."):
        ap.error("--redirect-to takes a loopback HOST:PORT")
    up_host, _, up_port = a.upstream.rpartition(":")
    state = State(a.mode_file, a.log)
    proxy_addr = [None]

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            c = self.request
            c.settimeout(IO_TIMEOUT)
            cr = c.makefile("rb", buffering=BUF)
            up = ur = None
            n, method, target, kind, status = 0, "-", "-", None, "-"

            auth = ["-"]

            def log(fault, st):
                t = re.sub(r"_state=[^&]*", "_state=...", target)
                extra = f" auth={auth[0]}" if a.log_auth else ""
                state.log(f"{n} {method} {t} fault={fault} status={st}{extra}")

            try:
                # A client told the address is insecure tries TLS first
                # (containers/image, docker) and then plain http: refuse the
                # handshake quietly, without counting it as a request.
                if cr.peek(1)[:1] == b"\x16":
                    state.log("- TLS-handshake fault=none status=refused")
                    return
                while True:
                    head = read_head(cr)
                    if head is None:
                        return
                    first, headers = head
                    method, target, version = (first.split(" ", 2) + ["", ""])[:3]
                    n, kind = state.next(method, target)
                    auth[0] = (hget(headers, "authorization").split(" ", 1)[0] or "-")
                    frame, length = framing(headers)
                    has_body = frame == "chunked" or (frame == "fixed" and length > 0)
                    expect = hget(headers, "expect").lower() == "100-continue"
                    closing = "close" in hget(headers, "connection").lower() or version == "HTTP/1.0"

                    if kind and kind[0].isdigit():
                        code = int(kind)
                        if expect and has_body:  # the client waits: answer, close
                            c.sendall(error_reply(code, True, a.challenge))
                            log(kind, code)
                            return
                        relay(body_iter(cr, frame, length), None)
                        c.sendall(error_reply(code, closing, a.challenge))
                        log(kind, code)
                        if closing:
                            return
                        continue
                    if kind == "redirect":
                        relay(body_iter(cr, frame, length), None)
                        c.sendall((f"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://{a.redirect_to}{target}\r\n"
                                   "Content-Length: 0\r\n\r\n").encode())
                        log("redirect", 307)
                        continue
                    if kind == "endless":
                        relay(body_iter(cr, frame, length), None)
                        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                                  b"Connection: close\r\n\r\n")
                        sent, zeros, t_end = 0, bytes(BUF), time.monotonic() + ENDLESS_SECONDS
                        try:
                            while sent < ENDLESS_MAX and time.monotonic() < t_end:
                                c.sendall(zeros)
                                sent += len(zeros)
                        except OSError:
                            pass
                        log("endless", f"200 sent={sent}")
                        return
                    if kind == "cut":
                        if expect and has_body:
                            c.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                        relay(body_iter(cr, frame, length), None)
                        log("cut", "-")
                        return

                    if up is None or not upstream_alive(up):
                        if up is not None:
                            up.close()
                        try:
                            up = socket.create_connection((up_host, int(up_port)), timeout=10)
                        except OSError:
                            up = None
                            relay(body_iter(cr, frame, length), None)
                            c.sendall(error_reply(502, True))
                            log(kind or "none", "502-upstream-down")
                            return
                        up.settimeout(IO_TIMEOUT)
                        ur = up.makefile("rb", buffering=BUF)
                    fwd = [(k, v) for k, v in headers if k.lower() != "expect"]
                    up.sendall(build_head(first, fwd))
                    if has_body:
                        if expect:
                            c.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                        box = [None] if kind == "cutbody" else None
                        try:
                            relay(body_iter(cr, frame, length, box), up, box)
                        except Cut:
                            log("cutbody-request", "-")
                            return
                    while True:
                        rh = read_head(ur)
                        if rh is None:
                            raise EOFError("upstream closed before answering")
                        status = int(rh[0].split(" ", 2)[1])
                        if not 100 <= status < 200:
                            break
                    rfirst, rheaders = rh
                    out = []
                    for k, v in rheaders:
                        if kind == "digest" and k.lower() == "docker-content-digest":
                            v = "sha256:" + hashlib.sha256(v.encode()).hexdigest()
                        if k.lower() == "location":
                            for scheme in ("http://", "https://"):
                                if v.startswith(scheme + a.upstream):
                                    v = "http://" + proxy_addr[0] + v[len(scheme + a.upstream):]
                        out.append((k, v))
                    if method == "HEAD" or status in (204, 304):
                        rframe, rlen = None, 0
                    else:
                        rframe, rlen = framing(rheaders)
                        if rframe is None:
                            rframe = "close"
                    up_closing = "close" in hget(rheaders, "connection").lower() or rframe == "close"
                    if kind == "cutbody":
                        if rframe is None or (rframe == "fixed" and rlen == 0):
                            relay(body_iter(ur, rframe, rlen), None)
                            log("cutbody-response", f"{status}-not-sent")
                            return
                        c.sendall(build_head(rfirst, out))
                        box = [None]
                        try:
                            relay(body_iter(ur, rframe, rlen, box), c, box)
                        except Cut:
                            pass
                        log("cutbody-response", status)
                        return
                    if kind == "drip":
                        c.sendall(build_head(rfirst, out))
                        t_end = time.monotonic() + DRIP_SECONDS
                        try:
                            for piece, _ in body_iter(ur, rframe, rlen):
                                for i in range(len(piece)):
                                    if time.monotonic() > t_end:
                                        raise Cut()
                                    c.sendall(piece[i:i + 1])
                                    time.sleep(1)
                        except (Cut, OSError):
                            pass
                        log("drip", status)
                        return
                    c.sendall(build_head(rfirst, out))
                    relay(body_iter(ur, rframe, rlen), c)
                    log(kind or "none", status)
                    if closing or up_closing:
                        return
            except (OSError, EOFError, ValueError) as e:
                if n:
                    log(kind or "none", f"error:{type(e).__name__}")
            finally:
                for s in (cr, ur, up):
                    try:
                        if s is not None:
                            s.close()
                    except OSError:
                        pass

    class Server(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True

    srv = Server((a.listen, a.port), Handler)
    proxy_addr[0] = f"{a.listen}:{srv.server_address[1]}"
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

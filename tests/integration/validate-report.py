#!/usr/bin/env python3
"""The one validator of `v2c inspect --json` reports: every test that checks
a report runs it (tests/integration/test-*.sh through lib.sh's
validate_report).

usage: validate-report.py [--expect debian|alpine] [--secret-values FILE]
                          [--text TEXT_OUTPUT] REPORT.json

Always: the JSON Schema (docs/inspect-report.schema.json), then v2c's own
rules that the schema cannot say (docs/inspect-report.md): the sort orders
that make the same guest give the same bytes, no duplicate, every guest
path absolute and inside the guest, every reference (a secret's services,
a service's secret_files, connects_to) naming something the report holds.
--expect NAME: what that fixture guest was built to contain.
--secret-values FILE: no planted secret value (a keyline or value line of
the fixture's secret-values.txt) in the report, nor in --text's file.
Prints one line per check ("ok - ", "not ok - "); exits 1 if any fails,
2 on a usage error.
"""
import argparse
import json
import os
import sys

import jsonschema

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "inspect-report.schema.json")
fails = 0


def check(desc, cond):
    global fails
    print(("ok - " if cond else "not ok - ") + desc)
    if not cond:
        fails += 1


def first_bad(items, good):
    """The first item of items that is not good, or None."""
    return next((i for i in items if not good(i)), None)


PATH_FIELDS = ("config_files", "app_files", "data_paths", "log_files", "environment_files", "libraries")


def guest_path(p):
    """A path inside the guest: absolute, no empty, "." or ".." component
    (a directory may end with one "/")."""
    p = p[:-1] if len(p) > 1 and p.endswith("/") else p
    return p.startswith("/") and (p == "/" or all(c not in ("", ".", "..") for c in p[1:].split("/")))


def semantic(rep):
    """v2c's rules beyond the schema, for every report."""
    services, secrets = rep["services"], rep["secrets"]
    keys = [(s["name"], s["kind"]) for s in services]
    check("services sorted by name then kind, none twice",
          keys == sorted(keys) and len(set(keys)) == len(keys))
    skeys = [(s["path"], s["kind"]) for s in secrets]
    check("secrets sorted by path then kind, none twice",
          skeys == sorted(skeys) and len(set(skeys)) == len(skeys))
    check("warnings sorted", rep["warnings"] == sorted(rep["warnings"]))
    bad = first_bad(services, lambda s: s["packages"] == sorted(set(s["packages"])))
    check("every service's packages sorted, none twice%s" % ("" if bad is None else " (not %s)" % bad["name"]),
          bad is None)
    bad = first_bad(services, lambda s: len({(p["port"], p["proto"]) for p in s["ports"]}) == len(s["ports"]))
    check("no port listed twice for one service%s" % ("" if bad is None else " (%s)" % bad["name"]), bad is None)
    paths = [(s["name"], p) for s in services for f in PATH_FIELDS for p in s.get(f, [])]
    paths += [(s["name"], p) for s in services for d in s["directories"].values() for p in d]
    # (exec.path is not here: an executable not found in the guest is kept
    # as written, with a warning.)
    paths += [(s["name"], s["unit_path"]) for s in services if s["unit_path"]]
    paths += [("secrets", s["path"]) for s in secrets]
    bad = first_bad(paths, lambda np: guest_path(np[1]))
    check("every guest path absolute, with no . or .. component%s" % ("" if bad is None else " (%s: %s)" % bad),
          bad is None)
    bad = first_bad(services, lambda s: len(s["reasons"]) > 0)
    check("every service says why it has its class%s" % ("" if bad is None else " (not %s)" % bad["name"]),
          bad is None)
    bad = first_bad(services, lambda s: s["kind"] != "timer" or bool(s["triggers"]))
    check("every timer names the service it starts%s" % ("" if bad is None else " (not %s)" % bad["name"]),
          bad is None)
    names = {s["name"] for s in services}
    bad = first_bad([(x["path"], n) for x in secrets for n in x.get("services", [])], lambda pn: pn[1] in names)
    check("every secret's services are services of the report%s" % ("" if bad is None else " (%s: %s)" % bad),
          bad is None)
    # secret_files: secrets of the report attributed to the service, never
    # one of its EnvironmentFile=s (systemd reads those, not the service).
    # Not all of them: a key lying in a web root is served, not used.
    bad = None
    for s in services:
        have = {(f["path"], f["kind"]) for f in s.get("secret_files", [])}
        mine = {(x["path"], x["kind"]) for x in secrets
                if s["name"] in x.get("services", []) and x["path"] not in s["environment_files"]}
        if not have <= mine:
            bad = "%s: %s" % (s["name"], sorted(have - mine))
            break
    check("every service's secret_files are secrets of it, none an EnvironmentFile=%s"
          % ("" if bad is None else " (%s)" % bad), bad is None)
    bad = first_bad([(s["name"], c) for s in services for c in s["connects_to"]],
                    lambda nc: nc[1]["service"] in names and nc[1]["service"] != nc[0]
                    and (("port" in nc[1]) or nc[1]["address"] is None))
    check("every connects_to names another service of the report%s" % ("" if bad is None else " (%s -> %s)"
                                                                        % (bad[0], bad[1]["service"])),
          bad is None)
    # Versions and digests (absent in reports of an older v2c): of the
    # service's own packages and config_files, in their order, and never
    # a digest of a secret's file (the sha256 of a short password file is
    # the password, to an offline search).
    bad = first_bad(services, lambda s: list(s.get("package_versions", {})) == [
        p for p in s["packages"] if p in s.get("package_versions", {})])
    check("every service's package_versions are of its packages, in their order%s"
          % ("" if bad is None else " (not %s)" % bad["name"]), bad is None)
    bad = first_bad(services, lambda s: list(s.get("config_digests", {})) == [
        c for c in s["config_files"] if c in s.get("config_digests", {})])
    check("every service's config_digests are of its config_files, in their order%s"
          % ("" if bad is None else " (not %s)" % bad["name"]), bad is None)
    secret_paths = {x["path"] for x in secrets}
    bad = first_bad([(s["name"], p) for s in services for p in s.get("config_digests", {})],
                    lambda np: np[1] not in secret_paths and np[1] not in
                    {f["path"] for s in services if s["name"] == np[0] for f in s.get("secret_files", [])})
    check("no config digest of a secret's file%s" % ("" if bad is None else " (%s: %s)" % bad), bad is None)
    bad = first_bad([e for s in services for e in s["environment"]], lambda e: "=" in e and not e.startswith("="))
    check("every environment entry is KEY=VALUE%s" % ("" if bad is None else " (%r)" % bad), bad is None)


def expect_debian(rep, text_path):
    """tests/fixtures/debian (build-root.sh): what it was built to contain."""
    svc = {s["name"]: s for s in rep["services"]}
    os_ = rep["os"]
    check("schema is v2c.inspect/1", rep["schema"] == "v2c.inspect/1")
    check("distro debian 12", os_["distro"] == "debian" and os_["version"].startswith("12"))
    check("arch x86_64", os_["arch"] == "x86_64")
    check("hostname fixture-web01", os_["hostname"] == "fixture-web01")
    check("package format dpkg", os_["package_format"] == "dpkg")
    check("init systemd", os_["init"] == "systemd")
    check("installed packages counted (%d)" % os_["packages"], os_["packages"] >= 20)


    def ports(name):
        return sorted(p["port"] for p in svc.get(name, {}).get("ports", []))


    def klass(name):
        return svc.get(name, {}).get("class")


    expect = {
        "nginx": ("stateless", [8080, 8443]),
        "webapp": ("stateless", [8000]),
        "hello": ("stateless", [8081]),
        "status-page": ("stateful", [80]),
        "postgresql@15-main": ("stateful", [5433]),
        "redis-server": ("stateful", [6380]),
        "worker": ("stateful", []),
        "ssh": ("system", [2222]),
        "cron": ("system", []),
        "echo": (None, [7777]),
        "legacy-app": (None, [9090]),
        "ledger": ("stateful", [9191]),
        "notes": ("stateful", [8090]),
        "uploads-sync": ("stateful", []),
        "heartbeat": ("stateless", []),
        "sync-agent": ("review", []),
        # Stock Debian daemons, ports from their own configs or their
        # built-in defaults.
        "squid": (None, [3128]),
        "named": (None, [53, 53]),
        "dovecot": (None, [143, 993]),
        "tomcat10": (None, [8080]),
        "postfix@-": (None, [25]),
        "postfix@postfix-out": (None, [2525]),
        "mariadb": ("stateful", [3306]),
    }
    for name, (k, p) in expect.items():
        check("service %s found" % name, name in svc)
        if k:
            check("%s is %s (got %s)" % (name, k, klass(name)), klass(name) == k)
        check("%s listens on %s (got %s)" % (name, p, ports(name)), ports(name) == p)

    check("memcached (installed, not enabled) is not listed", "memcached" not in svc)
    check("postfix's /bin/true wrapper is not listed, its instance is", "postfix" not in svc and "postfix@-" in svc)


    def sources(name):
        return sorted("%d/%s %s" % (p["port"], p["proto"], p["source"]) for p in svc.get(name, {}).get("ports", []))


    for name, want in [
            ("squid", ["3128/tcp config:/etc/squid/squid.conf"]),
            ("named", ["53/tcp default:named", "53/udp default:named"]),
            ("dovecot", ["143/tcp default:dovecot", "993/tcp default:dovecot"]),
            ("tomcat10", ["8080/tcp config:/etc/tomcat10/server.xml"]),
            ("postfix@-", ["25/tcp config:/etc/postfix/master.cf"]),
            ("postfix@postfix-out", ["2525/tcp config:/etc/postfix-out/master.cf"]),
            # bookworm's unit runs 'sh -c "... exec /usr/sbin/mariadbd ..."'
            ("mariadb", ["3306/tcp default:mysql"])]:
        check("%s ports come from %s (got %s)" % (name, want, sources(name)), sources(name) == want)
    check("postfix@- runs postmulti for instance -",
          svc.get("postfix@-", {}).get("exec", {}).get("argv", []) == ["/usr/sbin/postmulti", "-i", "-", "-p", "start"])
    check("getty@tty1 is system", klass("getty@tty1") == "system")
    check("legacy-app is a SysV service", svc.get("legacy-app", {}).get("kind") == "sysv")
    check("legacy-app runs /usr/local/bin/legacy-daemon",
          svc.get("legacy-app", {}).get("exec", {}).get("path") == "/usr/local/bin/legacy-daemon")
    timers = [s for s in rep["services"] if s["kind"] == "timer"]
    check("backup timer triggers backup", any(s["name"] == "backup" and s["triggers"] == "backup" for s in timers))
    check("apt-daily timer is system", klass("apt-daily") == "system")
    check("masked fstrim.timer is not listed", "fstrim" not in svc)
    crons = [s for s in rep["services"] if s["kind"] == "cron"]
    check("cron jobs from /etc/cron.d and user crontabs",
          any(s["exec"]["path"] == "/usr/local/bin/logcleanup.sh" for s in crons)
          and any(s["user"] == "webapp" for s in crons))

    pg = svc.get("postgresql@15-main", {})
    check("postgresql reason names PG_VERSION",
          any("PG_VERSION" in r and "/var/lib/postgresql/15/main" in r for r in pg.get("reasons", [])))
    check("postgresql runs as postgres", pg.get("user") == "postgres")
    check("postgresql argv resolved %i", pg.get("exec", {}).get("argv", [])[:5] ==
          ["/usr/bin/pg_ctlcluster", "--skip-systemctl-redirect", "15-main", "start"][:5])
    nginx = svc.get("nginx", {})
    check("nginx is owned by package nginx", "nginx" in nginx.get("packages", []))
    check("nginx package closure has libc6", "libc6" in nginx.get("packages", []))
    check("nginx config files include nginx.conf and the site",
          "/etc/nginx/nginx.conf" in nginx.get("config_files", [])
          and any("sites-enabled/default" in c or "sites-available/default" in c for c in nginx.get("config_files", [])))
    check("nginx drop-in applied (NGINX_EXTRA)", any(e.startswith("NGINX_EXTRA=") for e in nginx.get("environment", [])))
    check("nginx is Type=forking", nginx.get("type") == "forking")
    hello = svc.get("hello", {})
    check("hello-server library closure has libc.so.6",
          any(l.endswith("/libc.so.6") for l in hello.get("libraries", [])))
    check("hello runs with DynamicUser", hello.get("dynamic_user") is True)
    sp = svc.get("status-page", {}).get("hardening", {})
    check("status-page (www-data, port 80) gets CAP_NET_BIND_SERVICE from its executable's file capability",
          [(c["name"], c["from"]) for c in sp.get("capabilities", [])]
          == [("CAP_NET_BIND_SERVICE", "file capability of /usr/local/bin/status-server")])
    check("hello's executable is an application file",
          "/usr/local/bin/hello-server" in hello.get("app_files", []))
    web = svc.get("webapp", {})
    check("webapp runs as webapp", web.get("user") == "webapp")
    check("webapp packages include python3.11 (the full interpreter, not only -minimal)",
          "python3.11" in web.get("packages", []) and "libpython3.11-stdlib" in web.get("packages", []))
    check("webapp app files include app.py", "/opt/webapp/app.py" in web.get("app_files", []))
    check("webapp environment file listed", "/etc/webapp/webapp.env" in web.get("environment_files", []))
    redis = svc.get("redis-server", {})
    check("redis data path /var/lib/redis", "/var/lib/redis" in redis.get("data_paths", []))
    check("nginx's package version and nginx.conf's digest are reported",
          bool(nginx.get("package_versions", {}).get("nginx"))
          and nginx.get("config_digests", {}).get("/etc/nginx/nginx.conf", "").startswith("sha256:"))
    check("redis.conf (requirepass: a secret, and redis's configuration) has no digest",
          "/etc/redis/redis.conf" in svc.get("redis-server", {}).get("config_files", [])
          and "/etc/redis/redis.conf" not in svc.get("redis-server", {}).get("config_digests", {"": ""}))

    worker = svc.get("worker", {})
    check("worker reasons name its StateDirectory",
          any("StateDirectory" in r for r in worker.get("reasons", [])))
    echo = svc.get("echo", {})
    check("echo port comes from its socket unit",
          any(p["source"] == "socket:echo.socket" for p in echo.get("ports", [])))

    sec = {(s["path"], s["kind"]): s for s in rep["secrets"]}
    paths = {s["path"] for s in rep["secrets"]}
    for path, kind in [("/etc/ssh/ssh_host_ed25519_key", "ssh-host-key"), ("/root/.ssh/id_rsa", "private-key"),
                       ("/root/.aws/credentials", "aws-credentials"), ("/etc/webapp/webapp.env", "env-secret"),
                       ("/home/deploy/.pgpass", "pgpass"), ("/root/.netrc", "netrc"),
                       ("/etc/nginx/.htpasswd", "htpasswd"),
                       ("/opt/webapp/service-account.json", "gcp-service-account")]:
        check("secret %s (%s) found" % (path, kind), (path, kind) in sec)
    check("webapp uses its env file secret", "webapp" in sec.get(("/etc/webapp/webapp.env", "env-secret"), {}).get("services", []))
    check("ssh uses its host key", "ssh" in sec.get(("/etc/ssh/ssh_host_ed25519_key", "ssh-host-key"), {}).get("services", []))
    # Connections over loopback between services (issue 10, defect 6).
    def links(name):
        return {(l["service"], l.get("port"), l["via"], l["found"].rsplit(":", 1)[0])
                for l in svc.get(name, {}).get("connects_to", [])}


    check("nginx connects to webapp:8000 (proxy_pass and the upstream's server)",
          {("webapp", 8000, "proxy_pass", "/etc/nginx/sites-enabled/default"),
           ("webapp", 8000, "server", "/etc/nginx/sites-enabled/default")} <= links("nginx"))
    check("webapp connects to redis-server:6380 (REDIS_URL of its env file)",
          ("redis-server", 6380, "REDIS_URL", "/etc/webapp/webapp.env") in links("webapp"))
    check("nothing connects to a service through a disabled site or to itself",
          all(not l["found"].startswith("/etc/nginx/sites-available/") and l["service"] != s["name"]
              for s in rep["services"] for l in s.get("connects_to", [])))
    if text_path:
        text = open(text_path, encoding="utf-8").read()
        check("the text report lists nginx -> webapp", "nginx" in text and "-> webapp" in text and "127.0.0.1:8000" in text)
    check("nginx uses its htpasswd", "nginx" in sec.get(("/etc/nginx/.htpasswd", "htpasswd"), {}).get("services", []))
    # A TLS key outside nginx's directories belongs to nginx because its site
    # configuration names it (ssl_certificate_key), and to nothing else.
    check("nginx's TLS key is a secret of nginx alone",
          sec.get(("/etc/ssl/private/web01.key", "private-key"), {}).get("services") == ["nginx"])
    nginx_sf = {f["path"]: f for f in nginx.get("secret_files", [])}
    check("nginx needs its TLS key, with the guest's owner and mode",
          {k: nginx_sf.get("/etc/ssl/private/web01.key", {}).get(k) for k in ("kind", "owner", "group", "uid", "gid", "mode")}
          == {"kind": "private-key", "owner": "root", "group": "root", "uid": 0, "gid": 0, "mode": "0600"})
    check("nginx needs its htpasswd (auth_basic_user_file), group www-data, 0640",
          (nginx_sf.get("/etc/nginx/.htpasswd", {}).get("group"), nginx_sf.get("/etc/nginx/.htpasswd", {}).get("mode"))
          == ("www-data", "0640"))
    check("nginx's certificate is configuration, not a secret",
          "/etc/ssl/certs/web01.crt" in nginx.get("config_files", []) and "/etc/ssl/certs/web01.crt" not in paths)
    check("webapp's EnvironmentFile is not among the files it needs mounted",
          "/etc/webapp/webapp.env" not in {f["path"] for f in svc.get("webapp", {}).get("secret_files", [])})


def expect_alpine(rep, text_path):
    """tests/fixtures/alpine, read in place."""
    os_ = rep["os"]
    check("distro alpine 3.19.1", os_["distro"] == "alpine" and os_["version"] == "3.19.1")
    check("hostname fixture-alpine01", os_["hostname"] == "fixture-alpine01")
    check("arch x86_64 from the apk database", os_["arch"] == "x86_64")
    check("package format apk", os_["package_format"] == "apk")
    check("init openrc", os_["init"] == "openrc")
    check("8 packages (got %d)" % os_["packages"], os_["packages"] == 8)

    svc = {s["name"]: s for s in rep["services"]}
    check("services are the runlevel entries (got %s)" % sorted(svc),
          sorted(svc) == ["crond", "myapp", "networking", "nginx", "redis", "sshd"])
    check("every service is an enabled OpenRC service",
          all(s["kind"] == "openrc" and s["enabled"] for s in rep["services"]))


    def klass(name):
        return svc.get(name, {}).get("class")


    def ports(name):
        return sorted(p["port"] for p in svc.get(name, {}).get("ports", []))


    for name, k, p in [("nginx", "stateless", [80]), ("redis", "stateful", [6379]),
                       ("myapp", "stateless", [9000]), ("sshd", "system", [22]),
                       ("crond", "system", []), ("networking", "system", [])]:
        check("%s is %s (got %s)" % (name, k, klass(name)), klass(name) == k)
        check("%s listens on %s (got %s)" % (name, p, ports(name)), ports(name) == p)

    nginx = svc.get("nginx", {})
    check("nginx runs /usr/sbin/nginx -c /etc/nginx/nginx.conf",
          nginx.get("exec", {}).get("argv") == ["/usr/sbin/nginx", "-c", "/etc/nginx/nginx.conf"])
    check("nginx's port comes from http.d/default.conf",
          any(p["source"] == "config:/etc/nginx/http.d/default.conf" for p in nginx.get("ports", [])))
    check("nginx daemonises itself (forking) with its pidfile",
          nginx.get("type") == "forking" and nginx.get("pid_file") == "/run/nginx/nginx.pid")
    check("nginx's packages are its apk closure, nginx and musl (got %s)" % nginx.get("packages"),
          {"nginx", "musl"} <= set(nginx.get("packages", [])))
    check("nginx's conf.d is an environment file", nginx.get("environment_files") == ["/etc/conf.d/nginx"])

    redis = svc.get("redis", {})
    check("redis runs redis-server /etc/redis.conf",
          redis.get("exec", {}).get("argv") == ["/usr/bin/redis-server", "/etc/redis.conf"])
    check("redis runs as redis:redis", redis.get("user") == "redis" and redis.get("group") == "redis")
    check("command_background=yes makes redis a simple service", redis.get("type") == "simple")
    check("redis keeps /var/lib/redis", "/var/lib/redis" in redis.get("data_paths", []))
    check("a reason for redis names dump.rdb", any("dump.rdb" in r for r in redis.get("reasons", [])))

    myapp = svc.get("myapp", {})
    check("myapp runs /opt/myapp/server.sh --port 9000 (conf.d overrides the script's default)",
          myapp.get("exec", {}).get("argv") == ["/opt/myapp/server.sh", "--port", "9000"])
    check("myapp runs as user myapp", myapp.get("user") == "myapp" and myapp.get("group") is None)
    check("myapp works in /opt/myapp", myapp.get("working_dir") == "/opt/myapp")
    check("myapp's script is an application file", "/opt/myapp/server.sh" in myapp.get("app_files", []))
    check("myapp's pidfile expands $RC_SVCNAME", myapp.get("pid_file") == "/run/myapp.pid")

    crond = svc.get("crond", {})
    check("crond's command expands $SVCNAME and CRON_OPTS from conf.d",
          crond.get("exec", {}).get("argv") == ["/usr/sbin/crond", "-c", "/etc/crontabs"])
    check("crond belongs to busybox", "busybox" in crond.get("packages", []))

    net = svc.get("networking", {})
    check("networking (no command) has no executable", net.get("exec", {}).get("path") is None)
    check("a warning says networking sets no command",
          any(w.startswith("/etc/init.d/networking:") and "command" in w for w in rep["warnings"]))

EXPECT = {"debian": expect_debian, "alpine": expect_alpine}


def no_leak(raw, text_path, secrets_path):
    outputs = [raw] + ([open(text_path, encoding="utf-8").read()] if text_path else [])
    # secret-values.txt: `kind<TAB>guest-path<TAB>text` lines (see its header);
    # the secret is the text of the keyline and value lines, never the line.
    leaked = []
    known = 0
    for line in open(secrets_path, encoding="utf-8"):
        fields = line.rstrip("\n").split("\t")
        if len(fields) != 3 or fields[0] not in ("keyline", "value"):
            continue
        known += 1
        if any(fields[2] in o for o in outputs):
            leaked.append("%s %s: %s..." % (fields[0], fields[1], fields[2][:12]))
    for l in leaked:
        print("# leaked: " + l)
    check("secret-values.txt lists the planted values (%d)" % known, known >= 10)
    check("no planted secret value appears in the output (%d of %d leaked)" % (len(leaked), known), not leaked)


def main():
    ap = argparse.ArgumentParser(description="Validates a v2c inspect report.")
    ap.add_argument("--expect", choices=sorted(EXPECT))
    ap.add_argument("--secret-values")
    ap.add_argument("--text")
    ap.add_argument("report")
    a = ap.parse_args()
    raw = open(a.report, encoding="utf-8").read()
    try:
        rep = json.loads(raw)
    except ValueError as e:
        check("report is JSON: %s" % e, False)
        return 1
    try:
        jsonschema.validate(rep, json.load(open(SCHEMA)))
        check("report validates against the JSON Schema", True)
    except jsonschema.ValidationError as e:
        check("report validates against the JSON Schema: %s at %s" % (e.message, "/".join(map(str, e.absolute_path))),
              False)
        # The rules below assume the schema's shape.
        print("%d checks failed" % fails)
        return 1
    semantic(rep)
    if a.expect:
        EXPECT[a.expect](rep, a.text)
    if a.secret_values:
        no_leak(raw, a.text, a.secret_values)
    print("%d checks failed" % fails)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())

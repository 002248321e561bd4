#!/usr/bin/env python3
"""Checks a v2c inspect report of the fixture guest against what the
fixture was built to contain, and against the JSON Schema.  Prints one
line per check and exits non-zero if any fails.

usage: check-report.py REPORT.json SCHEMA.json SECRET_VALUES.txt [TEXT_OUTPUT]
"""
import json
import sys

import jsonschema

report_path, schema_path, secrets_path = sys.argv[1:4]
text_path = sys.argv[4] if len(sys.argv) > 4 else None
raw = open(report_path, encoding="utf-8").read()
rep = json.loads(raw)
fails = 0


def check(desc, cond):
    global fails
    print(("ok - " if cond else "not ok - ") + desc)
    if not cond:
        fails += 1


try:
    jsonschema.validate(rep, json.load(open(schema_path)))
    check("report validates against the JSON Schema", True)
except jsonschema.ValidationError as e:
    check("report validates against the JSON Schema: %s" % e.message, False)

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
worker = svc.get("worker", {})
check("worker reasons name its StateDirectory",
      any("StateDirectory" in r for r in worker.get("reasons", [])))
echo = svc.get("echo", {})
check("echo port comes from its socket unit",
      any(p["source"] == "socket:echo.socket" for p in echo.get("ports", [])))
for s in rep["services"]:
    if not s["reasons"]:
        check("%s has reasons" % s["name"], False)

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

print("%d checks failed" % fails)
sys.exit(1 if fails else 0)

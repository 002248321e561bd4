#!/usr/bin/env bash
# v2c inspect on the Alpine fixture (tests/fixtures/alpine, read in place
# as a directory): the apk database, OpenRC services from the runlevels
# with their conf.d, and the classes; the report validates against the
# schema and is byte-identical run after run.
. "$(dirname "$0")/lib.sh"
ROOT="$V2C_SOURCE_ROOT/tests/fixtures/alpine"

"$V2C" inspect --json "$ROOT" >"$TMP/alpine.json"
ok "inspect --json of the Alpine guest"
"$V2C" inspect "$ROOT" >"$TMP/alpine.txt"
ok "inspect (table) of the Alpine guest"
check "the table lists the OpenRC services" grep -qE '^nginx +openrc +stateless +80 ' "$TMP/alpine.txt"

check "the report passes the Alpine fixture checks" \
  python3 - "$TMP/alpine.json" "$V2C_SOURCE_ROOT/docs/inspect-report.schema.json" <<'PY'
import json
import sys

import jsonschema

rep = json.load(open(sys.argv[1], encoding="utf-8"))
fails = 0


def check(desc, cond):
    global fails
    print(("ok - " if cond else "not ok - ") + desc)
    fails += not cond


try:
    jsonschema.validate(rep, json.load(open(sys.argv[2])))
    check("report validates against the JSON Schema", True)
except jsonschema.ValidationError as e:
    check("report validates against the JSON Schema: %s" % e.message, False)

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
sys.exit(1 if fails else 0)
PY

"$V2C" inspect --json "$ROOT" >"$TMP/alpine2.json"
check "the same guest gives byte-identical JSON twice" cmp -s "$TMP/alpine.json" "$TMP/alpine2.json"
finish

#!/usr/bin/env bash
# v2c report over a small fleet: the Debian fixture twice (web01, web02:
# VMs of one template, each with its own hostname, /etc/hosts, machine ID,
# resolv.conf and snakeoil certificate) and the Alpine one, each inspected
# by v2c, plus a report whose guest names are hostile (`<script>`,
# quotes); nginx and webapp of web01 and web02 converted, their convert
# results (a layout named after the VM beside the reports, a VM.lock.json)
# read with the reports.  Checks the text, the JSON
# (docs/fleet-report.schema.json) with the layers the two VMs' images share
# and what a registry saves storing them once, the draft playbooks (refused
# while they hold placeholders, accepted once filled), the HTML page
# (self-contained, guest names escaped) as Debian's chromium renders it (a
# screenshot and the visible text), and bad input, reports and convert
# results (exit 3, one line naming the file, nothing written).
. "$(dirname "$0")/lib.sh"
fixture_root
ROOT="$FIXTURES/root"
ALPINE="$V2C_SOURCE_ROOT/tests/fixtures/alpine"

# Copies share the fixture's files (hard links); /etc/hostname is
# replaced, not written through the link.
guest_copy() { # guest_copy SRC DEST HOSTNAME
  cp -al "$1" "$2"
  rm -f "$2/etc/hostname"
  echo "$3" >"$2/etc/hostname"
}
mkdir "$TMP/guests" "$TMP/fleet"
fleet_guest "$ROOT" "$TMP/guests/web01" web01
fleet_guest "$ROOT" "$TMP/guests/web02" web02
guest_copy "$ALPINE" "$TMP/guests/alp01" alp01
for g in web01 web02 alp01; do
  "$V2C" inspect --json -o "$TMP/fleet/$g.json" "$TMP/guests/$g"
done
ok "inspect --json of the three guests"
# Their convert results: web01's layout beside the reports, named after
# the VM; web02's elsewhere, its lock.json copied in as web02.lock.json.
"$V2C" convert --report "$TMP/fleet/web01.json" -s nginx -s webapp -o "$TMP/fleet/web01" "$TMP/guests/web01" \
  >/dev/null 2>"$TMP/convert.err"
"$V2C" convert --report "$TMP/fleet/web02.json" -s nginx -s webapp -o "$TMP/conv-web02" "$TMP/guests/web02" \
  >/dev/null 2>>"$TMP/convert.err"
cp "$TMP/conv-web02/v2c/lock.json" "$TMP/fleet/web02.lock.json"
ok "convert nginx and webapp of web01 and web02"
LOCK1="$TMP/fleet/web01/v2c/lock.json" LOCK2="$TMP/fleet/web02.lock.json"
export LOCK1 LOCK2

# A guest whose names are hostile: the Alpine report with a service and a
# hostname holding markup and quotes (as a guest can name its files).
EVIL='x"><script>alert(1)</script><img src=x onerror=alert(2)>'"'"
export EVIL
python3 - "$TMP/fleet/alp01.json" "$TMP/fleet/evil.json" "$EVIL" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["os"]["hostname"] = sys.argv[3]
for s in d["services"]:
    if s["name"] == "nginx":
        s["name"] = sys.argv[3]
d["services"].sort(key=lambda s: (s["name"], s["kind"]))
json.dump(d, open(sys.argv[2], "w"))
EOF

# ---- text ----
"$V2C" report "$TMP/fleet" >"$TMP/fleet.txt"
ok "report of a directory of reports (text)"
check_or_show "$TMP/fleet.txt" "the text counts 4 VMs and 2 waves" grep -q '^fleet: 4 VMs, .* 2 waves$' "$TMP/fleet.txt"
check_or_show "$TMP/fleet.txt" "one table row per VM, with its OS" \
  bash -c 'grep -qE "^web01 +debian 12" "$1" && grep -qE "^web02 +debian 12" "$1" && grep -qE "^alp01 +alpine 3" "$1"' _ "$TMP/fleet.txt"
check_or_show "$TMP/fleet.txt" "nginx of web01 and web02 is one image, in wave 2 after webapp" \
  grep -qE '^  \*. nginx on web01, web02; after webapp$' "$TMP/fleet.txt"
check_or_show "$TMP/fleet.txt" "the text counts the convert results and what sharing their layers saves" \
  bash -c 'grep -qE "^shared layers \(convert results of 2 VMs: 4 images, [0-9]+ layers; [0-9]+ held by several images, [0-9]+ by several VMs\):$" "$1" &&
           grep -qE "^a registry stores [0-9.]+ [kMG]?B of [0-9.]+ [kMG]?B, [0-9.]+ [kMG]?B saved$" "$1" &&
           grep -qE "^  base +sha256:[0-9a-f]{12} +[0-9.]+ [kMG]?B  4 images on web01, web02; saves " "$1"' _ "$TMP/fleet.txt"

# ---- JSON ----
# The convert results given as arguments too: a layout directory, a lock.
"$V2C" report --json "$TMP/fleet/web01.json" "$TMP/fleet/web02.json" "$TMP/fleet/alp01.json" "$TMP/fleet/evil.json" \
  "$TMP/fleet/web01/" "$LOCK2" >"$TMP/fleet.json"
ok "report --json of four files, a layout and a lock.json"
counts_py='all(v["services"]["total"] == len(json.load(open(v["file"]))["services"]) and all(v["services"][c] == sum(1 for s in json.load(open(v["file"]))["services"] if s["class"] == c) for c in ("stateless", "stateful", "system", "review")) for v in doc["vms"])'
img() { echo "[i for i in doc['images'] if i['service'] == '$1' and '$2' in i['vms']][0]"; }
check "the JSON validates and says what the fleet holds" validate_result fleet-report "$TMP/fleet.json" \
  "the VMs by file name::[v['name'] for v in doc['vms']] == ['web01', 'web02', 'alp01', 'evil']" \
  "each VM's counts are those of its report::$counts_py" \
  "the hostnames are the guests'::[v['hostname'] for v in doc['vms'][:3]] == ['web01', 'web02', 'alp01']" \
  "web01's nginx and web02's are one image candidate::$(img nginx web01)['vms'] == ['web01', 'web02']" \
  "alp01's nginx is another (another OS)::$(img nginx alp01)['vms'] == ['alp01']" \
  "webapp is in wave 1, nginx (which connects to it) in wave 2::$(img webapp web01)['wave'] == 1 and $(img nginx web01)['wave'] == 2 and $(img nginx web01)['after'][0]['service'] == 'webapp'" \
  "stateful services are blockers, never images::not any(i['service'] in ('redis-server', 'mariadb', 'redis') for i in doc['images']) and any(b['kind'] == 'stateful' and b['service'] == 'redis-server' for b in doc['vms'][0]['blockers'])" \
  "a secret in use is a blocker::any(b['kind'] == 'secret' and b['service'] == 'nginx' for b in doc['vms'][0]['blockers'])" \
  "an executable no package owns is a blocker::any(b['kind'] == 'unowned-executable' and b['service'] == 'hello' for b in doc['vms'][0]['blockers'])" \
  "the hostile name comes through unchanged::doc['vms'][3]['hostname'] == os.environ['EVIL'] and os.environ['EVIL'] in doc['vms'][3]['ready']" \
  "the totals add up::doc['totals']['vms'] == 4 and doc['totals']['services']['total'] == sum(v['services']['total'] for v in doc['vms'])" \
  "each VM's convert result, its file and images::[v['convert'] and (v['convert']['file'], v['convert']['images']) for v in doc['vms']] == [('$TMP/fleet/web01/v2c/lock.json', ['nginx', 'webapp']), ('$LOCK2', ['nginx', 'webapp']), None, None]"
# What the two results share, recomputed from the lock files.
check_or_show "$TMP/fleet.json" "shared_layers and totals.layers are the layers of the two lock.json files" python3 - "$TMP/fleet.json" <<'EOF'
import json, os, sys
doc = json.load(open(sys.argv[1]))
uses, size, role = {}, {}, {}
for vm, f in (("web01", os.environ["LOCK1"]), ("web02", os.environ["LOCK2"])):
    for img in json.load(open(f))["images"]:
        for l in img["layers"]:
            uses.setdefault(l["digest"], []).append({"vm": vm, "image": img["ref_name"]})
            size[l["digest"]] = l["size"]
            role.setdefault(l["digest"], l["role"])
want = [{"digest": d, "role": role[d], "size": size[d], "uses": len(u), "vms": sorted({x["vm"] for x in u}),
         "images": u, "saved_bytes": size[d] * (len(u) - 1)} for d, u in uses.items() if len(u) > 1]
want.sort(key=lambda l: (-l["saved_bytes"], l["digest"]))
t = doc["totals"]["layers"]
bad = []
if doc["shared_layers"] != want:
    bad.append("shared_layers: %r, expected %r" % (doc["shared_layers"], want))
expect = {"vms": 2, "images": 4, "layers": len(uses), "references": sum(len(u) for u in uses.values()),
          "shared": len(want), "shared_across_vms": sum(1 for l in want if len(l["vms"]) > 1),
          "bytes": sum(size[d] * len(u) for d, u in uses.items()), "stored_bytes": sum(size.values())}
expect["saved_bytes"] = expect["bytes"] - expect["stored_bytes"]
if t != expect:
    bad.append("totals.layers: %r, expected %r" % (t, expect))
# The point of it all: one base layer for the four images of two VMs.
base = [l for l in doc["shared_layers"] if l["role"] == "base"]
if len(base) != 1 or base[0]["vms"] != ["web01", "web02"] or base[0]["uses"] != 4:
    bad.append("not one base layer of web01 and web02: %r" % base)
for b in bad:
    print("#   " + b)
sys.exit(1 if bad else 0)
EOF

# ---- every output at once: -o, --html, --playbooks ----
"$V2C" report "$TMP/fleet" -o "$TMP/out.json" --html "$TMP/fleet.html" --playbooks "$TMP/drafts" >"$TMP/fleet2.txt"
ok "report -o --html --playbooks"
check "the text is the same with the files written" cmp -s "$TMP/fleet.txt" "$TMP/fleet2.txt"
"$V2C" report --json "$TMP/fleet" >"$TMP/fleet3.json"
check "-o writes the document --json prints" cmp -s "$TMP/out.json" "$TMP/fleet3.json"
check "one draft playbook per wave" test -f "$TMP/drafts/wave-1.yaml" -a -f "$TMP/drafts/wave-2.yaml"

# A draft holds placeholders: refused before anything is made, each named.
set +e
"$V2C" rollout run "$TMP/drafts/wave-2.yaml" --state "$TMP/state" 2>"$TMP/draft.err"
rc=$?
set -e
check_or_show "$TMP/draft.err" "rollout refuses the draft (exit 3), naming its placeholders by line" \
  bash -c '[ "$2" = 3 ] && grep -q "wave-2.yaml:[0-9]*:[0-9]*: .qmp.: .FILL-IN " "$1" && grep -q ".image.: .FILL-IN " "$1" && [ ! -e "$3" ]' _ "$TMP/draft.err" "$rc" "$TMP/state"
# Filled in, the draft is a playbook v2c reads (it then goes for HAProxy,
# which is not there) and that its schema accepts.
sed -e 's|"FILL-IN the QMP socket of VM \([a-z0-9]*\)"|"/run/v2c/\1.qmp"|' \
    -e 's|"FILL-IN the VM.s address:\([0-9]*\)"|"127.0.0.1:\1"|' \
    -e 's|"FILL-IN the container engine.s API socket"|"/run/v2c/podman.sock"|' \
    -e 's|"FILL-IN the image of \([a-z0-9-]*\) as pushed, pinned by digest"|"127.0.0.1:5000/\1@sha256:28fa823b0979266637d2a2caccc26a6981e6ffc747b451c7c50251dea337b5ab"|' \
    -e "s|\"FILL-IN the HAProxy runtime API socket\"|\"$TMP/no-haproxy.sock\"|" "$TMP/drafts/wave-2.yaml" >"$TMP/filled.yaml"
set +e
"$V2C" rollout run "$TMP/filled.yaml" --state "$TMP/state2" 2>"$TMP/filled.err"
set -e
check_or_show "$TMP/filled.err" "filled in, the draft parses (v2c goes on to HAProxy's socket)" \
  bash -c '! grep -q "filled.yaml:[0-9]" "$1" && grep -q "no-haproxy.sock" "$1"' _ "$TMP/filled.err"
check "filled in, the draft validates against docs/playbook.schema.json" python3 -c '
import json, sys, yaml, jsonschema
jsonschema.validate(yaml.safe_load(open(sys.argv[2])), json.load(open(sys.argv[1])))' \
  "$V2C_SOURCE_ROOT/docs/playbook.schema.json" "$TMP/filled.yaml"

# ---- HTML ----
# (The hostile name holds "src=" as text: escaped, it is no attribute.)
check "the page loads nothing from anywhere (no URL, no src= or href= attribute, no url(, @import)" \
  bash -c '! grep -qiE "https?://|<[^>]*[[:space:]](src|href)[[:space:]]*=|url\(|@import" "$1"' _ "$TMP/fleet.html"
check "the hostile name is escaped: no <script>, no <img> in the page" \
  bash -c '! grep -qiE "<script|<img" "$1" && grep -qF "x&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" "$1"' _ "$TMP/fleet.html"
check "the page has the three charts (classes, classes per VM, shared layers)" \
  bash -c '[ "$(grep -o "<svg " "$1" | wc -l)" = 3 ]' _ "$TMP/fleet.html"

if ! command -v chromium >/dev/null; then
  skip_check_or_fail "the page in headless chromium" "chromium is missing (scripts/setup.sh installs it)"
else
  # One run: the screenshot and the DOM after rendering.  Its own
  # profile directory; nothing of the page asks for the network.
  timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-extensions \
    --disable-background-networking --disable-sync --user-data-dir="$TMP/chromium" \
    --window-size=1200,2000 --screenshot="$TMP/shot.png" --dump-dom "file://$TMP/fleet.html" \
    >"$TMP/dom.html" 2>"$TMP/chromium.err" || true
  # Pillow (python3-pil) reads the PNG; the python3 first in PATH may not
  # be Debian's.
  pil=""
  for p in python3 /usr/bin/python3; do
    if "$p" -c 'import PIL' 2>/dev/null; then pil=$p; break; fi
  done
  if [ -z "$pil" ]; then
    skip_check_or_fail "the screenshot is not blank" "python3-pil is missing (scripts/setup.sh installs it)"
  else
    check_or_show "$TMP/chromium.err" "chromium rendered a 1200x2000 screenshot that is not blank (the charts' colours in it)" \
      "$pil" - "$TMP/shot.png" <<'EOF'
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
colours = {c for _, c in im.getcolors(1 << 24)}
print("#   %dx%d, %d colours" % (im.size[0], im.size[1], len(colours)))
# The classes' colours of the charts are among them, and the shared
# layers' (stored once, saved).
want = {(0x2e, 0x7d, 0x32), (0xc6, 0x28, 0x28), (0x75, 0x75, 0x75), (0xef, 0x6c, 0x00), (0x15, 0x65, 0xc0),
        (0x90, 0xca, 0xf9)}
print("#   missing colours: %s" % sorted(want - colours))
sys.exit(0 if im.size == (1200, 2000) and len(colours) >= 8 and want <= colours else 1)
EOF
  fi
  python3 - "$TMP/dom.html" >"$TMP/visible.txt" <<'EOF'
import html, re, sys
# The visible text: the DOM chromium built, without the style, the SVG
# <title> tooltips and the tags.
d = open(sys.argv[1], encoding="utf-8").read()
d = re.sub(r"(?s)<(style|title)>.*?</\1>", " ", d)
print(html.unescape(re.sub(r"<[^>]*>", " ", d)))
EOF
  check_or_show "$TMP/visible.txt" "the visible text names every VM, the fleet's counts and its shared layers" python3 - "$TMP/visible.txt" "$TMP/fleet.json" "$EVIL" <<'EOF'
import json, re, sys
text = " ".join(open(sys.argv[1], encoding="utf-8").read().split())
doc = json.load(open(sys.argv[2]))
t = doc["totals"]
def size(n):  # as v2c writes sizes for people (common/progress.c)
    if n < 1000:
        return "%d B" % n
    v, u = n / 1000, 0
    while v >= 1000 and u < 3:
        v, u = v / 1000, u + 1
    return ("%.1f %s" if v < 10 else "%.0f %s") % (v, ["kB", "MB", "GB", "TB"][u])
want = ["%d VMs, %d services: %d stateless, %d stateful, %d system, %d review" % (
    t["vms"], t["services"]["total"], t["services"]["stateless"], t["services"]["stateful"],
    t["services"]["system"], t["services"]["review"]), sys.argv[3]]
for v in doc["vms"]:
    # the VM's row of the table: name, hostname, OS, then its counts
    s = v["services"]
    want.append("%s %s %s %d %d %d %d %d %d" % (v["name"], v["hostname"], v["os"]["pretty_name"], s["stateless"],
                                               s["stateful"], s["system"], s["review"], len(v["ready"]),
                                               len(v["blockers"])))
l = t["layers"]
want.append("Convert results of %d VMs: %d images, %d layers; %d held by several images, %d by several VMs. "
            "A registry stores %s of %s: %s saved." % (l["vms"], l["images"], l["layers"], l["shared"],
                                                       l["shared_across_vms"], size(l["stored_bytes"]),
                                                       size(l["bytes"]), size(l["saved_bytes"])))
for s in doc["shared_layers"]:
    # the layer's row: role, digest's start, size, images, VMs, saved
    want.append("%s %s %s %d %s %s" % (s["role"], s["digest"][:19], size(s["size"]), s["uses"], ", ".join(s["vms"]),
                                      size(s["saved_bytes"])))
missing = [w for w in want if w not in text]
for w in missing:
    print("#   not visible: %r" % w)
sys.exit(1 if missing else 0)
EOF
fi

# ---- bad input: exit 3, one line, nothing written ----
bad() { # bad DESCRIPTION ARGS...: exit 3, one error line, no output file
  local d=$1; shift
  set +e
  "$V2C" report -o "$TMP/bad.json" --html "$TMP/bad.html" --playbooks "$TMP/bad-drafts" "$@" >"$TMP/bad.out" 2>"$TMP/bad.err"
  local rc=$?
  set -e
  check_or_show "$TMP/bad.err" "$d: exit 3, one line, nothing written" \
    bash -c '[ "$2" = 3 ] && [ "$(wc -l <"$1/bad.err")" = 1 ] && grep -q "^v2c: error: " "$1/bad.err" && [ ! -s "$1/bad.out" ] && [ ! -e "$1/bad.json" ] && [ ! -e "$1/bad.html" ] && [ ! -e "$1/bad-drafts" ]' _ "$TMP" "$rc"
}
mkdir "$TMP/empty"
echo '{"schema": "v2c.push/1", "pinned": "x"}' >"$TMP/push.json"
echo 'not json' >"$TMP/garbage.json"
echo '{"schema": "v2c.inspect/1", "services": [{"name": "a", "class": "sometimes"}]}' >"$TMP/badclass.json"
mkdir "$TMP/other"
cp "$TMP/fleet/web01.json" "$TMP/other/web01.json"
bad "an empty directory" "$TMP/empty"
bad "a report of another schema" "$TMP/fleet/web01.json" "$TMP/push.json"
bad "a file that is not JSON" "$TMP/garbage.json"
bad "a report with a bad value" "$TMP/badclass.json"
bad "a file that is not there" "$TMP/nothing.json"
bad "two reports of one name" "$TMP/fleet/web01.json" "$TMP/other/web01.json"
# Convert results are untrusted input too: each bad one names its file,
# and where in it.
mkdir "$TMP/locks"
badlock() { # badlock NAME PYTHON: web01's lock.json changed by PYTHON (on d) as $TMP/locks/NAME.lock.json
  python3 - "$LOCK1" "$TMP/locks/$1.lock.json" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"))
EOF
}
badlock_err() { # badlock_err DESCRIPTION NAME TEXT ARGS...: bad, and its line names the file and TEXT
  local d=$1 n=$2 t=$3; shift 3
  bad "$d" "$@"
  check_or_show "$TMP/bad.err" "... the line names $n.lock.json and says: $t" \
    bash -c 'grep -qF "$2.lock.json" "$1" && grep -qF -- "$3" "$1"' _ "$TMP/bad.err" "$n" "$t"
}
badlock web01 'd["images"][0]["layers"][1]["digest"] = "sha256:" + "G" * 64'
badlock_err "a convert result with a bad digest" web01 "images[0].layers[1].digest: not sha256: and 64 lowercase hex digits" \
  "$TMP/fleet/web01.json" "$TMP/locks/web01.lock.json"
badlock web01 'd["images"][1]["layers"][0]["size"] = -1'
badlock_err "a convert result with a negative size" web01 "images[1].layers[0].size: not an integer from 1 to" \
  "$TMP/fleet/web01.json" "$TMP/locks/web01.lock.json"
badlock web01 'd["images"] = d["images"] * 600'
badlock_err "a convert result of 1200 images" web01 "images: more than 1024 images" \
  "$TMP/fleet/web01.json" "$TMP/locks/web01.lock.json"
badlock web01 'd["schema"] = "v2c.inspect/1"'
badlock_err "a convert result of another schema" web01 "not a convert result" "$TMP/fleet/web01.json" "$TMP/locks/web01.lock.json"
badlock web09 'pass'
badlock_err "a convert result of a VM without a report" web09 "no inspection report of VM \`web09\`" \
  "$TMP/fleet/web01.json" "$TMP/locks/web09.lock.json"
# web02's result, its base layer said one byte larger: one digest, two sizes.
badlock web02 'd["images"][0]["layers"][0]["size"] += 1; d["images"][1]["layers"][0]["size"] += 1'
badlock_err "two convert results giving one layer two sizes" web02 "bytes in" \
  "$TMP/fleet/web01.json" "$TMP/fleet/web02.json" "$LOCK1" "$TMP/locks/web02.lock.json"
bad "two convert results of one VM (a layout and a lock.json)" "$TMP/fleet/web01.json" "$TMP/fleet/web01" "$TMP/locks/web01.lock.json"
mkdir "$TMP/onlylocks"
cp "$LOCK2" "$TMP/onlylocks/web02.lock.json"
bad "convert results without any report" "$TMP/onlylocks"
set +e
"$V2C" report 2>"$TMP/usage.err"
rc=$?
set -e
check_or_show "$TMP/usage.err" "no REPORT is a usage error (exit 2)" bash -c '[ "$2" = 2 ] && grep -q "no REPORT given" "$1"' _ "$TMP/usage.err" "$rc"
finish

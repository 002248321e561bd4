#!/usr/bin/env bash
# v2c report over a small fleet: the Debian fixture twice (web01, web02:
# copies with their own hostnames) and the Alpine one, each inspected by
# v2c, plus a report whose guest names are hostile (`<script>`, quotes).
# Checks the text, the JSON (docs/fleet-report.schema.json), the draft
# playbooks (refused while they hold placeholders, accepted once filled),
# the HTML page (self-contained, guest names escaped) as Debian's chromium
# renders it (a screenshot and the visible text), and bad input (exit 3,
# nothing written).
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
guest_copy "$ROOT" "$TMP/guests/web01" web01
guest_copy "$ROOT" "$TMP/guests/web02" web02
guest_copy "$ALPINE" "$TMP/guests/alp01" alp01
for g in web01 web02 alp01; do
  "$V2C" inspect --json -o "$TMP/fleet/$g.json" "$TMP/guests/$g"
done
ok "inspect --json of the three guests"

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

# ---- JSON ----
"$V2C" report --json "$TMP/fleet/web01.json" "$TMP/fleet/web02.json" "$TMP/fleet/alp01.json" "$TMP/fleet/evil.json" \
  >"$TMP/fleet.json"
ok "report --json of four files"
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
  "the totals add up::doc['totals']['vms'] == 4 and doc['totals']['services']['total'] == sum(v['services']['total'] for v in doc['vms'])"

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
check "the page has the two charts" bash -c '[ "$(grep -o "<svg " "$1" | wc -l)" = 2 ]' _ "$TMP/fleet.html"

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
# The classes' colours of the charts are among them.
want = {(0x2e, 0x7d, 0x32), (0xc6, 0x28, 0x28), (0x75, 0x75, 0x75), (0xef, 0x6c, 0x00)}
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
  check_or_show "$TMP/visible.txt" "the visible text names every VM and the fleet's counts" python3 - "$TMP/visible.txt" "$TMP/fleet.json" "$EVIL" <<'EOF'
import json, re, sys
text = " ".join(open(sys.argv[1], encoding="utf-8").read().split())
doc = json.load(open(sys.argv[2]))
t = doc["totals"]
want = ["%d VMs, %d services: %d stateless, %d stateful, %d system, %d review" % (
    t["vms"], t["services"]["total"], t["services"]["stateless"], t["services"]["stateful"],
    t["services"]["system"], t["services"]["review"]), sys.argv[3]]
for v in doc["vms"]:
    # the VM's row of the table: name, hostname, OS, then its counts
    s = v["services"]
    want.append("%s %s %s %d %d %d %d %d %d" % (v["name"], v["hostname"], v["os"]["pretty_name"], s["stateless"],
                                               s["stateful"], s["system"], s["review"], len(v["ready"]),
                                               len(v["blockers"])))
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
set +e
"$V2C" report 2>"$TMP/usage.err"
rc=$?
set -e
check_or_show "$TMP/usage.err" "no REPORT is a usage error (exit 2)" bash -c '[ "$2" = 2 ] && grep -q "no REPORT given" "$1"' _ "$TMP/usage.err" "$rc"
finish

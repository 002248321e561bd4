#!/usr/bin/env bash
# The Ansible collection v2c.migrate (ansible/) end to end, with Debian's
# ansible-core: the sample playbook (playbooks/migrate.yml) against three
# hosts at once (forks 3), each with its own file system and its own sshd
# reached over real SSH on its own loopback address (tests/integration/
# host-lib.sh, a clean Debian 12 root from build-host-root.sh), and one
# shared registry on 127.0.0.1.  The role installs v2c from the .deb
# (build-deb.sh), each host inspects and converts the fixture guest it
# holds and pushes to the registry; the hosts hold the same guest, so the
# registry ends with each image once and only the first push changes
# anything.  A second run changes nothing; a check-mode run pushes nothing;
# a module's failure carries v2c's message and exit status.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry-lib.sh"
. "$(dirname "$0")/host-lib.sh"
[ "$(id -u)" -eq 0 ] || skip_test "needs root (chroot, mount namespaces)"
need ansible-playbook ansible-galaxy ssh ssh-keygen dpkg-buildpackage debootstrap unshare docker-registry
trap '_hostlib_cleanup; registry_cleanup; rm -rf "$TMP"' EXIT
t0=$(date +%s)

deb=$("$V2C_SOURCE_ROOT/tests/fixtures/build-deb.sh") || { not_ok "build-deb.sh built no package"; finish; exit 1; }
host_root_build "$deb" || { not_ok "build-host-root.sh built no root"; finish; exit 1; }
fixture_root
registry_start fleet

# The collection as ops teams install it: ansible-galaxy from the checkout.
ansible-galaxy collection install -p "$TMP/collections" \
  "$V2C_SOURCE_ROOT/ansible/ansible_collections/v2c/migrate" >"$TMP/galaxy.log" 2>&1
check_or_show "$TMP/galaxy.log" "ansible-galaxy installs the collection from the repository" \
  test -f "$TMP/collections/ansible_collections/v2c/migrate/plugins/modules/v2c_convert.py"

ssh-keygen -q -t ed25519 -N '' -f "$TMP/id" -C v2c-test
hosts=(hv1 hv2 hv3)
i=0
for h in "${hosts[@]}"; do
  i=$((i + 1))
  up=$(host_upper "$h")
  mkdir -p "$up/srv/vms"
  # The same path on every host: v2c labels an image with its source
  # (org.opencontainers.image.source), so only the same guest at the same
  # path converts to the same digest.
  cp "$FIXTURES/root.tar" "$up/srv/vms/web.tar"
  host_start "$h" "127.0.0.1$i" "$TMP/id.pub" || { not_ok "sshd of $h did not start"; finish; exit 1; }
done
{
  echo "hypervisors:"
  echo "  hosts:"
  i=0
  for h in "${hosts[@]}"; do
    i=$((i + 1))
    port=HOST_$(echo "$h" | tr 'a-z' 'A-Z')_PORT
    echo "    $h:"
    echo "      ansible_host: 127.0.0.1$i"
    echo "      ansible_port: ${!port}"
    echo "      vms:"
    echo "        - name: web0$i"
    echo "          disks: [/srv/vms/web.tar]"
    echo "          services: [hello]"
  done
} >"$TMP/inventory.yml"
cat >"$TMP/ansible.cfg" <<CFG
[defaults]
forks = 3
inventory = $TMP/inventory.yml
collections_path = $TMP/collections
interpreter_python = /usr/bin/python3
remote_user = root
private_key_file = $TMP/id
host_key_checking = False
local_tmp = $TMP/ansible-local
retry_files_enabled = False
callback_plugins = $V2C_SOURCE_ROOT/tests/integration/ansible-callbacks
callbacks_enabled = v2c_record
[ssh_connection]
ssh_args = -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o ControlMaster=auto -o ControlPersist=60s
control_path_dir = $TMP/cp
pipelining = True
CFG
export ANSIBLE_CONFIG=$TMP/ansible.cfg ANSIBLE_HOME=$TMP/ansible-home
playbook=$TMP/collections/ansible_collections/v2c/migrate/playbooks/migrate.yml
vars=(-e "v2c_install_deb=$deb" -e "v2c_registry=$REG_FLEET_ADDR/fleet" -e v2c_registry_plain_http=true
      -e v2c_install_recommends=false -e "v2c_reports_dir=$TMP/reports" -e v2c_fleet_report=false)

# Each run's task results and stats go to OUT (tests/integration/
# ansible-callbacks/v2c_record.py), its output to OUT.log.
py() { /usr/bin/python3 - "$@"; }
run_playbook() { # run_playbook OUT [ARGS...]
  local out=$1; shift
  V2C_ANSIBLE_RECORD=$out ansible-playbook "$playbook" "${vars[@]}" "$@" >"$out.log" 2>&1
}

rc=0; run_playbook "$TMP/run1.json" || rc=$?
check_or_show "$TMP/run1.json.log" "the sample playbook runs on three hosts over ssh (exit $rc)" test "$rc" -eq 0
check "every host ran it to the end, none failed or unreachable" py "$TMP/run1.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))['stats']
hosts = [h for h in s if h.startswith('hv')]
sys.exit(0 if len(hosts) == 3 and all(s[h]['failures'] == 0 and s[h]['unreachable'] == 0 and s[h]['ok'] > 5 for h in hosts) else 1)
PY
for h in "${hosts[@]}"; do
  d=$TMP/host-$h
  check "$h: ansible came in over ssh with the test's key" grep -q 'Accepted publickey for root' "$d/sshd.log"
  check "$h: the role installed v2c into the host's own file system" test -x "$d/upper/usr/bin/v2c"
done
check "the cached root stays without v2c (hosts write to their overlays)" test ! -e "$HOST_ROOT/usr/bin/v2c"
n=$(ls "$TMP"/host-hv*/upper/var/lib/v2c/reports/web0*.json 2>/dev/null | wc -l)
check "each host wrote its own VM's report ($n of 3)" test "$n" -eq 3
check "each host inspected its VMs in one run of v2c inspect --manifest" py "$TMP/run1.json" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
res = [(h, r) for p in run['plays'] for t in p['tasks'] if t['task']['name'].startswith('Inspect the VMs')
       for h, r in t['hosts'].items()]
print('# %s' % [(h, r.get('cmd', [])[2:], [g.get('status') for g in r.get('guests', [])]) for h, r in res])
sys.exit(0 if len(res) == 3 and all('--manifest' in r['cmd'] and r['changed'] and [g['status'] for g in r['guests']] == ['ok']
                                    and r['guests'][0]['report'] == '/var/lib/v2c/reports/%s.json' % r['guests'][0]['name']
                                    for h, r in res) else 1)
PY
check "the reports came back to the control node for the fleet report" \
  sh -c "ls '$TMP/reports' | grep -c json | grep -qx 3"

# The registry: one manifest for hello, tagged once per VM; each of its
# blobs stored once.
check "the three hosts pushed the same digest, stored once" py "$TMP/run1.json" "$REG_FLEET_DIR/storage" <<'PY'
import json, os, sys
run = json.load(open(sys.argv[1]))
storage = os.path.join(sys.argv[2], 'docker/registry/v2')
pushes = [r for p in run['plays'] for t in p['tasks'] if t['task']['name'] == 'Push each image to the shared registry'
          for r in t['hosts'].values()]
results = [i for r in pushes for i in r.get('results', []) if not i.get('skipped')]
digests = set(i['result']['manifest']['digest'] for i in results)
changed = [i for i in results if i['changed']]
revs = os.listdir(os.path.join(storage, 'repositories/fleet/hello/_manifests/revisions/sha256'))
tags = sorted(os.listdir(os.path.join(storage, 'repositories/fleet/hello/_manifests/tags')))
blobs = set(b['digest'] for i in results for b in i['result']['blobs'])
stored = set('sha256:' + d for sub in os.listdir(os.path.join(storage, 'blobs/sha256'))
             for d in os.listdir(os.path.join(storage, 'blobs/sha256', sub)))
print('# pushes %d, changed %d, digests %s, revisions %s, tags %s, blobs %d, stored %d'
      % (len(results), len(changed), digests, revs, tags, len(blobs), len(stored)))
ok = (len(results) == 3 and len(digests) == 1 and len(changed) == 1 and len(revs) == 1
      and tags == ['web01', 'web02', 'web03'] and blobs | digests == stored)
sys.exit(0 if ok else 1)
PY
check "the first push uploaded the blobs, the later two skipped every one" py "$TMP/run1.json" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
res = [i for p in run['plays'] for t in p['tasks'] if t['task']['name'] == 'Push each image to the shared registry'
       for r in t['hosts'].values() for i in r.get('results', [])]
up = sorted(i['result']['uploaded'] for i in res)
skipped = [i for i in res if not i['changed']]
sys.exit(0 if up[-1] > 0 and up[:2] == [0, 0] and all(
    not i['result']['manifest']['put'] and all(b['action'] == 'skipped' for b in i['result']['blobs'])
    for i in skipped) else 1)
PY

# Again: the same guests, the same layouts, the same registry: no change.
rc=0; run_playbook "$TMP/run2.json" || rc=$?
check_or_show "$TMP/run2.json.log" "a second run succeeds (exit $rc)" test "$rc" -eq 0
check "a second run changes nothing on any host (inspect, convert, push, install)" py "$TMP/run2.json" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
s = run['stats']
bad = [(t['task']['name'], h) for p in run['plays'] for t in p['tasks'] for h, r in t['hosts'].items() if r.get('changed')]
print('# changed: %s' % bad)
sys.exit(0 if len([h for h in s if h.startswith('hv')]) == 3 and not bad else 1)
PY

# Check mode with a new layout directory: convert says it would change,
# nothing is written or pushed.
revs_before=$(find "$REG_FLEET_DIR/storage" | sort | sha256sum)
rc=0; run_playbook "$TMP/check.json" --check -e v2c_workdir=/var/lib/v2c-check || rc=$?
check_or_show "$TMP/check.json.log" "a check-mode run succeeds (exit $rc)" test "$rc" -eq 0
check "check mode: convert reports a change for a new layout and writes none" py "$TMP/check.json" "$TMP" <<'PY'
import glob, json, sys
run = json.load(open(sys.argv[1]))
conv = [i for p in run['plays'] for t in p['tasks'] if t['task']['name'] == 'Convert the stateless services'
        for r in t['hosts'].values() for i in r.get('results', [])]
sys.exit(0 if len(conv) == 3 and all(i['changed'] and i['images'].get('hello') for i in conv)
         and not glob.glob(sys.argv[2] + '/host-hv*/upper/var/lib/v2c-check/*/images') else 1)
PY
check "check mode pushes nothing" test "$revs_before" = "$(find "$REG_FLEET_DIR/storage" | sort | sha256sum)"

# A failure: v2c's one-line message and its exit status.
rc=0
V2C_ANSIBLE_RECORD=$TMP/fail.json ANSIBLE_LOAD_CALLBACK_PLUGINS=1 \
  ansible hv1 -m v2c.migrate.v2c_inspect -a 'source=/srv/no-such-guest' >"$TMP/fail.log" 2>&1 || rc=$?
check "the ad-hoc run of a failing module exits non-zero" test "$rc" -ne 0
check_or_show "$TMP/fail.log" "a module failure fails the task and carries v2c's message and exit status" \
  py "$TMP/fail.json" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))['plays'][0]['tasks'][0]['hosts']['hv1']
print('# rc %s msg %r' % (r.get('rc'), r.get('msg')))
sys.exit(0 if r.get('failed') and r.get('rc') == 3 and '/srv/no-such-guest' in r.get('msg', '') and '\n' not in r['msg'] else 1)
PY

# Several guests in one module call, one of them unreadable: the task
# fails naming it with v2c's message, the other's report is written.
rc=0
V2C_ANSIBLE_RECORD=$TMP/many.json ANSIBLE_LOAD_CALLBACK_PLUGINS=1 ansible hv1 -m v2c.migrate.v2c_inspect \
  -a '{"guests": [{"name": "web", "disks": ["/srv/vms/web.tar"], "services": ["hello"]},
                  {"name": "gone", "disks": ["/srv/no-such-guest"]}],
       "output_dir": "/var/lib/v2c/many", "jobs": 2}' >"$TMP/many.log" 2>&1 || rc=$?
check_or_show "$TMP/many.log" "guests, one failing: the task fails naming it, the other's report written" \
  py "$TMP/many.json" "$TMP/host-hv1/upper/var/lib/v2c/many" <<'PY'
import json, os, sys
r = json.load(open(sys.argv[1]))['plays'][0]['tasks'][0]['hosts']['hv1']
print('# rc %s msg %r' % (r.get('rc'), r.get('msg')))
g = r.get('guests') or []
sys.exit(0 if r.get('failed') and r.get('msg', '').startswith('1 of 2 guests failed: gone: ')
         and '/srv/no-such-guest' in r['msg'] and [x['status'] for x in g] == ['ok', 'failed']
         and g[1]['exit'] == 3 and sorted(os.listdir(sys.argv[2])) == ['web.json']
         and json.load(open(os.path.join(sys.argv[2], 'web.json')))['schema'] == 'v2c.inspect/1' else 1)
PY
rc=0
V2C_ANSIBLE_RECORD=$TMP/blank.json ANSIBLE_LOAD_CALLBACK_PLUGINS=1 ansible hv1 -m v2c.migrate.v2c_inspect \
  -a '{"guests": [{"name": "two words", "disks": ["/srv/vms/web.tar"]}], "output_dir": "/var/lib/v2c/blank"}' \
  >"$TMP/blank.log" 2>&1 || rc=$?
check_or_show "$TMP/blank.log" "a guest name with a blank fails before v2c runs, saying why" py "$TMP/blank.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))['plays'][0]['tasks'][0]['hosts']['hv1']
print('# msg %r' % r.get('msg'))
sys.exit(0 if r.get('failed') and 'no blanks' in r.get('msg', '') and 'cmd' not in r else 1)
PY

# v2c_rollout: check mode runs nothing and says what would run; status of
# a state directory with no journal is v2c's error.
rc=0
V2C_ANSIBLE_RECORD=$TMP/roll.json ANSIBLE_LOAD_CALLBACK_PLUGINS=1 ansible hv2 --check -m v2c.migrate.v2c_rollout \
  -a 'playbook=/srv/wave1.yml state=/var/lib/v2c/rollouts/wave1' >"$TMP/roll.log" 2>&1 || rc=$?
check_or_show "$TMP/roll.log" "v2c_rollout in check mode: changed, the command it would run, nothing run" py "$TMP/roll.json" "$TMP/host-hv2/upper" <<'PY'
import json, os, sys
r = json.load(open(sys.argv[1]))['plays'][0]['tasks'][0]['hosts']['hv2']
sys.exit(0 if r.get('changed') and r['cmd'][1:4] == ['rollout', 'run', '/srv/wave1.yml']
         and not os.path.exists(sys.argv[2] + '/var/lib/v2c/rollouts/wave1') else 1)
PY
rc=0
V2C_ANSIBLE_RECORD=$TMP/status.json ANSIBLE_LOAD_CALLBACK_PLUGINS=1 ansible hv2 -m v2c.migrate.v2c_rollout \
  -a 'action=status state=/srv/no-rollout' >"$TMP/status.log" 2>&1 || rc=$?
check_or_show "$TMP/status.log" "v2c_rollout status without a journal fails with v2c's message and status" py "$TMP/status.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))['plays'][0]['tasks'][0]['hosts']['hv2']
print('# rc %s msg %r' % (r.get('rc'), r.get('msg')))
sys.exit(0 if r.get('failed') and r.get('rc', 0) > 0 and r.get('msg', '').startswith('v2c: ') else 1)
PY

echo "# test time: $(( $(date +%s) - t0 )) s"
finish

#!/usr/bin/env bash
# v2c rollout end to end, bad input: an invalid playbook, a tag
# instead of a digest, an unreachable router socket reported before any
# weight changes.
# Its own test bed (tests/integration/rollout-env.sh: a real qemu VM under
# TCG serving HTTP, the fixture's hello service converted by v2c, pushed to
# a loopback registry and run by podman's Docker-compatible service, both
# behind a real HAProxy), its own state directory: it runs alone
# (`meson test -C build rollout-bad-input`).
ROLLOUT_ENV_PARTS=""
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry-lib.sh"
. "$(dirname "$0")/vm-lib.sh"
. "$(dirname "$0")/rollout-env.sh"
bed_checks

# --- bad input ---------------------------------------------------------------------------------
printf 'version: 1\nwaves:\n  - services:\n      - name: x\n        vmm: {}\n' >"$TMP/invalid.yaml"
set +e
"$V2C" rollout run "$TMP/invalid.yaml" --state "$TMP/st6" >/dev/null 2>"$TMP/st6.err"; st=$?
set -e
check "an invalid playbook: exit 3, errors with file, line and column" \
  sh -c "test $st -eq 3 && grep -q 'invalid.yaml:5:9' '$TMP/st6.err'"
playbook "$TMP/canary.yaml" "$good" "          canary:
            steps:
              - setWeight: 10
              - analysis: health
              - setWeight: 100"
sed "s|$good|$R/rt/hello:latest|" "$TMP/canary.yaml" >"$TMP/tag.yaml"
set +e
"$V2C" rollout run "$TMP/tag.yaml" --state "$TMP/st7" >/dev/null 2>"$TMP/st7.err"; st=$?
set -e
check "an image without a digest is refused" sh -c "test $st -eq 3 && grep -q 'tag is refused' '$TMP/st7.err'"
sed "s|$TMP/haproxy.sock|$TMP/nothing.sock|" "$TMP/canary.yaml" >"$TMP/nosock.yaml"
before=$(weights)
export -f weights 2>/dev/null || true
set +e
"$V2C" rollout run "$TMP/nosock.yaml" --state "$TMP/st8" >/dev/null 2>"$TMP/st8.err"; st=$?
set -e
check "an unreachable socket is reported before any weight changes" \
  sh -c "test $st -ne 0 && grep -q 'nothing.sock' '$TMP/st8.err' && test '$(weights)' = '$before' && ! grep -q weights '$TMP/st8/journal.jsonl' 2>/dev/null"
finish

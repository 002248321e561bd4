#!/usr/bin/env bash
# The command line itself: version, help, usage errors and exit statuses;
# options anywhere among a command's arguments (GNU style, `--` ending them,
# whatever POSIXLY_CORRECT says), and each command's usage written once.
. "$(dirname "$0")/lib.sh"
export LANG=C LC_ALL=C
unset POSIXLY_CORRECT

expect_status() { # expect_status STATUS DESCRIPTION ARGS...
  local want=$1 d=$2; shift 2
  set +e; "$V2C" "$@" >"$TMP/out" 2>"$TMP/err"; local got=$?; set -e
  if [ "$got" -eq "$want" ]; then ok "$d (exit $got)"; else not_ok "$d: exit $got, wanted $want"; cat "$TMP/err"; fi
}

expect_status 0 "--version" --version
check "--version prints the version" grep -qE '^v2c [0-9]+\.[0-9]+\.[0-9]+$' "$TMP/out"
expect_status 0 "help" help
check "help lists inspect" grep -q 'inspect' "$TMP/out"
check "help documents exit statuses" grep -q 'unusable input' "$TMP/out"
expect_status 0 "help inspect" help inspect
check "help inspect shows its usage" grep -q 'usage: v2c inspect' "$TMP/out"
expect_status 2 "no command" 
expect_status 2 "unknown command" frobnicate
check "unknown command is named" grep -q 'unknown command `frobnicate`' "$TMP/err"
expect_status 2 "help of an unknown command" help frobnicate
expect_status 2 "inspect without a source" inspect
check "the usage error is two lines: the problem, then the usage" test "$(wc -l <"$TMP/err")" -eq 2
check "the usage error names the problem" grep -qx 'v2c inspect: no SOURCE given' "$TMP/err"
check "the usage error points to --help" grep -q "; try 'v2c inspect --help'\$" "$TMP/err"
expect_status 2 "inspect with an unknown option" inspect --bogus x
check "the unknown option is named" grep -q -- '--bogus' "$TMP/err"
expect_status 3 "inspect of a missing file" inspect /nonexistent/disk.qcow2
check "a missing file gets one line" test "$(wc -l <"$TMP/err")" -eq 1

# --- each command's usage is written once ------------------------------------------
# `v2c help CMD`, `v2c CMD -h`, `v2c CMD --help` print the same text, and a
# usage error's second line is the usage line of that text.
"$V2C" help >"$TMP/help"
commands=$(sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p' "$TMP/help")
check "help lists every command" test "$(echo $commands)" = "inspect convert push pull rollout report kube-job help version"
for cmd in $commands; do
  expect_status 0 "help $cmd" help "$cmd"
  cp "$TMP/out" "$TMP/h.help"
  check "$cmd: help starts with its usage line" grep -q "^usage: v2c $cmd" <(head -1 "$TMP/h.help")
  for h in -h --help; do
    expect_status 0 "$cmd $h" "$cmd" "$h"
    check "$cmd: $h prints what \`v2c help $cmd\` prints" cmp -s "$TMP/h.help" "$TMP/out"
  done
  expect_status 2 "$cmd: an unknown option is a usage error" "$cmd" --no-such-option
  check "$cmd: it is two lines" test "$(wc -l <"$TMP/err")" -eq 2
  check "$cmd: the first names the option" grep -qx "v2c $cmd: unknown option \`--no-such-option\`" <(head -1 "$TMP/err")
  check "$cmd: the second is the usage line of the help, and the hint" \
    test "$(sed -n 2p "$TMP/err")" = "$(head -1 "$TMP/h.help"); try 'v2c $cmd --help'"
done
expect_status 2 "an option without its value" convert x -o
check "... is named" grep -qx 'v2c convert: option `-o` needs a value' <(head -1 "$TMP/err")
expect_status 2 "a value given to an option that takes none" inspect x --json=yes
check "... is named" grep -qx 'v2c inspect: option `--json` takes no value' <(head -1 "$TMP/err")
expect_status 2 "rollout approve --json: --json goes with run, resume and status" rollout approve --state "$TMP" x --json
check "... is named" grep -qx 'v2c rollout: --json goes with run, resume and status, not approve' <(head -1 "$TMP/err")
expect_status 2 "a long option without its value" rollout status --state
check "... is named" grep -qx 'v2c rollout: option `--state` needs a value' <(head -1 "$TMP/err")
expect_status 2 "an unknown rollout action" rollout frobnicate --state "$TMP/st"
check "... is named" grep -q 'unknown action `frobnicate`' "$TMP/err"
expect_status 0 "help -h" help -h
check "... is help's own help" grep -qx 'usage: v2c help \[COMMAND\]' <(head -1 "$TMP/out")

# --- options anywhere, whatever POSIXLY_CORRECT says -------------------------------
fixture_root
src="$FIXTURES/root"
json_report() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["schema"]=="v2c.inspect/1"' "$1"; }
for posix in "" 1; do
  with=${posix:+" (POSIXLY_CORRECT=1)"}
  run() { if [ -n "$posix" ]; then POSIXLY_CORRECT=1 "$V2C" "$@"; else "$V2C" "$@"; fi; }
  rm -rf "$TMP/any"; mkdir "$TMP/any"
  # inspect: --json and -o after the source, a tar and a directory
  st=0; run inspect "$FIXTURES/root.tar" --json >"$TMP/any/tar.json" 2>"$TMP/err" || st=$?
  check "inspect TAR --json$with: exit 0 (got $st)" test "$st" -eq 0
  check "inspect TAR --json$with: the report is JSON" json_report "$TMP/any/tar.json"
  st=0; run inspect "$src" -o "$TMP/any/dir.json" --json 2>"$TMP/err" || st=$?
  check "inspect DIR -o FILE --json$with: exit 0 (got $st)" test "$st" -eq 0
  "$V2C" inspect --json -o "$TMP/any/first.json" "$src"
  check "inspect DIR -o FILE --json$with: the report of options-first" cmp -s "$TMP/any/dir.json" "$TMP/any/first.json"
  # convert: -s, -o, --gzip and a global -v after the source
  st=0; run convert "$src" -s hello -o "$TMP/any/img" --gzip -v >"$TMP/any/conv.out" 2>"$TMP/any/conv.err" || st=$?
  check "convert DIR -s hello -o OUT --gzip -v$with: exit 0 (got $st)" test "$st" -eq 0
  check "... converts hello" grep -qE '^hello	sha256:[0-9a-f]{64}$' "$TMP/any/conv.out"
  check "... into OUT" test -f "$TMP/any/img/index.json"
  check "... with gzip layers" sh -c "skopeo inspect --raw 'oci:$TMP/any/img:hello' | grep -q 'tar+gzip'"
  check "... and -v after the command is read" grep -q '^v2c: info: ' "$TMP/any/conv.err"
  # `--` ends the options: a source named like an option
  ln -s "$src" "$TMP/any/-root"
  st=0; (cd "$TMP/any" && run inspect --json -- -root >"$TMP/any/dash.json" 2>"$TMP/err") || st=$?
  check "inspect --json -- -root$with: exit 0 (got $st)" test "$st" -eq 0
  check "... reads the directory -root" cmp -s "$TMP/any/dash.json" "$TMP/any/first.json"
  st=0; (cd "$TMP/any" && run convert -s hello -o img2 -- -root >/dev/null 2>"$TMP/err") || st=$?
  check "convert -s hello -o OUT -- -root$with: exit 0 (got $st)" test "$st" -eq 0
  check "... into OUT" sh -c "skopeo inspect 'oci:$TMP/any/img2:hello' >/dev/null"
  st=0; (cd "$TMP/any" && run inspect --json -root >/dev/null 2>"$TMP/err") || st=$?
  check "inspect -root without --$with: a usage error (got $st)" test "$st" -eq 2
  # rollout: options before the action, between the action and the playbook, after the playbook
  printf 'name: cli\nbogus: 1\n' >"$TMP/any/pb.yaml"
  for order in "--state $TMP/any/st run $TMP/any/pb.yaml" "run --state $TMP/any/st $TMP/any/pb.yaml" \
               "run $TMP/any/pb.yaml --state $TMP/any/st --poll-ms 50"; do
    # shellcheck disable=SC2086
    st=0; run rollout $order >/dev/null 2>"$TMP/err" || st=$?
    check "rollout ${order//$TMP\/any\//}$with: the playbook is read (exit 3, got $st)" \
      sh -c "test $st -eq 3 && grep -q 'unknown key \`bogus\`' '$TMP/err'"
  done
  st=0; run rollout status --state "$TMP/any/st" --poll-ms 5x >/dev/null 2>"$TMP/err" || st=$?
  check "rollout status --poll-ms 5x$with: a usage error naming it (exit 2, got $st)" \
    sh -c "test $st -eq 2 && grep -q 'poll-ms \`5x\` is not between 10 and 60000' '$TMP/err'"
  # a registry option of another command is refused, not ignored
  for bad in "push $TMP/any/img:hello 127.0.0.1:1/v2c/hello --max-size 1K|max-size|push|pull, convert" \
             "pull 127.0.0.1:1/v2c/hello:1 -o $TMP/any/p2 --chunk-size 2048|chunk-size|pull|push, convert" \
             "convert -s hello -o $TMP/any/c2 $src --platform linux/amd64|platform|convert|pull"; do
    IFS='|' read -r args opt cmd only <<<"$bad"
    # shellcheck disable=SC2086
    st=0; run $args >/dev/null 2>"$TMP/err" || st=$?
    check "$cmd --$opt$with: refused, another command's option (exit 2, got $st)" \
      sh -c "test $st -eq 2 && grep -qF -- '--$opt is not an option of \`v2c $cmd\` (only of: $only)' '$TMP/err'"
  done
  # push and pull: an option after the positional arguments is read
  st=0; run push "$TMP/any/img:hello" 127.0.0.1:1/v2c/hello --tls-verify=maybe >/dev/null 2>"$TMP/err" || st=$?
  check "push DIR REF --tls-verify=maybe$with: the option is read (exit 2, got $st)" \
    sh -c "test $st -eq 2 && grep -q 'tls-verify takes true or false' '$TMP/err'"
  st=0; run pull 127.0.0.1:1/v2c/hello:1 -o "$TMP/any/pulled" --retries 0 >/dev/null 2>"$TMP/err" || st=$?
  check "pull REF -o DIR --retries 0$with: the option is read (exit 2, got $st)" \
    sh -c "test $st -eq 2 && grep -q '\`0\` is not between 1 and 64' '$TMP/err'"
  st=0; run version -q >"$TMP/out" 2>"$TMP/err" || st=$?
  check "version -q$with: exit 0 (got $st)" test "$st" -eq 0
  st=0; run help convert -v >"$TMP/out" 2>"$TMP/err" || st=$?
  check "help convert -v$with: the help of convert" sh -c "test $st -eq 0 && grep -q '^usage: v2c convert' '$TMP/out'"
done
# pull: an output directory that cannot be made fails before the registry is
# asked anything (port 1 refuses: its error would be "reaching 127.0.0.1:1")
st=0; run pull 127.0.0.1:1/v2c/hello:1 -o "" >/dev/null 2>"$TMP/err" || st=$?
check "pull -o '': a usage error, not a connection (exit 2, got $st)" \
  sh -c "test $st -eq 2 && grep -qx 'v2c pull: -o needs a directory name, not an empty one' '$TMP/err'"
for action in "status" "run $TMP/none.yaml" "resume" "abort"; do
  # shellcheck disable=SC2086
  st=0; run rollout $action --state "" >/dev/null 2>"$TMP/err" || st=$?
  check "rollout $action --state '': a usage error, not the root directory (exit 2, got $st)" \
    sh -c "test $st -eq 2 && grep -qx 'v2c rollout: --state needs a directory name, not an empty one' '$TMP/err'"
done
st=0; run pull 127.0.0.1:1/v2c/hello:1 -o "$TMP/nodir/sub/out" >/dev/null 2>"$TMP/err" || st=$?
check "pull -o MISSING/sub/out: the layout is named, the registry never reached (exit 1, got $st)" \
  sh -c "test $st -eq 1 && grep -qF 'cannot make the layout \`$TMP/nodir/sub/out\`: No such file' '$TMP/err' && ! grep -q reaching '$TMP/err'"
mkdir -p "$TMP/pullto"
st=0; run pull 127.0.0.1:1/v2c/hello:1 -o "$TMP/pullto/out/" >/dev/null 2>"$TMP/err" || st=$?
check "pull -o DIR/ (a trailing slash) reaches the registry and leaves nothing behind (exit 1, got $st)" \
  sh -c "test $st -eq 1 && grep -q 'reaching 127.0.0.1:1' '$TMP/err' && test -z \"\$(ls -A '$TMP/pullto')\""
finish

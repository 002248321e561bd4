#!/bin/bash
# completion: the bash completion script, sourced in a bash (and loaded by
# bash-completion's own loader when it is installed), completes commands,
# each command's options and rollout's actions as the built v2c's help
# lists them, the services of a --report and the images of a layout DIR:.
#   test-completion.sh SCRIPT V2C
set -u
script=$(realpath "$1")
v2c=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The script runs "v2c" as typed: the built one, first in PATH.
mkdir "$tmp/bin"
ln -s "$v2c" "$tmp/bin/v2c"
export PATH="$tmp/bin:$PATH"

fail=0
# complete WORD... : what COMPREPLY holds, sorted, one line, after _v2c
# completes the last word (COMP_LINE: $COMP_LINE_OVERRIDE, or the words).
complete_words() {
        bash --norc --noprofile -c '
                source "$1" || exit 1
                shift
                COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE=${COMP_LINE_OVERRIDE:-$*}; COMP_POINT=${#COMP_LINE}
                COMPREPLY=()
                _v2c v2c "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
                [ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' bash "$script" "$@"
}
expect() {
        local want=$1; shift
        local got
        got=$(complete_words "$@")
        if [ "$got" = "$want" ]; then
                echo "ok: '$*' -> $got"
        else
                echo "FAIL: '$*' -> '$got', want '$want'"
                fail=1
        fi
}

# What the completion must offer, taken from the help text here too
# (lists written out would only test that they were copied right).
actions=$(LC_ALL=C v2c rollout --help | sed -n 's/^  v2c rollout \([a-z]*\) .*/\1/p' | sort | tr '\n' ' ')
[ "$(echo $actions)" = "abort approve finalize resume rollback run status" ] ||
        { echo "FAIL: rollout's help lists the actions '$actions'"; fail=1; }
al=$(LC_ALL=C v2c convert --help | grep -oE -- '--al[a-z-]*' | sort -u | tr '\n' ' ')
[ -n "$al" ] || { echo "FAIL: convert's help lists no --al... option"; fail=1; }

expect "convert " v2c con
expect "$al" v2c convert --al
expect "--allow-backing " v2c convert --allow-b
expect "$actions" v2c rollout ""
expect "$actions" v2c -q rollout ""
# --state takes an argument: `run` there is the state directory, not the action.
expect "--json " v2c rollout --state run status --js
expect "resume rollback run " v2c rollout --state run r
# convert's help quotes `v2c inspect --json`, and has a --json of its own
# (once: the quoted one adds nothing).
expect "--json " v2c convert --js
expect "--json " v2c inspect --js
expect "--html " v2c report --ht
expect "--playbooks " v2c report --pl
# Many guests, one appliance: --each and --manifest (which takes a file).
expect "kube-job " v2c kub
expect "--disks-claim " v2c kube-job --dis
expect "--each " v2c inspect --ea
expect "--manifest " v2c inspect --man
expect "--verbose --version " v2c --ve
expect "pull push " v2c help p

# Names from files: the services of a report (v2c's own reading of it),
# the images of a layout.  A name that compgen -W would expand is not
# offered, and nothing it holds runs.
cd "$tmp"
report=$V2C_SOURCE_ROOT/tests/expected/debian.json
names=$(LC_ALL=C v2c inspect --report "$report" | sed -n '/^NAME  /,/^$/p' | grep -oE '^postfix@[^ ]*' | sort | tr '\n' ' ')
[ -n "$names" ] || { echo "FAIL: the report shows no postfix@ service"; fail=1; }
expect "$names" v2c convert --report "$report" -s postfix@
expect "$names" v2c convert --report="$report" --service postfix@
expect "" v2c convert -s postfix@   # no --report: nothing to read them from
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for s in d["services"]:
        if s["name"] == "nginx":
                s["name"] = "ng$(touch pwned)"
json.dump(d, open("hostile.json", "w"))' "$report"
LC_ALL=C v2c inspect --report hostile.json | grep -qF 'ng$(touch pwned)' ||
        { echo "FAIL: v2c does not show the hostile service name (the check below would prove nothing)"; fail=1; }
expect "" v2c convert --report hostile.json -s ng
mkdir out
printf '%s' '{"schemaVersion":2,"manifests":[
 {"annotations":{"org.opencontainers.image.ref.name":"web"}},
 {"annotations":{"org.opencontainers.image.ref.name":"we$(touch pwned)"}},
 {"annotations":{"org.opencontainers.image.ref.name":"worker"}}]}' > out/index.json
# bash splits `out:we` at ':' (COMP_WORDBREAKS): it replaces only `we`.
COMP_LINE_OVERRIDE="v2c push out:we" expect "web " v2c push out : we
COMP_LINE_OVERRIDE="v2c push out:" expect "web worker " v2c push out : ""
if [ -e pwned ]; then
        echo "FAIL: completing ran a command a name held"
        fail=1
fi

# `complete -p` shows the function is bound to v2c.
got=$(bash --norc --noprofile -c 'source "$1" && complete -p v2c' bash "$script")
if [ "$got" = "complete -F _v2c v2c" ]; then
        echo "ok: complete -p v2c -> $got"
else
        echo "FAIL: complete -p v2c -> '$got'"
        fail=1
fi

# bash-completion finds it by the name it is installed under
# (DATADIR/bash-completion/completions/v2c), loading it on the first TAB.
bc=/usr/share/bash-completion/bash_completion
if [ -r "$bc" ]; then
        mkdir -p "$tmp/share/bash-completion/completions"
        cp "$script" "$tmp/share/bash-completion/completions/v2c"
        got=$(XDG_DATA_DIRS="$tmp/share" BASH_COMPLETION_USER_DIR="$tmp/none" bash --norc --noprofile -c '
                source "$1"
                _completion_loader v2c
                complete -p v2c' bash "$bc" 2>&1)
        if [ "$got" = "complete -F _v2c v2c" ]; then
                echo "ok: bash-completion loads it: $got"
        else
                echo "FAIL: bash-completion's loader gives '$got'"
                fail=1
        fi
else
        echo "note: bash-completion is not installed: its loader is not checked"
fi
exit $fail

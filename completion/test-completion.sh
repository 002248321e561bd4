#!/bin/bash
# completion: the bash completion script, sourced in a bash (and loaded by
# bash-completion's own loader when it is installed), completes commands,
# each command's options and rollout's actions as the built v2c's help
# lists them.
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
# completes the last word.
complete_words() {
        bash --norc --noprofile -c '
                source "$1" || exit 1
                shift
                COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
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
# An option convert's help only quotes (`v2c inspect --json`) is not its own.
expect "" v2c convert --js
expect "--json " v2c inspect --js
expect "--verbose --version " v2c --ve
expect "pull push " v2c help p

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

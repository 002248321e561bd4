#!/bin/bash
# man-lint: each page passes `mandoc -T lint -W warning` with nothing to say.
set -u
if ! command -v mandoc >/dev/null; then
        echo "SKIP: mandoc is not installed (scripts/setup.sh installs it)"
        exit 77
fi
[ $# -gt 0 ] || { echo "man-lint: no page given" >&2; exit 1; }
fail=0
for page in "$@"; do
        out=$(mandoc -T lint -W warning "$page" 2>&1)
        rc=$?
        if [ $rc -ne 0 ] || [ -n "$out" ]; then
                echo "FAIL: $page (mandoc exit $rc)"
                printf '%s\n' "$out"
                fail=1
        else
                echo "ok: $page"
        fi
done
exit $fail

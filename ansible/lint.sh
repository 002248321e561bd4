#!/usr/bin/env bash
# Static checks of the collection v2c.migrate with what Debian ships:
#   - ansible-test sanity, the tests that run offline (the others build a
#     virtualenv with pip from the network, which this machine has not:
#     ansible-doc, import, pep8, pylint, runtime-metadata,
#     validate-modules, yamllint; their ground is covered below);
#   - ansible-doc of every module (its DOCUMENTATION, EXAMPLES, RETURN parse);
#   - ansible-lint (production profile) and yamllint;
#   - python3 -m py_compile of the modules.
# Exits 77 (skip) when ansible-test is not installed (scripts/setup.sh
# installs ansible-core and ansible-lint).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
coll=$here/ansible_collections/v2c/migrate
for t in ansible-test ansible-doc ansible-lint yamllint; do
  command -v "$t" >/dev/null || { echo "skip: $t is missing (scripts/setup.sh installs it)"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# ansible-test writes its output under the collection: work on a copy.
mkdir -p "$tmp/ansible_collections/v2c"
cp -a "$coll" "$tmp/ansible_collections/v2c/migrate"
cd "$tmp/ansible_collections/v2c/migrate"
export ANSIBLE_HOME=$tmp/home ANSIBLE_COLLECTIONS_PATH=$tmp ANSIBLE_LOCAL_TEMP=$tmp/local
status=0
offline=(action-plugin-docs changelog compile empty-init future-import-boilerplate line-endings
         metaclass-boilerplate no-assert no-basestring no-dict-iteritems no-dict-iterkeys
         no-dict-itervalues no-get-exception no-illegal-filenames no-main-display no-smart-quotes
         no-unicode-literals replace-urlopen shebang shellcheck symlinks use-argspec-type-path
         use-compat-six)
args=()
for t in "${offline[@]}"; do args+=(--test "$t"); done
# Without git, ansible-test looks at every file of the directory.
if ansible-test sanity --local --python "$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
    "${args[@]}" >"$tmp/sanity.log" 2>&1; then
  echo "ok - ansible-test sanity (${#offline[@]} offline tests)"
else
  cat "$tmp/sanity.log"; echo "not ok - ansible-test sanity"; status=1
fi
for m in plugins/modules/*.py; do
  name=$(basename "$m" .py)
  if ansible-doc "v2c.migrate.$name" >/dev/null 2>"$tmp/doc.err" && ! grep -q . "$tmp/doc.err"; then
    echo "ok - ansible-doc v2c.migrate.$name"
  else
    cat "$tmp/doc.err"; echo "not ok - ansible-doc v2c.migrate.$name"; status=1
  fi
done
if ansible-lint -p --offline >"$tmp/lint.log" 2>&1; then
  echo "ok - ansible-lint (production profile)"
else
  cat "$tmp/lint.log"; echo "not ok - ansible-lint"; status=1
fi
if yamllint -s -d '{extends: default, rules: {line-length: {max: 120}, truthy: {allowed-values: ["true", "false"]}}}' . \
    >"$tmp/yamllint.log" 2>&1; then
  echo "ok - yamllint"
else
  cat "$tmp/yamllint.log"; echo "not ok - yamllint"; status=1
fi
exit $status

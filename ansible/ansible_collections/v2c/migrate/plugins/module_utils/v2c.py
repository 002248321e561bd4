# -*- coding: utf-8 -*-
# Copyright: v2c maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""What the v2c modules share: running the v2c binary on the managed host
with --json, and turning its exit status and one-line error into a module
failure.  v2c prints its result on stdout only when it succeeds (and, for a
rollout that rolled back, with exit status 1); its error is the last line
of stderr."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

# The options every module takes.
COMMON_ARGS = dict(
    v2c=dict(type='path', default='v2c'),
)

# Registry options shared by v2c_convert (with push) and v2c_push.
REGISTRY_ARGS = dict(
    plain_http=dict(type='bool', default=False),
    tls_verify=dict(type='bool', default=True),
    ca_file=dict(type='path'),
    auth_file=dict(type='path'),
)


def registry_argv(params):
    argv = []
    if params.get('plain_http'):
        argv.append('--plain-http')
    if params.get('tls_verify') is False:
        argv.append('--tls-verify=false')
    if params.get('ca_file'):
        argv += ['--ca-file', params['ca_file']]
    if params.get('auth_file'):
        argv += ['--auth-file', params['auth_file']]
    return argv


def v2c_binary(module):
    """The v2c to run: an absolute path as given, else found in PATH."""
    name = module.params['v2c']
    if os.path.isabs(name):
        return name
    return module.get_bin_path(name, required=True)


def error_line(stderr):
    """v2c's one-line error: the last non-empty line of its stderr."""
    lines = [ln for ln in (stderr or '').splitlines() if ln.strip()]
    return lines[-1] if lines else ''


def run_json(module, argv, ok_statuses=(0,)):
    """Runs argv, returns (rc, parsed JSON or None, stdout, stderr).  Fails the
    module with v2c's message and exit status when rc is not in
    ok_statuses or stdout is not the JSON it promised."""
    rc, out, err = module.run_command(argv, environ_update={'LC_ALL': 'C'})
    if rc not in ok_statuses:
        module.fail_json(msg=error_line(err) or 'v2c exited with status %d' % rc,
                         rc=rc, cmd=argv, stderr=err, stdout=out)
    try:
        result = json.loads(out) if out.strip() else None
    except ValueError as e:
        module.fail_json(msg='v2c printed no valid JSON: %s' % e, rc=rc, cmd=argv, stderr=err, stdout=out)
    return rc, result, out, err


def layout_images(layout):
    """{image name: manifest digest} of the OCI layout DIR (its index.json),
    or None when there is none.  v2c names each image with the
    org.opencontainers.image.ref.name annotation."""
    try:
        with open(os.path.join(layout, 'index.json'), 'rb') as f:
            index = json.loads(f.read().decode('utf-8'))
    except (IOError, OSError, ValueError):
        return None
    images = {}
    for m in index.get('manifests', []) if isinstance(index, dict) else []:
        if not isinstance(m, dict):
            continue
        name = (m.get('annotations') or {}).get('org.opencontainers.image.ref.name')
        if name is not None:
            images[name] = m.get('digest')
    return images


def push_changed(pushed):
    """Whether one push (v2c.push/1, or an image's `pushed` in
    v2c.convert/1) changed the registry: the manifest was put, or a blob
    was uploaded or mounted.  `put: false` with every blob `skipped` means
    the registry already held all of it under its digests."""
    if not pushed:
        return False
    if (pushed.get('manifest') or {}).get('put'):
        return True
    return any(b.get('action') != 'skipped' for b in pushed.get('blobs') or [])

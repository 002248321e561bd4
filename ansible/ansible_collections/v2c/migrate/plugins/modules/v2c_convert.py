#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: v2c maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: v2c_convert
short_description: Convert a guest's services into OCI images with v2c
version_added: 0.1.0
description:
  - Runs C(v2c convert --json) on the managed host and returns its result
    (schema v2c.convert/1), optionally pushing each image (I(push)).
  - v2c's images are deterministic, so C(changed) is true only when an
    image's manifest digest differs from what the existing layout in
    I(output) held under its name (or the layout had no such image), or
    when a push put a manifest or sent a blob. Converting the same guest
    again into the same layout is not a change.
  - An existing layout that v2c wrote is replaced (C(--force)); a
    directory holding anything else is refused by v2c.
  - In check mode the conversion runs into a temporary directory (removed
    afterwards) without I(push); C(changed) says whether I(output) would
    change. A I(report) that does not exist yet is left out then (the
    inspection that writes it did not run), and the guest inspected again.
options:
  source:
    description: The guest, as for v2c_inspect (disk images, a directory or a tar).
    type: list
    elements: path
    required: true
  output:
    description: The OCI layout directory to write on the managed host.
    type: path
    required: true
  services:
    description: The services to convert.
    type: list
    elements: str
    default: []
  all_stateless:
    description: Convert every stateless long-running service.
    type: bool
    default: false
  report:
    description: Reuse this report of an earlier inspection (skips inspecting again).
    type: path
  push:
    description: Push each image to C(HOST/PREFIX/NAME), by digest.
    type: str
  tag:
    description: The tag I(push) sets after the digest is in place.
    type: str
  image_repo:
    description: The repository the Kubernetes manifests pull from.
    type: str
  plain_http:
    description: Talk http to the registry of I(push).
    type: bool
    default: false
  tls_verify:
    description: Verify the registry's certificate.
    type: bool
    default: true
  ca_file:
    description: CA certificates to verify the registry with.
    type: path
  auth_file:
    description: An auth.json or config.json with the registry's credentials.
    type: path
  v2c:
    description: The v2c binary on the managed host.
    type: path
    default: v2c
author:
  - v2c maintainers
'''

EXAMPLES = r'''
- name: Convert web01's stateless services and push them
  v2c.migrate.v2c_convert:
    source: /var/lib/libvirt/images/web01.qcow2
    report: /var/lib/v2c/web01/report.json
    all_stateless: true
    output: /var/lib/v2c/web01/images
    push: registry.example.com:5000/web01
'''

RETURN = r'''
result:
  description: What v2c convert --json printed.
  returned: success
  type: dict
images:
  description: Each converted image's name and manifest digest.
  returned: success
  type: dict
previous:
  description: The images the layout held before, by name (null when there was no layout).
  returned: success
  type: dict
cmd:
  description: The command that ran.
  returned: always
  type: list
  elements: str
'''

import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.v2c.migrate.plugins.module_utils.v2c import (
    COMMON_ARGS, REGISTRY_ARGS, layout_images, push_changed, registry_argv, run_json, v2c_binary)


def main():
    args = dict(
        source=dict(type='list', elements='path', required=True),
        output=dict(type='path', required=True),
        services=dict(type='list', elements='str', default=[]),
        all_stateless=dict(type='bool', default=False),
        report=dict(type='path'),
        push=dict(type='str'),
        tag=dict(type='str'),
        image_repo=dict(type='str'),
    )
    args.update(COMMON_ARGS)
    args.update(REGISTRY_ARGS)
    module = AnsibleModule(argument_spec=args, supports_check_mode=True,
                           required_one_of=[('services', 'all_stateless')])
    p = module.params

    previous = layout_images(p['output'])
    tmpdir = None
    target = p['output']
    if module.check_mode:
        tmpdir = tempfile.mkdtemp(prefix='v2c-check-')
        target = tmpdir + '/layout'

    argv = [v2c_binary(module), 'convert', '--json', '--force', '-o', target]
    for s in p['services']:
        argv += ['-s', s]
    if p['all_stateless']:
        argv.append('--all-stateless')
    # In check mode the inspection task before this one wrote no report:
    # one that does not exist yet is left out and the guest inspected again.
    if p['report'] and not (module.check_mode and not os.path.exists(p['report'])):
        argv += ['--report', p['report']]
    if p['image_repo']:
        argv += ['--image-repo', p['image_repo']]
    if p['push'] and not module.check_mode:
        argv += ['--push', p['push']] + registry_argv(p)
        if p['tag']:
            argv += ['--tag', p['tag']]
    argv += p['source']

    try:
        rc, result, out, err = run_json(module, argv)
    finally:
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
    images = dict((i['name'], i['manifest']['digest']) for i in result['images'])
    changed = previous is None or any(previous.get(n) != d for n, d in images.items())
    changed = changed or any(push_changed(i.get('pushed')) for i in result['images'])
    if module.check_mode:
        result['layout'] = p['output']
    module.exit_json(changed=changed, result=result, images=images, previous=previous,
                     cmd=argv, stderr=err)


if __name__ == '__main__':
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: v2c maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: v2c_push
short_description: Push an image of an OCI layout to a registry with v2c
version_added: 0.1.0
description:
  - Runs C(v2c push --json) on the managed host and returns its result
    (schema v2c.push/1).
  - C(changed) is true when the manifest was put or a blob was uploaded or
    mounted; a push whose manifest the registry already held under its
    digest (every blob C(skipped)) is not a change. A tag given in I(ref)
    is always set again; that it pointed elsewhere before is not detected.
  - In check mode nothing is pushed; the module reports the command that
    would run and C(changed) true.
options:
  layout:
    description: The OCI layout directory on the managed host.
    type: path
    required: true
  name:
    description: The image of the layout to push (may be left out when it holds one).
    type: str
  ref:
    description: Where to push, C(HOST/REPO) or C(HOST/REPO:TAG).
    type: str
    required: true
  plain_http:
    description: Talk http, not https.
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
- name: Push nginx to the shared registry
  v2c.migrate.v2c_push:
    layout: /var/lib/v2c/web01/images
    name: nginx
    ref: registry.example.com:5000/web01/nginx:wave1
'''

RETURN = r'''
result:
  description: What v2c push --json printed.
  returned: success, not in check mode
  type: dict
pinned:
  description: HOST/REPO@sha256:... of the pushed image.
  returned: success, not in check mode
  type: str
cmd:
  description: The command that ran (or would run, in check mode).
  returned: always
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.v2c.migrate.plugins.module_utils.v2c import (
    COMMON_ARGS, REGISTRY_ARGS, push_changed, registry_argv, run_json, v2c_binary)


def main():
    args = dict(
        layout=dict(type='path', required=True),
        name=dict(type='str'),
        ref=dict(type='str', required=True),
    )
    args.update(COMMON_ARGS)
    args.update(REGISTRY_ARGS)
    module = AnsibleModule(argument_spec=args, supports_check_mode=True)
    p = module.params
    src = p['layout'] + (':' + p['name'] if p['name'] else '')
    argv = [v2c_binary(module), 'push', '--json'] + registry_argv(p) + [src, p['ref']]
    if module.check_mode:
        module.exit_json(changed=True, cmd=argv, msg='check mode: not pushed')
    rc, result, out, err = run_json(module, argv)
    module.exit_json(changed=push_changed(result), result=result, pinned=result.get('pinned'),
                     cmd=argv, stderr=err)


if __name__ == '__main__':
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: v2c maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: v2c_inspect
short_description: Inspect a guest's disks where they live with v2c
version_added: 0.1.0
description:
  - Runs C(v2c inspect --json) on the managed host (the host that holds the
    disks, which are never copied anywhere) and returns the report
    (schema v2c.inspect/1).
  - Inspecting reads the guest only. With I(output), the report is also
    written to that file on the managed host; C(changed) says whether the
    file's content changed.
  - In check mode the guest is still inspected (nothing is written) and
    C(changed) says whether I(output) would change.
options:
  source:
    description:
      - One guest - its disk images (several for one guest), a directory
        holding its root file system, or a tar archive of one.
    type: list
    elements: path
    required: true
  output:
    description: Where to write the report (JSON) on the managed host.
    type: path
  all:
    description: Also list installed services that are not enabled.
    type: bool
    default: false
  allow_backing:
    description: Follow the backing files a disk image names (read-only).
    type: bool
    default: false
  launch_timeout:
    description: Seconds the libguestfs appliance may take to start.
    type: int
  v2c:
    description: The v2c binary on the managed host.
    type: path
    default: v2c
author:
  - v2c maintainers
'''

EXAMPLES = r'''
- name: Inspect web01's disk on its hypervisor
  v2c.migrate.v2c_inspect:
    source: /var/lib/libvirt/images/web01.qcow2
    output: /var/lib/v2c/web01/report.json
  register: web01
'''

RETURN = r'''
report:
  description: The inspection report, as v2c inspect --json prints it.
  returned: success
  type: dict
cmd:
  description: The command that ran.
  returned: always
  type: list
  elements: str
'''

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.v2c.migrate.plugins.module_utils.v2c import COMMON_ARGS, run_json, v2c_binary


def main():
    args = dict(
        source=dict(type='list', elements='path', required=True),
        output=dict(type='path'),
        all=dict(type='bool', default=False),
        allow_backing=dict(type='bool', default=False),
        launch_timeout=dict(type='int'),
    )
    args.update(COMMON_ARGS)
    module = AnsibleModule(argument_spec=args, supports_check_mode=True)
    p = module.params
    argv = [v2c_binary(module), 'inspect', '--json']
    if p['all']:
        argv.append('--all')
    if p['allow_backing']:
        argv.append('--allow-backing')
    if p['launch_timeout'] is not None:
        argv += ['--launch-timeout', str(p['launch_timeout'])]
    argv += p['source']

    # The report goes to stdout (the bytes -o would write) and is written
    # here, after a comparison with what the file holds: a guest inspected
    # again unchanged is not a change.
    rc, report, text, err = run_json(module, argv)
    changed = False
    if p['output']:
        try:
            with open(p['output'], 'r') as f:
                changed = f.read() != text
        except (IOError, OSError):
            changed = True
        if changed and not module.check_mode:
            tmp = p['output'] + '.tmp'
            with open(tmp, 'w') as f:
                f.write(text)
            os.rename(tmp, p['output'])
    module.exit_json(changed=changed, report=report, cmd=argv, stderr=err)


if __name__ == '__main__':
    main()

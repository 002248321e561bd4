#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: v2c maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: v2c_inspect
short_description: Inspect guests' disks where they live with v2c
version_added: 0.1.0
description:
  - Runs C(v2c inspect --json) on the managed host (the host that holds the
    disks, which are never copied anywhere) and returns the report
    (schema v2c.inspect/1).
  - Inspecting reads the guest only. With I(output), the report is also
    written to that file on the managed host; C(changed) says whether the
    file's content changed.
  - With I(guests) instead of I(source), every guest the host holds is
    inspected in one run of C(v2c inspect --manifest) (one libguestfs
    appliance for all their disks, or I(jobs) appliances side by side), each
    report written to I(output_dir)/NAME.json; C(changed) says whether any
    of those files changed. A guest that fails is reported with v2c's
    message, the others' reports are written all the same, and the task
    fails.
  - In check mode the guests are still inspected (nothing is written) and
    C(changed) says whether a report file would change.
options:
  source:
    description:
      - One guest - its disk images (several for one guest), a directory
        holding its root file system, or a tar archive of one.
      - Exactly one of I(source) and I(guests).
    type: list
    elements: path
  output:
    description: Where to write the report (JSON) on the managed host (with I(source)).
    type: path
  guests:
    description:
      - Several guests, each a dict with C(name) and C(disks) (the guest's
        disk images in its order, or a directory or tar archive); other
        keys are ignored, so an inventory's list of VMs can be given as is.
      - A name or a path may not hold blanks or C(#) (the manifest's
        separators). v2c makes each name a file name (letters, digits,
        C(.), C(_), C(-)); the result's C(guests) gives each report's path.
    type: list
    elements: dict
  output_dir:
    description: The directory the reports go to (with I(guests), required); made (mode 0750) when missing.
    type: path
  jobs:
    description:
      - With I(guests), the number of appliances side by side (C(--jobs)),
        each taking a CPU and about 1.5 GB of memory.
    type: int
    default: 1
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

- name: Inspect every VM this hypervisor holds, in one appliance
  v2c.migrate.v2c_inspect:
    guests:
      - name: web01
        disks: [/var/lib/libvirt/images/web01.qcow2]
      - name: db01
        disks: [/var/lib/libvirt/images/db01-root.qcow2, /var/lib/libvirt/images/db01-data.qcow2]
    output_dir: /var/lib/v2c/reports
  register: inspected
'''

RETURN = r'''
report:
  description: The inspection report, as v2c inspect --json prints it (with I(source)).
  returned: success, with source
  type: dict
guests:
  description:
    - With I(guests), v2c's result per guest in the order given
      (schema v2c.inspect-each/1) - C(name), C(disks), C(status) (C(ok) or
      C(failed)), then C(report) (the report's path in I(output_dir)),
      C(os), C(services), C(secrets), or C(error) and C(exit).
  returned: with guests
  type: list
  elements: dict
cmd:
  description: The command that ran.
  returned: always
  type: list
  elements: str
'''

import json
import os
import re
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.v2c.migrate.plugins.module_utils.v2c import COMMON_ARGS, error_line, run_json, v2c_binary


def write_if_changed(module, path, text):
    """Whether the file at path holds other bytes than text; writes it
    (atomically) when it does, unless in check mode."""
    try:
        with open(path, 'r') as f:
            changed = f.read() != text
    except (IOError, OSError):
        changed = True
    if changed and not module.check_mode:
        tmp = path + '.tmp'
        with open(tmp, 'w') as f:
            f.write(text)
        os.rename(tmp, path)
    return changed


def manifest_of(module, guests):
    """The v2c manifest (one guest a line: NAME DISK...) of the guests."""
    blank = re.compile(r'[\s#]')
    lines = []
    for i, g in enumerate(guests):
        name = g.get('name')
        disks = g.get('disks')
        if isinstance(disks, str):
            disks = [disks]
        if not isinstance(name, str) or not name or not isinstance(disks, list) or not disks:
            module.fail_json(msg='guests[%d]: a guest needs a name and its disks' % i)
        for field in [name] + disks:
            if not isinstance(field, str) or not field or blank.search(field):
                module.fail_json(msg='guests[%d] (%s): %r cannot go in a manifest (no blanks, no #)'
                                 % (i, name, field))
        lines.append(' '.join([name] + disks))
    return ''.join(line + '\n' for line in lines)


def inspect_guests(module, argv):
    p = module.params
    out_dir = p['output_dir']
    work = tempfile.mkdtemp(prefix='v2c-inspect-')
    try:
        manifest = os.path.join(work, 'guests.list')
        with open(manifest, 'w') as f:
            f.write(manifest_of(module, p['guests']))
        argv += ['--manifest', manifest, '-o', os.path.join(work, 'reports'), '--jobs', str(p['jobs'])]
        # Exit 1: some guest failed; the result says which, the others'
        # reports are there.
        rc, result, text, err = run_json(module, argv, ok_statuses=(0, 1))
        if not isinstance(result, dict) or not isinstance(result.get('guests'), list):
            module.fail_json(msg=error_line(err) or 'v2c exited with status %d' % rc, rc=rc, cmd=argv, stderr=err)
        if not module.check_mode and not os.path.isdir(out_dir):
            os.makedirs(out_dir, 0o750)
        changed = False
        failed = []
        for g in result['guests']:
            if g.get('status') != 'ok':
                failed.append('%s: %s' % (g.get('name'), g.get('error')))
                continue
            name = os.path.basename(g['report'])
            with open(os.path.join(work, 'reports', name), 'r') as f:
                report = f.read()
            g['report'] = os.path.join(out_dir, name)
            changed = write_if_changed(module, g['report'], report) or changed
        if failed:
            module.fail_json(msg='%d of %d guests failed: %s' % (len(failed), len(result['guests']), '; '.join(failed)),
                             changed=changed, guests=result['guests'], rc=rc, cmd=argv, stderr=err)
        module.exit_json(changed=changed, guests=result['guests'], cmd=argv, stderr=err)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    args = dict(
        source=dict(type='list', elements='path'),
        output=dict(type='path'),
        guests=dict(type='list', elements='dict'),
        output_dir=dict(type='path'),
        jobs=dict(type='int', default=1),
        all=dict(type='bool', default=False),
        allow_backing=dict(type='bool', default=False),
        launch_timeout=dict(type='int'),
    )
    args.update(COMMON_ARGS)
    module = AnsibleModule(argument_spec=args, supports_check_mode=True,
                           required_one_of=[('source', 'guests')],
                           mutually_exclusive=[('source', 'guests'), ('output', 'guests'), ('output_dir', 'source')],
                           required_by={'guests': 'output_dir'})
    p = module.params
    argv = [v2c_binary(module), 'inspect', '--json']
    if p['all']:
        argv.append('--all')
    if p['allow_backing']:
        argv.append('--allow-backing')
    if p['launch_timeout'] is not None:
        argv += ['--launch-timeout', str(p['launch_timeout'])]
    if p['guests'] is not None:
        inspect_guests(module, argv)
    argv += p['source']

    # The report goes to stdout (the bytes -o would write) and is written
    # here, after a comparison with what the file holds: a guest inspected
    # again unchanged is not a change.
    rc, report, text, err = run_json(module, argv)
    changed = False
    if p['output']:
        changed = write_if_changed(module, p['output'], text)
    module.exit_json(changed=changed, report=report, cmd=argv, stderr=err)


if __name__ == '__main__':
    main()

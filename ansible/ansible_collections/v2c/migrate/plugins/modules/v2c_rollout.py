#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: v2c maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: v2c_rollout
short_description: Move a service's traffic from its VM to containers with v2c rollout
version_added: 0.1.0
description:
  - Runs C(v2c rollout) on the host that fronts the service (its HAProxy)
    and returns the JSON it prints (schema v2c.rollout-result/1 for run and
    resume, v2c.rollout-status/1 for status).
  - I(action=run) starts the rollout I(playbook) describes and waits for its
    end; a state directory whose rollout already finished is left alone and
    reported unchanged. A rollout that rolled back fails the task with
    v2c's reason (exit status 1) and returns the result.
  - I(action=status) only reads the journal and runs in check mode too; the
    other actions are skipped in check mode (the command that would run is
    returned).
options:
  action:
    description: What to do.
    type: str
    choices: [run, resume, status, approve, abort, rollback, finalize]
    default: run
  playbook:
    description: The rollout playbook (docs/playbook.md), for I(action=run).
    type: path
  state:
    description: The rollout's state directory (its journal).
    type: path
    required: true
  service:
    description: The service, for I(action=approve) and I(action=rollback).
    type: str
  v2c:
    description: The v2c binary on the managed host.
    type: path
    default: v2c
author:
  - v2c maintainers
'''

EXAMPLES = r'''
- name: Roll out wave 1 on its HAProxy host
  v2c.migrate.v2c_rollout:
    playbook: /etc/v2c/wave1.yml
    state: /var/lib/v2c/rollouts/wave1
'''

RETURN = r'''
result:
  description: What v2c printed (--json), for run, resume and status.
  returned: when v2c printed JSON
  type: dict
cmd:
  description: The command that ran (or would run, in check mode).
  returned: always
  type: list
  elements: str
'''

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.v2c.migrate.plugins.module_utils.v2c import COMMON_ARGS, error_line, run_json, v2c_binary


def status(module, v2c, state):
    """The rollout's status (v2c.rollout-status/1), or None when the state
    directory holds no journal yet."""
    if not os.path.isdir(state) or not os.listdir(state):
        return None
    rc, result, out, err = run_json(module, [v2c, 'rollout', 'status', '--state', state, '--json'])
    return result


def main():
    args = dict(
        action=dict(type='str', default='run',
                    choices=['run', 'resume', 'status', 'approve', 'abort', 'rollback', 'finalize']),
        playbook=dict(type='path'),
        state=dict(type='path', required=True),
        service=dict(type='str'),
    )
    args.update(COMMON_ARGS)
    module = AnsibleModule(argument_spec=args, supports_check_mode=True,
                           required_if=[('action', 'run', ('playbook',)),
                                        ('action', 'approve', ('service',))])
    p = module.params
    v2c = v2c_binary(module)
    action = p['action']

    if action == 'status':
        argv = [v2c, 'rollout', 'status', '--state', p['state'], '--json']
        rc, result, out, err = run_json(module, argv)
        module.exit_json(changed=False, result=result, cmd=argv)

    if action == 'run':
        argv = [v2c, 'rollout', 'run', p['playbook'], '--state', p['state'], '--json']
        before = status(module, v2c, p['state'])
        if before is not None and before.get('finished'):
            module.exit_json(changed=False, result=before, cmd=argv,
                             msg='the rollout in this state directory has finished')
    elif action == 'resume':
        argv = [v2c, 'rollout', 'resume', '--state', p['state'], '--json']
    else:
        argv = [v2c, 'rollout', action, '--state', p['state']]
        if p['service']:
            argv.append(p['service'])

    if module.check_mode:
        module.exit_json(changed=True, cmd=argv, msg='check mode: v2c rollout %s not run' % action)

    if action in ('run', 'resume'):
        # Exit status 1 with JSON: the rollout ended rolled back.
        rc, result, out, err = run_json(module, argv, ok_statuses=(0, 1))
        if rc != 0:
            module.fail_json(msg=error_line(err) or 'the rollout rolled back', rc=rc, result=result,
                             cmd=argv, stderr=err)
        module.exit_json(changed=True, result=result, cmd=argv, stderr=err)
    rc, out, err = module.run_command(argv, environ_update={'LC_ALL': 'C'})
    if rc != 0:
        module.fail_json(msg=error_line(err) or 'v2c exited with status %d' % rc, rc=rc, cmd=argv, stderr=err)
    module.exit_json(changed=True, cmd=argv, stdout=out, stderr=err)


if __name__ == '__main__':
    main()

# -*- coding: utf-8 -*-
# A callback for the tests (test-ansible.sh): writes every task result of a
# run to the file $V2C_ANSIBLE_RECORD as one JSON document, shaped like the
# json callback of ansible.posix (which Debian's ansible-core does not
# ship): {"plays": [{"tasks": [{"task": {"name"}, "hosts": {HOST: result}}]}],
# "stats": {HOST: {"ok", "changed", "failures", "unreachable", "skipped"}}}.
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = '''
name: v2c_record
type: notification
short_description: record task results as JSON for the v2c tests
description: Writes the run's task results to the file named by V2C_ANSIBLE_RECORD.
requirements:
  - enable in configuration
'''

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'notification'
    CALLBACK_NAME = 'v2c_record'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self.plays = []

    def v2_playbook_on_play_start(self, play):
        self.plays.append({'play': {'name': play.get_name()}, 'tasks': []})

    def v2_playbook_on_task_start(self, task, is_conditional):
        if not self.plays:
            self.plays.append({'play': {'name': ''}, 'tasks': []})
        self.plays[-1]['tasks'].append({'task': {'name': task.get_name()}, 'hosts': {}})

    def _record(self, result, **extra):
        r = dict(result._result)
        r.update(extra)
        if not self.plays or not self.plays[-1]['tasks']:
            self.v2_playbook_on_task_start(result._task, False)
        self.plays[-1]['tasks'][-1]['hosts'][result._host.get_name()] = r

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=True)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_runner_on_unreachable(self, result):
        self._record(result, unreachable=True)

    def v2_playbook_on_stats(self, stats):
        out = {'plays': self.plays, 'stats': {}}
        for h in sorted(stats.processed.keys()):
            out['stats'][h] = stats.summarize(h)
        with open(os.environ['V2C_ANSIBLE_RECORD'], 'w') as f:
            json.dump(out, f, default=str)

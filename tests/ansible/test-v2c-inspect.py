#!/usr/bin/python3
"""The manifest v2c_inspect writes for its `guests`
(ansible/ansible_collections/v2c/migrate/plugins/modules/v2c_inspect.py):
one guest a line, NAME DISK...; a name or a path holding a blank or a `#`
(the manifest's separators: it would name another guest or other disks)
fails the module before v2c runs.  Prints TAP-like lines, exits 1 on a
failed check."""
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', '..', 'ansible'))
from ansible_collections.v2c.migrate.plugins.modules import v2c_inspect  # noqa: E402


class Failed(Exception):
    pass


class Module(object):
    """What manifest_of uses of AnsibleModule: fail_json, which never returns."""
    def fail_json(self, **kw):
        raise Failed(kw.get('msg', ''))


def manifest(guests):
    return v2c_inspect.manifest_of(Module(), guests)


failures = 0


def check(what, ok):
    global failures
    print('%s - %s' % ('ok' if ok else 'not ok', what))
    failures += 0 if ok else 1


def fails(guests):
    try:
        manifest(guests)
    except Failed as e:
        return str(e)
    return None


check('a guest a line, its disks in order, other keys ignored',
      manifest([{'name': 'web01', 'disks': ['/vms/a.qcow2', '/vms/b.qcow2'], 'services': ['nginx']},
                {'name': 'db', 'disks': '/vms/db.qcow2'}]) == 'web01 /vms/a.qcow2 /vms/b.qcow2\ndb /vms/db.qcow2\n')
for bad in ['two words', 'tab\there', 'new\nline', 'hash#tag', 'cr\rx', 'nbsp\u00a0x']:
    msg = fails([{'name': bad, 'disks': ['/vms/a.qcow2']}])
    check('the name %r fails, saying why' % bad, msg is not None and 'no blanks' in msg)
    msg = fails([{'name': 'web', 'disks': ['/vms/a.qcow2', '/vms/' + bad]}])
    check('the disk %r fails, saying why' % ('/vms/' + bad), msg is not None and 'no blanks' in msg)
for what, g in [('no name', {'disks': ['/a']}), ('an empty name', {'name': '', 'disks': ['/a']}),
                ('no disks', {'name': 'web'}), ('an empty list of disks', {'name': 'web', 'disks': []}),
                ('a disk that is not a string', {'name': 'web', 'disks': [7]}),
                ('an empty disk path', {'name': 'web', 'disks': ['']})]:
    msg = fails([{'name': 'ok', 'disks': ['/ok']}, g])
    check('a guest with %s fails, naming it' % what, msg is not None and msg.startswith('guests[1]'))
sys.exit(1 if failures else 0)

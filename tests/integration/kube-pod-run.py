#!/usr/bin/python3
"""Runs what one pod of an Indexed Job runs, as the kubelet would start it,
with no kubelet: the container's command and args expanded as the kubelet
expands them ("$(VAR)" from the container's env, "$$" to "$"), its env
(JOB_COMPLETION_INDEX from the completion index annotation, as the Job
controller sets it), its ConfigMap volumes written out as files, its
claims and emptyDirs as local directories.

    kube-pod-run.py LIST.json INDEX ROOT [NAME=DIR...]

LIST.json is what `v2c kube-job` wrote (a v1 List of a ConfigMap and a
Job).  Each volume is a directory: a claim the DIR given for its name, a
Secret ROOT/VOLUME with the files of the DIR given for its name as its
keys, anything else ROOT/VOLUME.  The pod's paths are its mountPaths; as nothing here can
mount at them, every env value under a mountPath is rewritten to the
volume's directory, and the command runs in ROOT.  PATH is ROOT/bin (the
test puts its v2c there) and the system's.  Exits with the pod's status.
"""
import json
import os
import re
import subprocess
import sys


def expand(s, env):
    """The kubelet's expansion of command and args (third_party/forked/
    golang/expansion): $$ is $, $(VAR) is VAR's value when VAR is set."""
    def one(m):
        if m.group(0) == "$$":
            return "$"
        return env.get(m.group(1), m.group(0))
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)", one, s)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    doc = json.load(open(sys.argv[1]))
    index, root = sys.argv[2], sys.argv[3]
    claims = dict(a.split("=", 1) for a in sys.argv[4:])
    objs = {o["kind"]: o for o in doc["items"]}
    cm, job = objs["ConfigMap"], objs["Job"]
    pod = job["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    dirs = {}
    for v in pod["volumes"]:
        if "persistentVolumeClaim" in v:
            dirs[v["name"]] = claims[v["persistentVolumeClaim"]["claimName"]]
            continue
        d = os.path.join(root, v["name"])
        os.makedirs(d, exist_ok=True)
        if "secret" in v:
            # The Secret's keys: the files of the directory given for it.
            src = claims[v["secret"]["secretName"]]
            for item in v["secret"].get("items") or [{"key": k, "path": k} for k in os.listdir(src)]:
                with open(os.path.join(src, item["key"]), "rb") as f, \
                        open(os.path.join(d, item["path"]), "wb") as g:
                    g.write(f.read())
        if "configMap" in v:
            assert v["configMap"]["name"] == cm["metadata"]["name"], "the pod mounts another ConfigMap"
            for key, value in cm["data"].items():
                with open(os.path.join(d, key), "w") as f:
                    f.write(value)
        dirs[v["name"]] = d
    mounts = {m["mountPath"]: dirs[m["name"]] for m in c["volumeMounts"]}
    env = {}
    for e in c["env"]:
        if "value" in e:
            v = e["value"]
            for path, d in mounts.items():
                if v == path or v.startswith(path + "/"):
                    v = d + v[len(path):]
            env[e["name"]] = v
        elif e["valueFrom"]["fieldRef"]["fieldPath"] == \
                "metadata.annotations['batch.kubernetes.io/job-completion-index']":
            env[e["name"]] = index
        else:
            sys.exit(f"kube-pod-run: cannot give {e['name']} a value here")
    env["PATH"] = os.path.join(root, "bin") + ":/usr/bin:/bin"
    # The coverage log of tests/coverage/v2c-traced, when the test has one.
    for k in ("V2C_ARGV_LOG", "V2C_REAL", "LIBGUESTFS_BACKEND_SETTINGS"):
        if k in os.environ and k not in env:
            env[k] = os.environ[k]
    argv = [expand(a, env) for a in c.get("command", []) + c.get("args", [])]
    sys.exit(subprocess.run(argv, env=env, cwd=root).returncode)


if __name__ == "__main__":
    main()

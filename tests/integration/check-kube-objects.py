#!/usr/bin/python3
"""Checks Kubernetes objects against the API's own types, offline.

    check-kube-objects.py MANIFEST.json

MANIFEST is a JSON object or a `v1` List of them.  Each object is rebuilt
with the model classes Debian's python3-kubernetes generated from the
OpenAPI document of its Kubernetes release (22.x: Kubernetes 1.22):
`kubernetes.client.V1Job` and the rest, walked through each class's
`openapi_types` (the Python type of every field) and `attribute_map` (its
JSON name).  A key no class has (a field of a later release, or a typo),
a value of the wrong JSON type, or a field the API requires left out (the
models' constructors check that) fails the check, with the value's path.
The rebuilt objects are then serialised again by the client and must be
the input, key for key.  Names are checked as the API server checks them
(RFC 1123 labels and subdomains, ConfigMap keys, label keys and values).

Prints one line per object checked; exits 1 with the problems otherwise.
Run with /usr/bin/python3: the Debian package is what is installed.
"""
import json
import re
import sys

import kubernetes.client as k8s

KINDS = {("v1", "ConfigMap"): "V1ConfigMap", ("batch/v1", "Job"): "V1Job"}
LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
CONFIGMAP_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
QUALIFIED = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")


class Problem(Exception):
    pass


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise Problem(f"duplicate keys {dup}")
    return dict(pairs)


def build(typ, value, path):
    """VALUE (JSON) as the client's type TYP ("V1Job", "list[V1Container]",
    "dict(str, str)", "int"...): a model instance, or the plain value."""
    if typ == "str":
        if not isinstance(value, str):
            raise Problem(f"{path}: {value!r} is not a string")
        return value
    if typ == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise Problem(f"{path}: {value!r} is not an integer")
        return value
    if typ == "bool":
        if not isinstance(value, bool):
            raise Problem(f"{path}: {value!r} is not a boolean")
        return value
    if typ == "object":
        return value
    m = re.fullmatch(r"list\[(.+)\]", typ)
    if m:
        if not isinstance(value, list):
            raise Problem(f"{path}: not a list")
        return [build(m.group(1), v, f"{path}[{i}]") for i, v in enumerate(value)]
    m = re.fullmatch(r"dict\(str, (.+)\)", typ)
    if m:
        if not isinstance(value, dict):
            raise Problem(f"{path}: not an object")
        return {k: build(m.group(1), v, f"{path}.{k}") for k, v in value.items()}
    cls = getattr(k8s, typ, None)
    if cls is None or not hasattr(cls, "openapi_types"):
        raise Problem(f"{path}: the checker does not know type {typ}")
    if not isinstance(value, dict):
        raise Problem(f"{path}: not an object (a {typ})")
    by_json = {j: p for p, j in cls.attribute_map.items()}
    kwargs = {}
    for key, v in value.items():
        if key not in by_json:
            raise Problem(f"{path}.{key}: no such field in {typ} (python3-kubernetes {k8s.__version__})")
        py = by_json[key]
        kwargs[py] = build(cls.openapi_types[py], v, f"{path}.{key}")
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as e:
        raise Problem(f"{path}: {typ}: {e}")


def check_labels(labels, path, problems):
    for k, v in (labels or {}).items():
        prefix, _, name = k.rpartition("/")
        if (prefix and not SUBDOMAIN.match(prefix)) or not (0 < len(name) <= 63 and QUALIFIED.match(name)):
            problems.append(f"{path}: label key {k!r} is not a qualified name")
        if len(v) > 63 or not LABEL_VALUE.match(v):
            problems.append(f"{path}: label value {v!r} is not valid")


def check_names(obj, path, problems):
    """The names the API server validates, on the plain JSON."""
    meta = obj.get("metadata", {})
    name = meta.get("name", "")
    kind = obj.get("kind")
    check_labels(meta.get("labels"), f"{path}.metadata.labels", problems)
    if kind == "ConfigMap":
        if not (len(name) <= 253 and SUBDOMAIN.match(name)):
            problems.append(f"{path}.metadata.name: {name!r} is not an RFC 1123 subdomain")
        data = obj.get("data", {})
        for key in data:
            if not (len(key) <= 253 and CONFIGMAP_KEY.match(key)):
                problems.append(f"{path}.data: key {key!r} is not a ConfigMap key")
        size = sum(len(v.encode()) for v in data.values())
        if size > 1 << 20:
            problems.append(f"{path}.data: {size} bytes, over the 1 MiB the API server takes")
    if kind == "Job":
        spec = obj["spec"]
        if not (len(name) <= 63 and LABEL.match(name)):
            problems.append(f"{path}.metadata.name: {name!r} is not an RFC 1123 label")
        if spec.get("completionMode") == "Indexed":
            largest = f"{name}-{spec.get('completions', 1) - 1}"
            if len(largest) > 63:
                problems.append(f"{path}: the pod hostname {largest!r} of the last index is over 63 bytes")
        pod = spec["template"]["spec"]
        check_labels(spec["template"].get("metadata", {}).get("labels"), f"{path}.spec.template.metadata.labels",
                     problems)
        for group in ("initContainers", "containers", "volumes"):
            for i, c in enumerate(pod.get(group, [])):
                if not LABEL.match(c["name"]) or len(c["name"]) > 63:
                    problems.append(f"{path}.spec.template.spec.{group}[{i}].name: {c['name']!r} is not a label")
        volumes = {v["name"] for v in pod.get("volumes", [])}
        for i, c in enumerate(pod.get("containers", []) + pod.get("initContainers", [])):
            for m in c.get("volumeMounts", []):
                if m["name"] not in volumes:
                    problems.append(f"{path}: container {i} mounts {m['name']!r}, which no volume is")
        for v in pod.get("volumes", []):
            ref = (v.get("persistentVolumeClaim") or {}).get("claimName") or \
                (v.get("configMap") or {}).get("name") or (v.get("secret") or {}).get("secretName")
            if ref is not None and not (len(ref) <= 253 and SUBDOMAIN.match(ref)):
                problems.append(f"{path}: volume {v['name']!r} names {ref!r}, not an RFC 1123 subdomain")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    problems = []
    try:
        doc = json.load(open(sys.argv[1], encoding="utf-8"), object_pairs_hook=no_duplicates)
    except (OSError, ValueError, Problem) as e:
        sys.exit(f"{sys.argv[1]}: {e}")
    items = [doc]
    if doc.get("kind") == "List":
        extra = set(doc) - {"apiVersion", "kind", "items", "metadata"}
        if doc.get("apiVersion") != "v1" or extra or not isinstance(doc.get("items"), list):
            sys.exit(f"{sys.argv[1]}: a List is apiVersion v1 with items only (extra: {sorted(extra)})")
        items = doc["items"]
    client = k8s.ApiClient()
    for i, obj in enumerate(items):
        path = f"items[{i}]" if doc.get("kind") == "List" else "$"
        cls = KINDS.get((obj.get("apiVersion"), obj.get("kind")))
        if cls is None:
            problems.append(f"{path}: {obj.get('apiVersion')}/{obj.get('kind')} is not a kind this check knows")
            continue
        try:
            model = build(cls, obj, path)
        except Problem as e:
            problems.append(str(e))
            continue
        again = client.sanitize_for_serialization(model)
        if again != obj:
            problems.append(f"{path}: the {cls} rebuilt from it serialises differently: {again!r}")
        check_names(obj, path, problems)
        if not any(p.startswith(path) for p in problems):
            print(f"{path}: {obj['apiVersion']} {obj['kind']} {obj['metadata']['name']}: every field known to "
                  f"python3-kubernetes {k8s.__version__}, types and required fields right")
    for p in problems:
        print(f"problem: {p}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()

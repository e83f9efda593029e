#!/usr/bin/env bash
# Lints the YAML we ship and checks the Kubernetes manifests in deploy/ without a cluster:
#   yamllint . with the committed .yamllint (syntax, duplicate keys, indentation) on deploy/ and the compose files;
#   kubeconform when it is on PATH (it is not served by Debian, and its schemas need the internet);
#   `kubectl kustomize deploy/` when kubectl is there (renders the kustomization offline);
#   a structural check: apiVersion/kind per object, selectors matching pod labels, resources on every container,
#   Services, PDBs and the KEDA ScaledObject pointing at objects that exist, env sources that exist.
set -euo pipefail
cd "$(dirname "$0")/../.."

# shellcheck source=lib/apt.bash
source .ci/steps/lib/apt.bash

command -v yamllint >/dev/null 2>&1 || apt_install yamllint || { echo "ci: could not install yamllint"; exit 1; }
python="$(yaml_python)" || { echo "ci: could not install python3-yaml"; exit 1; }

# The committed .yamllint, so a plain `yamllint .` on a developer's machine checks exactly this.
[ -f .yamllint ] || { echo "ci: .yamllint is missing"; exit 1; }
yamllint -s .
echo "ci: yamllint . ok"

if command -v kubeconform >/dev/null 2>&1; then
  kubeconform -strict -summary -ignore-missing-schemas -skip Kustomization deploy/*.yaml
fi

if command -v kubectl >/dev/null 2>&1; then
  kubectl kustomize deploy/ >/dev/null
  echo "ci: kubectl kustomize deploy/ ok"
fi

"$python" - deploy <<'PY'
import glob, os, sys
import yaml

folder = sys.argv[1]
errors = []
objects = []  # (file, doc)

API = {
    "Deployment": "apps/v1", "StatefulSet": "apps/v1", "Service": "v1", "ConfigMap": "v1", "Secret": "v1",
    "PodDisruptionBudget": "policy/v1", "ScaledObject": "keda.sh/v1alpha1",
    "Kustomization": "kustomize.config.k8s.io/v1beta1",
}

for path in sorted(glob.glob(os.path.join(folder, "*.yaml"))):
    with open(path, encoding="utf-8") as handle:
        for doc in yaml.safe_load_all(handle):
            if doc is None:
                continue
            name = os.path.basename(path)
            if not isinstance(doc, dict):
                errors.append(f"{name}: a document is not a mapping"); continue
            kind = doc.get("kind")
            if kind not in API:
                errors.append(f"{name}: unexpected kind {kind!r}"); continue
            if doc.get("apiVersion") != API[kind]:
                errors.append(f"{name}: {kind} needs apiVersion {API[kind]}, has {doc.get('apiVersion')!r}")
            if kind != "Kustomization" and not (doc.get("metadata") or {}).get("name"):
                errors.append(f"{name}: {kind} without metadata.name")
            objects.append((name, doc))

def of(kind):
    return [(f, d) for f, d in objects if d["kind"] == kind]

def subset(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())

workloads = of("Deployment") + of("StatefulSet")
configmaps = {d["metadata"]["name"]: d.get("data") or {} for _, d in of("ConfigMap")}
secrets = {d["metadata"]["name"] for _, d in of("Secret")}

for f, d in workloads:
    name = d["metadata"]["name"]
    spec = d.get("spec") or {}
    template = spec.get("template") or {}
    labels = (template.get("metadata") or {}).get("labels") or {}
    if not subset((spec.get("selector") or {}).get("matchLabels"), labels):
        errors.append(f"{f}: {name}: selector.matchLabels does not match the pod template's labels")
    pod = template.get("spec") or {}
    if "terminationGracePeriodSeconds" not in pod:
        errors.append(f"{f}: {name}: no terminationGracePeriodSeconds")
    containers = pod.get("containers") or []
    if not containers:
        errors.append(f"{f}: {name}: no containers")
    for c in containers:
        cname = c.get("name")
        if not cname or not c.get("image"):
            errors.append(f"{f}: {name}: a container without name or image")
        res = c.get("resources") or {}
        for part in ("requests", "limits"):
            if not all(k in (res.get(part) or {}) for k in ("cpu", "memory")):
                errors.append(f"{f}: {name}/{cname}: resources.{part} needs cpu and memory")
        for source in c.get("envFrom") or []:
            if "configMapRef" in source and source["configMapRef"]["name"] not in configmaps:
                errors.append(f"{f}: {name}/{cname}: envFrom ConfigMap {source['configMapRef']['name']} is not defined")
            if "secretRef" in source and source["secretRef"]["name"] not in secrets:
                errors.append(f"{f}: {name}/{cname}: envFrom Secret {source['secretRef']['name']} has no example")
        for var in c.get("env") or []:
            ref = (var.get("valueFrom") or {}).get("secretKeyRef")
            if ref and ref["name"] not in secrets:
                errors.append(f"{f}: {name}/{cname}: env {var['name']} uses Secret {ref['name']} that has no example")
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            port = ((c.get(probe) or {}).get("httpGet") or (c.get(probe) or {}).get("tcpSocket") or {}).get("port")
            if isinstance(port, str) and port not in [p.get("name") for p in c.get("ports") or []]:
                errors.append(f"{f}: {name}/{cname}: {probe} uses port {port!r} that the container does not name")

def pod_labels(d):
    return ((d.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels") or {}

for f, d in of("Service"):
    selector = (d.get("spec") or {}).get("selector") or {}
    targets = [w for _, w in workloads if subset(selector, pod_labels(w))]
    if not targets:
        errors.append(f"{f}: Service {d['metadata']['name']} selects no workload")
    for port in (d.get("spec") or {}).get("ports") or []:
        target = port.get("targetPort")
        if isinstance(target, str):
            named = [p.get("name") for w in targets for c in w["spec"]["template"]["spec"]["containers"] for p in c.get("ports") or []]
            if target not in named:
                errors.append(f"{f}: Service {d['metadata']['name']}: targetPort {target!r} is not a named container port")

for f, d in of("PodDisruptionBudget"):
    selector = ((d.get("spec") or {}).get("selector") or {}).get("matchLabels")
    if not any(subset(selector, pod_labels(w)) for _, w in workloads):
        errors.append(f"{f}: PodDisruptionBudget {d['metadata']['name']} selects no workload")

deployments = {d["metadata"]["name"]: d for _, d in of("Deployment")}
for f, d in of("ScaledObject"):
    spec = d.get("spec") or {}
    target = deployments.get((spec.get("scaleTargetRef") or {}).get("name"))
    if target is None:
        errors.append(f"{f}: ScaledObject {d['metadata']['name']} targets no Deployment defined here"); continue
    if not 0 <= spec.get("minReplicaCount", 0) <= spec.get("maxReplicaCount", 100):
        errors.append(f"{f}: ScaledObject: minReplicaCount must not exceed maxReplicaCount")
    container = target["spec"]["template"]["spec"]["containers"][0]
    env = {v["name"] for v in container.get("env") or []}
    for source in container.get("envFrom") or []:
        env |= set(configmaps.get((source.get("configMapRef") or {}).get("name"), {}))
    for trigger in spec.get("triggers") or []:
        meta = trigger.get("metadata") or {}
        if trigger.get("type") == "redis-streams":
            for key in ("stream", "consumerGroup"):
                if not meta.get(key):
                    errors.append(f"{f}: redis-streams trigger without {key}")
            if not (meta.get("address") or meta.get("host") or meta.get("addressFromEnv") or meta.get("hostFromEnv")):
                errors.append(f"{f}: redis-streams trigger without an address")
        for key, value in meta.items():
            if key.endswith("FromEnv") and value not in env:
                errors.append(f"{f}: trigger {key}={value} is not an env var of Deployment {target['metadata']['name']}")
            if not isinstance(value, str):
                errors.append(f"{f}: trigger metadata {key} must be a string (quote numbers)")

kustomizations = of("Kustomization")
if len(kustomizations) != 1:
    errors.append("deploy/ needs exactly one kustomization.yaml")
else:
    listed = kustomizations[0][1].get("resources") or []
    for resource in listed:
        if not os.path.exists(os.path.join(folder, resource)):
            errors.append(f"kustomization.yaml lists {resource}, which does not exist")
    for path in sorted(glob.glob(os.path.join(folder, "*.yaml"))):
        name = os.path.basename(path)
        if name != "kustomization.yaml" and ".example." not in name and name not in listed:
            errors.append(f"{name} is neither in kustomization.yaml nor named *.example.yaml")
        if ".example." in name and name in listed:
            errors.append(f"{name} is an example and must not be applied by kustomization.yaml")

for error in errors:
    print(f"ci: manifest error: {error}")
print(f"ci: structural check of {len(objects)} objects in {folder}/: {'ok' if not errors else f'{len(errors)} error(s)'}")
sys.exit(1 if errors else 0)
PY

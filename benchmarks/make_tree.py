"""Generate a deterministic synthetic GitOps manifest repository for benchmarks.

Discovery's cost is dominated by the many files that never mention pod identity,
so the tree mimics a real repository: nested team/app/env folders, multi-document
files mixing many kinds, comments, some bulky ConfigMaps, RBAC that names
ServiceAccounts, and a small fraction of documents using aad-pod-identity placed
inside files that also hold ordinary objects.

The YAML is written by hand (no yaml library) so generation stays fast and
dependency-free; ``--verify`` re-reads everything with PyYAML when it is present.

    python benchmarks/make_tree.py OUTDIR [--docs 10000] [--files 2000]
        [--pod-identity 0.05] [--seed 1] [--stats] [--verify]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

TEAMS = (
    "payments", "checkout", "search", "catalog", "platform", "data", "ml", "mobile",
    "web", "billing", "growth", "infra", "security", "support", "logistics", "notify",
)  # fmt: skip
NOUNS = (
    "order", "ledger", "cart", "price", "stock", "user", "session", "report", "invoice",
    "email", "sms", "feed", "rank", "index", "media", "audit", "quota", "tax", "ship", "geo",
)  # fmt: skip
ROLES = ("api", "worker", "gateway", "sync", "cron", "consumer", "web", "proxy", "store")
ENVS = ("dev", "staging", "prod")
SIDECARS = ("envoy", "log-shipper", "metrics-exporter", "cloudsql-proxy")
REGISTRY = "contosoacr.azurecr.io"
# File themes: (file stem, weighted kinds of the ordinary documents it holds).
THEMES: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = (
    ("app", (("Deployment", 5), ("Service", 4), ("ConfigMap", 2), ("HorizontalPodAutoscaler", 2))),
    ("workload", (("Deployment", 4), ("Service", 3), ("ConfigMap", 2), ("ServiceAccount", 1))),
    ("rbac", (("Role", 3), ("RoleBinding", 3), ("ServiceAccount", 2))),
    ("config", (("ConfigMap", 6), ("Service", 1))),
    ("network", (("Service", 4), ("Ingress", 3))),
    ("jobs", (("CronJob", 4), ("ConfigMap", 1), ("ServiceAccount", 1))),
    ("data", (("StatefulSet", 3), ("Service", 3), ("ConfigMap", 2))),
    ("scaling", (("HorizontalPodAutoscaler", 3), ("Deployment", 2))),
)
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "CronJob")
TOP_FOLDERS = {"teams", "clusters"}  # all a generated tree holds; anything else isn't ours
# Chance that an extra pod-identity document (after the first) is a SecretProviderClass
# (at most one per file): gives "a few" of them, about a third of the files.
SPC_CHANCE = 0.3


@dataclass
class Stats:
    """What was written: the figures the benchmark report quotes."""

    files: int = 0
    docs: int = 0
    pi_docs: int = 0
    pi_files: int = 0
    bytes: int = 0
    kustomizations: int = 0
    dirs: int = 0
    kinds: Counter = field(default_factory=Counter)
    pi_kinds: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        return (
            f"files={self.files} docs={self.docs} pod_identity_docs={self.pi_docs} "
            f"pod_identity_files={self.pi_files} bytes={self.bytes}"
        )


@dataclass
class Unit:
    """One folder of manifests for an app in one environment (or its base)."""

    path: str
    team: str
    app: str
    namespace: str
    env: str
    files: list[str] = field(default_factory=list)
    kustomization: bool = False


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "".join(pad + line if line.strip() else line for line in text.splitlines(True))


class Names:
    """Unique object names per (namespace, kind), so no two documents collide."""

    def __init__(self) -> None:
        self.seen: Counter = Counter()

    def make(self, namespace: str, kind: str, base: str) -> str:
        key = (namespace, kind, base)
        self.seen[key] += 1
        n = self.seen[key]
        return base if n == 1 else f"{base}-{n}"


# --- ordinary objects -------------------------------------------------------------


def _meta(name: str, ns: str, app: str, team: str, extra: str = "") -> str:
    return (
        f"metadata:\n  name: {name}\n  namespace: {ns}\n  labels:\n"
        f"    app.kubernetes.io/name: {app}\n    app.kubernetes.io/part-of: {team}\n"
        f"    app.kubernetes.io/managed-by: kustomize\n{extra}"
    )


def _container(rng: random.Random, cname: str, image: str, main: bool, app: str) -> str:
    port = 8080 if main else rng.choice((9090, 9901, 15000))
    env_lines = []
    for i in range(rng.randint(3, 9) if main else rng.randint(0, 3)):
        pick = rng.random()
        var = f"{rng.choice(NOUNS).upper()}_{rng.choice(('URL', 'TIMEOUT', 'MODE', 'LEVEL'))}_{i}"
        if pick < 0.6:
            env_lines.append(f'- name: {var}\n  value: "{rng.randint(1, 5000)}"\n')
        elif pick < 0.8:
            env_lines.append(
                f"- name: {var}\n  valueFrom:\n    configMapKeyRef:\n"
                f"      name: {app}-config\n      key: {var.lower()}\n"
            )
        else:
            env_lines.append(
                f"- name: {var}\n  valueFrom:\n    secretKeyRef:\n      name: {app}-secrets\n      key: {var.lower()}\n"
            )
    if main and rng.random() < 0.3:
        env_lines.append('# - name: DEBUG\n#   value: "true"\n')
    env = "env:\n" + _indent("".join(env_lines), 2) if env_lines else ""
    cpu = rng.choice((50, 100, 250, 500, 1000))
    mem = rng.choice((64, 128, 256, 512, 1024))
    text = (
        f"- name: {cname}\n  image: {image}\n  imagePullPolicy: IfNotPresent\n"
        f"  ports:\n    - name: http\n      containerPort: {port}\n      protocol: TCP\n"
        + _indent(env, 2)
        + f"  resources:\n    requests:\n      cpu: {cpu}m\n      memory: {mem}Mi\n"
        f"    limits:\n      cpu: {cpu * 2}m\n      memory: {mem * 2}Mi\n"
    )
    if main:
        text += (
            f"  livenessProbe:\n    httpGet:\n      path: /healthz\n      port: {port}\n"
            f"    initialDelaySeconds: {rng.choice((5, 10, 15, 30))}\n    periodSeconds: 10\n"
            f"  readinessProbe:\n    httpGet:\n      path: /ready\n      port: {port}\n"
            f"    failureThreshold: 3\n"
            f"  volumeMounts:\n    - name: config\n      mountPath: /etc/{app}\n"
            f"    - name: tmp\n      mountPath: /tmp\n"
            f"  securityContext:\n    runAsNonRoot: true\n    allowPrivilegeEscalation: false\n"
            f"    readOnlyRootFilesystem: true\n"
        )
    return text


def _pod_template(rng: random.Random, unit: Unit, name: str, selector: str | None) -> str:
    """A pod template (metadata + spec); ``selector`` adds the aadpodidbinding label."""
    version = f"{rng.randint(1, 4)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"
    labels = f'    app.kubernetes.io/name: {name}\n    app.kubernetes.io/version: "{version}"\n'
    if selector:
        labels += f"    aadpodidbinding: {selector}\n"
    containers = _container(rng, name, f"{REGISTRY}/{unit.team}/{unit.app}:{version}", True, unit.app)
    for sidecar in rng.sample(SIDECARS, rng.randint(1, 3)):
        containers += _container(rng, sidecar, f"{REGISTRY}/shared/{sidecar}:1.{rng.randint(0, 9)}", False, unit.app)
    sa = f"  serviceAccountName: {unit.app}\n" if rng.random() < 0.5 else ""
    annotations = (
        '  annotations:\n    prometheus.io/scrape: "true"\n    prometheus.io/port: "9090"\n'
        if rng.random() < 0.5
        else ""
    )
    return (
        "metadata:\n  labels:\n"
        + labels
        + annotations
        + "spec:\n"
        + sa
        + "  containers:\n"
        + _indent(containers, 4)
        + f"  volumes:\n    - name: config\n      configMap:\n        name: {unit.app}-config\n"
        + "    - name: tmp\n      emptyDir: {}\n"
        + (f"    - name: certs\n      secret:\n        secretName: {unit.app}-tls\n" if rng.random() < 0.4 else "")
        + f"  terminationGracePeriodSeconds: {rng.choice((30, 60))}\n"
        + "  nodeSelector:\n    kubernetes.io/os: linux\n"
    )


def deployment(rng: random.Random, unit: Unit, name: str, selector: str | None = None) -> str:
    replicas = rng.randint(1, 6)
    comment = "  # managed by the HPA in prod\n" if rng.random() < 0.3 else ""
    return (
        "apiVersion: apps/v1\nkind: Deployment\n"
        + _meta(name, unit.namespace, unit.app, unit.team)
        + f"spec:\n{comment}  replicas: {replicas}\n  revisionHistoryLimit: 5\n"
        + f"  selector:\n    matchLabels:\n      app.kubernetes.io/name: {name}\n"
        + "  strategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxSurge: 25%\n"
        + "      maxUnavailable: 0\n"
        + "  template:\n"
        + _indent(_pod_template(rng, unit, name, selector), 4)
    )


def statefulset(rng: random.Random, unit: Unit, name: str, selector: str | None = None) -> str:
    return (
        "apiVersion: apps/v1\nkind: StatefulSet\n"
        + _meta(name, unit.namespace, unit.app, unit.team)
        + f"spec:\n  serviceName: {name}\n  replicas: {rng.choice((1, 3, 5))}\n"
        + f"  selector:\n    matchLabels:\n      app.kubernetes.io/name: {name}\n"
        + "  template:\n"
        + _indent(_pod_template(rng, unit, name, selector), 4)
        + "  volumeClaimTemplates:\n    - metadata:\n        name: data\n      spec:\n"
        + '        accessModes: ["ReadWriteOnce"]\n        storageClassName: managed-csi\n'
        + f"        resources:\n          requests:\n            storage: {rng.choice((8, 32, 128))}Gi\n"
    )


def cronjob(rng: random.Random, unit: Unit, name: str, selector: str | None = None) -> str:
    schedule = f"{rng.randint(0, 59)} {rng.choice(('*', '*/6', '2', '4'))} * * *"
    return (
        "apiVersion: batch/v1\nkind: CronJob\n"
        + _meta(name, unit.namespace, unit.app, unit.team)
        + f'spec:\n  schedule: "{schedule}"  # UTC\n  concurrencyPolicy: Forbid\n'
        + "  successfulJobsHistoryLimit: 3\n  failedJobsHistoryLimit: 1\n"
        + "  jobTemplate:\n    spec:\n      backoffLimit: 2\n      template:\n"
        + _indent(_pod_template(rng, unit, name, selector) + "  restartPolicy: OnFailure\n", 8)
    )


def service(rng: random.Random, unit: Unit, name: str) -> str:
    kind = rng.choice(("ClusterIP", "ClusterIP", "ClusterIP", "LoadBalancer"))
    annotations = (
        '  annotations:\n    service.beta.kubernetes.io/azure-load-balancer-internal: "true"\n'
        if kind == "LoadBalancer"
        else ""
    )
    return (
        "apiVersion: v1\nkind: Service\n"
        + _meta(name, unit.namespace, unit.app, unit.team, annotations)
        + f"spec:\n  type: {kind}\n  selector:\n    app.kubernetes.io/name: {name}\n"
        + "  ports:\n    - name: http\n      port: 80\n      targetPort: http\n"
        + "    - name: metrics\n      port: 9090\n      targetPort: 9090\n"
    )


def configmap(rng: random.Random, unit: Unit, name: str) -> str:
    data = [
        f"  LOG_LEVEL: {rng.choice(('debug', 'info', 'warn'))}\n",
        f'  FEATURE_FLAGS: "{",".join(rng.sample(NOUNS, 4))}"\n',
    ]
    bulk = rng.random()
    if bulk < 0.4:  # an application.properties block
        lines = "".join(
            f"    {rng.choice(NOUNS)}.{rng.choice(ROLES)}.setting{i}={rng.randint(0, 99999)}\n"
            for i in range(rng.randint(20, 120))
        )
        data.append("  application.properties: |\n    # generated defaults\n" + lines)
    elif bulk < 0.7:  # an nginx config
        upstreams = "".join(
            f"      server {rng.choice(NOUNS)}-{i}.{unit.namespace}.svc.cluster.local:8080;\n"
            for i in range(rng.randint(3, 20))
        )
        data.append(
            "  nginx.conf: |\n    worker_processes auto;\n    events { worker_connections 1024; }\n"
            f"    http {{\n      upstream backend {{\n{_indent(upstreams, 2)}      }}\n"
            "      server {\n        listen 8080;\n        location / { proxy_pass http://backend; }\n"
            "      }\n    }\n"
        )
    else:  # a JSON settings blob
        entries = ",\n".join(
            f'      "{rng.choice(NOUNS)}_{i}": {{"enabled": {str(rng.random() < 0.5).lower()}, '
            f'"limit": {rng.randint(1, 1000)}}}'
            for i in range(rng.randint(5, 60))
        )
        data.append("  settings.json: |\n    {\n" + entries + "\n    }\n")
    return (
        "apiVersion: v1\nkind: ConfigMap\n"
        + _meta(name, unit.namespace, unit.app, unit.team)
        + "data:\n"
        + "".join(data)
    )


def ingress(rng: random.Random, unit: Unit, name: str) -> str:
    host = f"{unit.app}.{unit.env}.contoso.example"
    return (
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\n"
        + _meta(
            name,
            unit.namespace,
            unit.app,
            unit.team,
            "  annotations:\n    cert-manager.io/cluster-issuer: letsencrypt\n",
        )
        + "spec:\n  ingressClassName: webapprouting.kubernetes.azure.com\n"
        + f"  tls:\n    - hosts: [{host}]\n      secretName: {name}-tls\n"
        + f"  rules:\n    - host: {host}\n      http:\n        paths:\n"
        + "          - path: /\n            pathType: Prefix\n            backend:\n"
        + f"              service:\n                name: {unit.app}\n"
        + "                port:\n                  name: http\n"
    )


def hpa(rng: random.Random, unit: Unit, name: str) -> str:
    low = rng.randint(1, 3)
    return (
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"
        + _meta(name, unit.namespace, unit.app, unit.team)
        + "spec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n"
        + f"    name: {unit.app}\n  minReplicas: {low}\n  maxReplicas: {low * rng.randint(3, 10)}\n"
        + "  metrics:\n    - type: Resource\n      resource:\n        name: cpu\n"
        + f"        target:\n          type: Utilization\n          averageUtilization: {rng.choice((60, 70, 80))}\n"
    )


def role(rng: random.Random, unit: Unit, name: str) -> str:
    resources = ", ".join(rng.sample(("configmaps", "secrets", "pods", "services", "endpoints"), 2))
    return (
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n"
        + _meta(name, unit.namespace, unit.app, unit.team)
        + f'rules:\n  - apiGroups: [""]\n    resources: [{resources}]\n'
        + "    verbs: [get, list, watch]\n"
        + "  - apiGroups: [coordination.k8s.io]\n    resources: [leases]\n"
        + "    verbs: [get, create, update]\n"
    )


def rolebinding(rng: random.Random, unit: Unit, name: str) -> str:
    return (
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n"
        + _meta(name, unit.namespace, unit.app, unit.team)
        + f"roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: {unit.app}\n"
        + f"subjects:\n  - kind: ServiceAccount\n    name: {unit.app}\n    namespace: {unit.namespace}\n"
    )


def serviceaccount(rng: random.Random, unit: Unit, name: str) -> str:
    return (
        "apiVersion: v1\nkind: ServiceAccount\n"
        + _meta(name, unit.namespace, unit.app, unit.team)
        + f"automountServiceAccountToken: {str(rng.random() < 0.3).lower()}\n"
    )


ORDINARY = {
    "Deployment": deployment,
    "StatefulSet": statefulset,
    "CronJob": cronjob,
    "Service": service,
    "ConfigMap": configmap,
    "Ingress": ingress,
    "HorizontalPodAutoscaler": hpa,
    "Role": role,
    "RoleBinding": rolebinding,
    "ServiceAccount": serviceaccount,
}
NAME_SUFFIX = {
    "Deployment": "",
    "StatefulSet": "-db",
    "CronJob": "-nightly",
    "Service": "",
    "ConfigMap": "-config",
    "Ingress": "",
    "HorizontalPodAutoscaler": "",
    "Role": "",
    "RoleBinding": "",
    "ServiceAccount": "",
}
WORKLOAD = {"Deployment": deployment, "StatefulSet": statefulset, "CronJob": cronjob}


# --- pod-identity objects ---------------------------------------------------------


def azure_identity(rng: random.Random, unit: Unit, name: str) -> str:
    sub, rg = _guid(rng), f"rg-{unit.team}-{unit.env}"
    return (
        "apiVersion: aadpodidentity.k8s.io/v1\nkind: AzureIdentity\n"
        + f"metadata:\n  name: {name}\n  namespace: {unit.namespace}\n"
        + "spec:\n  type: 0\n"
        + f"  resourceID: /subscriptions/{sub}/resourceGroups/{rg}/providers/"
        + f"Microsoft.ManagedIdentity/userAssignedIdentities/{name}\n"
        + f"  clientID: {_guid(rng)}\n"
    )


def azure_identity_binding(unit: Unit, name: str, identity: str, selector: str) -> str:
    return (
        "apiVersion: aadpodidentity.k8s.io/v1\nkind: AzureIdentityBinding\n"
        + f"metadata:\n  name: {name}\n  namespace: {unit.namespace}\n"
        + f"spec:\n  azureIdentity: {identity}\n  selector: {selector}\n"
    )


def secret_provider_class(rng: random.Random, unit: Unit, name: str) -> str:
    secrets = "".join(
        f"        - |\n          objectName: {rng.choice(NOUNS)}-secret-{i}\n          objectType: secret\n"
        for i in range(rng.randint(1, 4))
    )
    return (
        "apiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\n"
        + f"metadata:\n  name: {name}\n  namespace: {unit.namespace}\n"
        + 'spec:\n  provider: azure\n  parameters:\n    usePodIdentity: "true"\n'
        + f"    keyvaultName: kv-{unit.team}-{unit.env}\n    tenantId: {_guid(rng)}\n"
        + "    objects: |\n      array:\n"
        + secrets
    )


# --- layout -----------------------------------------------------------------------


def _units(rng: random.Random, n_files: int) -> list[Unit]:
    """Folders and file names until exactly ``n_files`` files are placed."""
    units: list[Unit] = []
    remaining = n_files
    serial = 0
    while remaining > 0:
        team = TEAMS[serial % len(TEAMS)]
        app = f"{NOUNS[(serial // len(TEAMS)) % len(NOUNS)]}-{rng.choice(ROLES)}"
        if serial >= len(TEAMS) * len(NOUNS):
            app += f"-{serial}"
        serial += 1
        layout = rng.random()
        if layout < 0.6:  # kustomize base + overlays
            folders = [(f"teams/{team}/apps/{app}/base", "dev", team)]
            folders += [(f"teams/{team}/apps/{app}/overlays/{env}", env, f"{team}-{env}") for env in ENVS]
        else:  # one folder per cluster environment
            folders = [(f"clusters/{env}/{team}/{app}", env, f"{team}-{env}") for env in ENVS[1:]]
        for path, env, namespace in folders:
            if remaining <= 0:
                break
            unit = Unit(path, team, app, namespace, env)
            unit.kustomization = "teams/" in path and remaining >= 2
            count = min(rng.randint(2, 6), remaining - unit.kustomization)
            themes = rng.sample(range(len(THEMES)), count)
            ext = ".yml" if rng.random() < 0.1 else ".yaml"
            unit.files = [f"{THEMES[t][0]}{ext}" for t in themes]
            remaining -= count + unit.kustomization
            units.append(unit)
    return units


def _theme_of(filename: str) -> tuple[tuple[str, int], ...]:
    stem = filename.rsplit(".", 1)[0]
    return next(kinds for name, kinds in THEMES if name == stem)


def generate(outdir: str, docs: int = 10000, files: int = 2000, pod_identity: float = 0.05, seed: int = 1) -> Stats:
    """Write the tree below ``outdir`` (replacing it) and return what was written."""
    if files < 1 or docs < files:
        raise ValueError("need at least one file and at least as many documents as files")
    rng = random.Random(seed)
    units = _units(rng, files)
    slots = [(u, f) for u in units for f in u.files]  # manifest files (not kustomizations)
    n_kust = sum(u.kustomization for u in units)

    n_pi_docs = round(docs * pod_identity)
    if 0 < n_pi_docs < 3:
        n_pi_docs = 3  # the smallest meaningful set: identity, binding, workload
    n_pi_files = min(round(files * pod_identity) or 1, n_pi_docs // 3, len(slots)) if n_pi_docs else 0
    spare = docs - n_kust - n_pi_docs - len(slots)  # ordinary docs beyond one per file
    if spare < 0:
        raise ValueError("too few documents for this many files and pod-identity documents")

    # Ordinary documents: one per file, the rest spread with a skew (a few big files).
    ordinary = [1] * len(slots)
    weights = [rng.lognormvariate(0, 0.9) for _ in slots]
    for i in rng.choices(range(len(slots)), weights=weights, k=spare):
        ordinary[i] += 1
    # Pod identity: an identity, a binding and a workload per file, extras spread over them.
    pi_files = sorted(rng.sample(range(len(slots)), n_pi_files))
    pi_count = dict.fromkeys(pi_files, 3)
    for i in rng.choices(pi_files, k=n_pi_docs - 3 * n_pi_files) if pi_files else ():
        pi_count[i] += 1

    if os.path.exists(outdir):
        if not set(os.listdir(outdir)) <= TOP_FOLDERS:
            raise ValueError(f"{outdir} exists and does not look like a generated tree; refusing to replace it")
        shutil.rmtree(outdir)
    stats = Stats(kustomizations=n_kust)
    names = Names()
    made_dirs: set[str] = set()
    slot = 0
    for unit in units:
        folder = os.path.join(outdir, unit.path)
        os.makedirs(folder, exist_ok=True)
        made_dirs.add(folder)
        for filename in unit.files:
            parts: list[str] = []
            kinds_weights = _theme_of(filename)
            kinds = [k for k, _ in kinds_weights]
            kw = [w for _, w in kinds_weights]
            for kind in rng.choices(kinds, weights=kw, k=ordinary[slot]):
                name = names.make(unit.namespace, kind, unit.app + NAME_SUFFIX[kind])
                parts.append(ORDINARY[kind](rng, unit, name))
                stats.kinds[kind] += 1
            if slot in pi_count:
                parts.extend(_pod_identity_docs(rng, unit, names, pi_count[slot], stats))
                rng.shuffle(parts)
                stats.pi_files += 1
            slot += 1
            header = f"# {unit.team}/{unit.app} ({unit.env}) - owned by team-{unit.team}\n"
            if rng.random() < 0.5:
                header += "# Changes go through the GitOps pipeline; do not kubectl apply by hand.\n"
            body = header + ("---\n" if rng.random() < 0.3 else "") + "---\n".join(parts)
            stats.bytes += _write(os.path.join(folder, filename), body)
            stats.docs += len(parts)
            stats.files += 1
        if unit.kustomization:
            resources = "".join(f"  - {f}\n" for f in unit.files)
            body = (
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                f"namespace: {unit.namespace}\nresources:\n{resources}"
                f"commonLabels:\n  team: {unit.team}\n"
            )
            stats.bytes += _write(os.path.join(folder, "kustomization.yaml"), body)
            stats.kinds["Kustomization"] += 1
            stats.docs += 1
            stats.files += 1
    stats.dirs = len({d for f in made_dirs for d in _ancestors(f, outdir)})
    return stats


def _pod_identity_docs(rng: random.Random, unit: Unit, names: Names, count: int, stats: Stats) -> list[str]:
    """``count`` documents: identity + binding + workloads (and maybe an SPC) sharing a selector."""
    identity = names.make(unit.namespace, "AzureIdentity", f"id-{unit.app}")
    # aad-pod-identity matches selectors across namespaces: keep them unique cluster-wide
    # so the tree measures discovery, not a pile of ambiguity findings.
    selector = f"{unit.namespace}-{identity.removeprefix('id-')}"
    docs = [
        azure_identity(rng, unit, identity),
        azure_identity_binding(
            unit, names.make(unit.namespace, "AzureIdentityBinding", f"{identity}-binding"), identity, selector
        ),
    ]
    stats.pi_kinds.update(("AzureIdentity", "AzureIdentityBinding"))
    has_spc = False
    for i in range(count - 2):
        if i > 0 and not has_spc and rng.random() < SPC_CHANCE:
            docs.append(
                secret_provider_class(rng, unit, names.make(unit.namespace, "SecretProviderClass", f"{unit.app}-kv"))
            )
            stats.pi_kinds["SecretProviderClass"] += 1
            has_spc = True
            continue
        kind = "Deployment" if i == 0 else rng.choice(WORKLOAD_KINDS)
        name = names.make(unit.namespace, kind, unit.app + NAME_SUFFIX[kind] + "-mi")
        docs.append(WORKLOAD[kind](rng, unit, name, selector))
        stats.pi_kinds[kind] += 1
    stats.pi_docs += len(docs)
    return docs


def _ancestors(folder: str, root: str) -> list[str]:
    out = []
    while os.path.normpath(folder) != os.path.normpath(root):
        out.append(folder)
        folder = os.path.dirname(folder)
    return out


def _write(path: str, text: str) -> int:
    data = text.encode()
    with open(path, "wb") as fh:
        fh.write(data)
    return len(data)


def verify(outdir: str, stats: Stats) -> None:
    """Re-read every file with PyYAML and recount, so a generator bug can't skew a benchmark."""
    import yaml  # only for this check; generation itself needs no library

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    docs = pi_docs = pi_files = grep_files = 0
    for folder, _, filenames in os.walk(outdir):
        for filename in filenames:
            with open(os.path.join(folder, filename), encoding="utf-8") as fh:
                text = fh.read()
            parsed = list(yaml.load_all(text, Loader=loader))
            if any(not isinstance(d, dict) or "kind" not in d for d in parsed):
                raise AssertionError(f"{folder}/{filename}: a document is not a Kubernetes object")
            using = sum(_uses_pod_identity(d) for d in parsed)
            docs += len(parsed)
            pi_docs += using
            pi_files += using > 0
            grep_files += "aadpodidbinding" in text
    got = (docs, pi_docs, pi_files)
    want = (stats.docs, stats.pi_docs, stats.pi_files)
    if got != want or grep_files != stats.pi_files:
        raise AssertionError(f"recount {got} (grep files {grep_files}) != generated {want}")


def _uses_pod_identity(doc: dict) -> bool:
    if str(doc.get("apiVersion", "")).startswith("aadpodidentity.k8s.io/"):
        return True
    if doc.get("kind") == "SecretProviderClass":
        return doc["spec"]["parameters"].get("usePodIdentity") == "true"
    spec = doc.get("spec") or {}
    if doc.get("kind") == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    template = spec.get("template") if isinstance(spec, dict) else None
    return bool(template) and "aadpodidbinding" in template["metadata"]["labels"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", help="folder to (re)create")
    parser.add_argument("--docs", type=int, default=10000, help="YAML documents in total")
    parser.add_argument("--files", type=int, default=2000, help="files in total")
    parser.add_argument("--pod-identity", type=float, default=0.05, help="fraction of documents that use pod identity")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stats", action="store_true", help="also print the kinds written")
    parser.add_argument("--verify", action="store_true", help="re-parse every file with PyYAML")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        stats = generate(args.outdir, args.docs, args.files, args.pod_identity, args.seed)
    except ValueError as exc:
        parser.error(str(exc))
    elapsed = time.perf_counter() - started
    print(f"{stats.summary()} ({elapsed:.2f}s)")
    if args.stats:
        print(f"  dirs={stats.dirs} kustomizations={stats.kustomizations}")
        print("  ordinary: " + ", ".join(f"{k}={n}" for k, n in stats.kinds.most_common()))
        print("  pod identity: " + ", ".join(f"{k}={n}" for k, n in stats.pi_kinds.most_common()))
    if args.verify:
        verify(args.outdir, stats)
        print("  verified: every file parses with PyYAML; counts match")
    return 0


if __name__ == "__main__":
    sys.exit(main())

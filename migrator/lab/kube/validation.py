"""The apiserver's validation for the fields a migration touches, with its messages (HTTP 422).

Not every rule Kubernetes has: the ones a migration can trip over (immutable selectors, a
Job's template, a Pod's spec, selectors that stop matching their template, missing images)."""

from __future__ import annotations

import json

from migrator.core.fields import is_valid_label_value
from migrator.lab.kube import netpol_validation
from migrator.lab.kube.defaults import template
from migrator.lab.kube.errors import Cause
from migrator.lab.kube.selectors import SelectorError, label_selector_from_object

POD_MUTABLE = (
    "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "
    "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
)
STS_MUTABLE = (
    "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
    "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
)


def _go_map(value: object) -> str:
    if isinstance(value, dict):
        return "map[string]string{" + ", ".join(f'"{k}":"{v}"' for k, v in value.items()) + "}"
    return json.dumps(value)


def metadata(obj: dict, prefix: str = "metadata") -> list[Cause]:
    causes: list[Cause] = []
    meta = obj.get("metadata") or {}
    for value in (meta.get("labels") or {}).values():
        if isinstance(value, str) and not is_valid_label_value(value):
            causes.append(
                Cause(
                    f"{prefix}.labels",
                    "FieldValueInvalid",
                    f'Invalid value: "{value}": a valid label '
                    "must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                    "and must start and end with an alphanumeric character",
                )
            )
    return causes


def pod_spec(spec: object, prefix: str, claims: set[str] | None = None) -> list[Cause]:
    """``claims``: a StatefulSet's volumeClaimTemplates, which containers may mount too."""
    causes: list[Cause] = []
    if not isinstance(spec, dict):
        return [Cause(prefix, "FieldValueRequired", "Required value")]
    containers = spec.get("containers") or []
    if not containers:
        causes.append(Cause(f"{prefix}.containers", "FieldValueRequired", "Required value"))
    volumes = {v.get("name") for v in spec.get("volumes") or [] if isinstance(v, dict)} | (claims or set())
    names: set[str] = set()
    for key in ("initContainers", "containers"):
        for i, container in enumerate(spec.get(key) or []):
            where = f"{prefix}.{key}[{i}]"
            if not isinstance(container, dict):
                causes.append(Cause(where, "FieldValueInvalid", "Invalid value: must be an object"))
                continue
            name = container.get("name")
            if not name:
                causes.append(Cause(f"{where}.name", "FieldValueRequired", "Required value"))
            elif name in names:
                causes.append(Cause(f"{where}.name", "FieldValueDuplicate", f'Duplicate value: "{name}"'))
            names.add(name)
            if not container.get("image"):
                causes.append(Cause(f"{where}.image", "FieldValueRequired", "Required value"))
            paths: set[str] = set()
            for j, mount in enumerate(container.get("volumeMounts") or []):
                if mount.get("name") not in volumes:
                    causes.append(
                        Cause(
                            f"{where}.volumeMounts[{j}].name", "FieldValueNotFound", f'Not found: "{mount.get("name")}"'
                        )
                    )
                if mount.get("mountPath") in paths:
                    causes.append(
                        Cause(
                            f"{where}.volumeMounts[{j}].mountPath",
                            "FieldValueInvalid",
                            f'Invalid value: "{mount.get("mountPath")}": must be unique',
                        )
                    )
                paths.add(mount.get("mountPath"))
    return causes


def create(obj: dict) -> list[Cause]:
    kind = obj.get("kind")
    causes = metadata(obj)
    if kind == "Pod":
        causes += pod_spec(obj.get("spec"), "spec")
    tpl = template(obj)
    if kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob"):
        causes += _workload(obj, tpl)
    if kind == "NetworkPolicy":
        causes += netpol_validation.validate(obj)
    return causes


def _workload(obj: dict, tpl: dict | None) -> list[Cause]:
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    prefix = "spec.jobTemplate.spec.template" if kind == "CronJob" else "spec.template"
    if tpl is None:
        return [Cause(prefix, "FieldValueRequired", "Required value")]
    claims = {
        (c.get("metadata") or {}).get("name") for c in spec.get("volumeClaimTemplates") or [] if isinstance(c, dict)
    }
    causes = pod_spec(tpl.get("spec"), f"{prefix}.spec", claims)
    labels = (tpl.get("metadata") or {}).get("labels") or {}
    causes += metadata(tpl, f"{prefix}.metadata")
    if kind in ("Job", "CronJob"):
        restart = (tpl.get("spec") or {}).get("restartPolicy")
        if restart not in ("OnFailure", "Never"):
            causes.append(
                Cause(
                    f"{prefix}.spec.restartPolicy",
                    "FieldValueNotSupported",
                    f'Unsupported value: "{restart}": supported values: "OnFailure", "Never"',
                )
            )
        if kind == "CronJob" and not spec.get("schedule"):
            causes.append(Cause("spec.schedule", "FieldValueRequired", "Required value"))
        return causes
    selector = spec.get("selector")
    if not selector:
        causes.append(Cause("spec.selector", "FieldValueRequired", "Required value"))
        return causes
    try:
        matcher = label_selector_from_object(selector)
    except SelectorError as exc:
        causes.append(Cause("spec.selector", "FieldValueInvalid", f"Invalid value: {exc}"))
        return causes
    if matcher.empty:
        causes.append(
            Cause(
                "spec.selector",
                "FieldValueInvalid",
                "Invalid value: v1.LabelSelector{}: empty selector is invalid for deployment",
            )
        )
    elif not matcher.matches(labels):
        causes.append(
            Cause(
                "spec.template.metadata.labels",
                "FieldValueInvalid",
                f"Invalid value: {_go_map(labels)}: `selector` does not match template `labels`",
            )
        )
    return causes


def update(obj: dict, old: dict) -> list[Cause]:
    kind = obj.get("kind")
    causes = create(obj) if kind != "Pod" else metadata(obj)
    spec, old_spec = obj.get("spec") or {}, old.get("spec") or {}
    if kind == "Pod" and _pod_spec_changed(spec, old_spec):
        causes.append(Cause("spec", "FieldValueForbidden", POD_MUTABLE.split(": ", 1)[1]))
    if kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet") and spec.get("selector") != old_spec.get(
        "selector"
    ):
        causes.append(
            Cause(
                "spec.selector",
                "FieldValueInvalid",
                f"Invalid value: {_go_map(spec.get('selector'))}: field is immutable",
            )
        )
    if kind == "Job":
        if spec.get("template") != old_spec.get("template"):
            causes.append(
                Cause(
                    "spec.template", "FieldValueInvalid", "Invalid value: core.PodTemplateSpec{...}: field is immutable"
                )
            )
        if spec.get("selector") != old_spec.get("selector"):
            causes.append(Cause("spec.selector", "FieldValueInvalid", "Invalid value: field is immutable"))
    if kind == "StatefulSet":
        allowed = {
            "replicas",
            "ordinals",
            "template",
            "updateStrategy",
            "persistentVolumeClaimRetentionPolicy",
            "minReadySeconds",
        }
        if {k: v for k, v in spec.items() if k not in allowed} != {
            k: v for k, v in old_spec.items() if k not in allowed
        }:
            causes.append(Cause("spec", "FieldValueForbidden", STS_MUTABLE.split(": ", 1)[1]))
    return causes


def _pod_spec_changed(spec: dict, old: dict) -> bool:
    """Anything other than images, activeDeadlineSeconds and added tolerations."""

    def strip(s: dict) -> dict:
        s = json.loads(json.dumps(s))
        for key in ("initContainers", "containers"):
            for c in s.get(key) or []:
                c.pop("image", None)
        s.pop("activeDeadlineSeconds", None)
        s.pop("tolerations", None)
        s.pop("terminationGracePeriodSeconds", None)
        return s

    return strip(spec) != strip(old)

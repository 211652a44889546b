"""A wizard session written as a playbook (``wimigrate run`` replays it): the target it read, the options
its answers make, and the phases it went through. Pure: the caller saves the result."""

from __future__ import annotations

import re
from typing import Any

from migrator.cli.sources import CLUSTER_ID
from migrator.cli.wizard.decisions import chosen_refs, effective_modes, identity_for
from migrator.core.playbook import API_VERSION, KIND, Playbook, PlaybookInvalid, parse_playbook
from migrator.errors import InputError


def playbook_name(started: str) -> str:
    """``wizard-20261206-0210`` from the session's start time (a valid playbook name)."""
    digits = re.sub(r"[^0-9]", "", started)[:12]
    return f"wizard-{digits[:8]}-{digits[8:12]}" if len(digits) == 12 else "wizard"


def session_playbook(
    target: dict[str, Any], plan_values: dict[str, Any], answers: dict[str, Any], *, name: str, description: str
) -> Playbook:
    """The playbook of a session; ``target`` and ``plan_values`` are the command's source and plan option values."""
    lab = bool(target.get("lab_dir") or target.get("throwaway_lab"))
    live = lab or bool(target.get("cluster"))
    read = [] if target.get("all_namespaces") else list(target.get("namespaces") or [])
    data = {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": name, "description": description},
        "target": {
            "manifests": [str(p) for p in target.get("manifests") or []],
            # a lab session replays against a throwaway lab (or --lab-dir), never the kubeconfig's cluster
            "cluster": live and not lab,
            "context": target.get("context"),
            "kubeconfig": target.get("kubeconfig"),
            "namespaces": read if live else [],
            "clusterId": None if lab else _cluster_id(target),
            "lab": lab,
            "labSeed": None,
        },
        "options": {
            "mode": plan_values.get("mode") or "label",
            "workloadModes": effective_modes(answers),
            "issuer": plan_values.get("issuer"),
            "tenantId": plan_values.get("tenant_id"),
            "tokenExpiration": plan_values.get("token_expiration"),
            "proxyPort": plan_values.get("proxy_port") or 8000,
            "serviceAccountName": plan_values.get("sa_name_pattern") or "{identity}",
            "credentialName": plan_values.get("fic_name_pattern"),
            "clusterName": plan_values.get("cluster_name") or "",
            "forceNamespaced": bool(plan_values.get("force_namespaced")),
            "identityFor": identity_for(answers, _assignments(plan_values.get("identity_for"))),
            "kubernetesVersion": plan_values.get("kubernetes_version"),
            "workloads": {"include": chosen_refs(answers), "exclude": []},
        },
        "phases": _phases(live, answers),
    }
    try:
        return parse_playbook(data)
    except PlaybookInvalid as exc:
        raise InputError(f"The session cannot be written as a playbook: {exc}") from exc


def _phases(live: bool, answers: dict[str, Any]) -> list[Any]:
    phases: list[Any] = ["discover", "plan"]
    if not live:
        phases.append({"export": dict(answers["export"])} if (answers.get("export") or {}).get("format") else None)
        rewrite = {"rewrite": {"phase": "migrate", "write": "in-place", "workloads": chosen_refs(answers)}}
        return [p for p in (*phases, rewrite) if p is not None]
    phases.append("apply")
    verify = answers.get("verify") or {}
    if "wait" in verify:
        phases.append({"verify": {"tokenExchange": bool(verify.get("tokenExchange")), "wait": verify["wait"]}})
    cleanup = answers.get("cleanup") or {}
    if cleanup.get("run"):
        options: dict[str, Any] = {"networkPolicy": cleanup.get("networkPolicy") or "none"}
        if cleanup.get("networkPolicyFile"):
            options["networkPolicyFile"] = cleanup["networkPolicyFile"]
        phases.append({"cleanup": options})
    return phases


def _cluster_id(target: dict[str, Any]) -> str | None:
    if target.get("cluster_id"):
        return str(target["cluster_id"])
    if target.get("resource_group") and target.get("aks_name") and target.get("subscription"):
        return CLUSTER_ID.format(target["subscription"], target["resource_group"], target["aks_name"])
    return None


def _assignments(values: Any) -> dict[str, str]:
    result = {}
    for raw in values or []:
        key, _, value = str(raw).partition("=")
        if key and value:
            result[key] = value
    return result

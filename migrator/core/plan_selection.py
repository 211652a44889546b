"""A plan narrowed to the workloads a playbook or the wizard selected (pure).

Teams migrate a cluster namespace by namespace; what is left out stays on pod identity, untouched.
The narrowed plan keeps only what the kept workloads need: their ServiceAccounts, the federated
credentials of those ServiceAccounts, the SecretProviderClasses of their identities, and the findings
that are not about a workload left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from migrator.core.plan import Plan
from migrator.core.recognise import TEMPLATE_PATHS

Keep = Callable[[str, str, str], bool]
"""(namespace, kind, name) -> whether the migration covers that workload."""


def select(plan: Plan, keep: Keep) -> Plan:
    """The plan for the workloads ``keep`` accepts."""
    kept = [w for w in plan.workloads if keep(w.namespace, w.kind, w.name)]
    findings = [f for f in plan.findings if _about_kept(f.object, keep)]
    if len(kept) == len(plan.workloads) and len(findings) == len(plan.findings):
        return plan
    accounts = {(w.namespace, w.serviceAccountName) for w in kept}
    client_ids = {(w.namespace, w.clientID) for w in kept}
    return replace(
        plan,
        workloads=kept,
        serviceAccounts=[sa for sa in plan.serviceAccounts if (sa.namespace, sa.name) in accounts],
        federatedCredentials=[c for c in plan.federatedCredentials if (c.namespace, c.serviceAccountName) in accounts],
        secretProviderClasses=[s for s in plan.secretProviderClasses if (s.namespace, s.clientID) in client_ids],
        findings=findings,
    )


def _about_kept(obj: str | None, keep: Keep) -> bool:
    """A finding about a workload left out is dropped, planned or not (one whose error kept it out of the
    plan included); findings about anything else stay."""
    parts = (obj or "").split("/")
    if len(parts) != 3 or parts[1] not in TEMPLATE_PATHS:
        return True
    return keep(*parts)

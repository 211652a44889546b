"""A plan narrowed to the workloads a playbook or the wizard selected (pure).

Teams migrate a cluster namespace by namespace; what is left out stays on pod identity, untouched.
The narrowed plan keeps only what the kept workloads need: their ServiceAccounts, the federated
credentials of those ServiceAccounts, the SecretProviderClasses of their identities, and the findings
that are not about a workload left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from migrator.core.plan import Plan, PlannedWorkload


def select(plan: Plan, keep: Callable[[PlannedWorkload], bool]) -> Plan:
    """The plan for the workloads ``keep`` accepts."""
    kept = [w for w in plan.workloads if keep(w)]
    left_out = {w.ref for w in plan.workloads if not keep(w)}
    if not left_out:
        return plan
    accounts = {(w.namespace, w.serviceAccountName) for w in kept}
    client_ids = {(w.namespace, w.clientID) for w in kept}
    return replace(
        plan,
        workloads=kept,
        serviceAccounts=[sa for sa in plan.serviceAccounts if (sa.namespace, sa.name) in accounts],
        federatedCredentials=[c for c in plan.federatedCredentials if (c.namespace, c.serviceAccountName) in accounts],
        secretProviderClasses=[s for s in plan.secretProviderClasses if (s.namespace, s.clientID) in client_ids],
        findings=[f for f in plan.findings if f.object not in left_out],
    )

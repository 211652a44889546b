"""``wimigrate apply`` and ``rollback``: the plan carried out, change by change, journaled first.

Phases in order: ``federate`` (federated credentials in Azure), ``serviceaccounts``, ``workloads``.
Each phase observes (reads only) and returns ``Change``s computed by ``migrator.core.changes``;
the runner validates and observes every selected phase before the first write, then executes.
"""

"""Which pod-identity objects nothing uses any more, once the verified workloads no longer count (pure).

A user of a binding is any workload or bare pod (cluster-wide) whose template or running pods carry
``aadpodidbinding=<selector>`` and that is not a verified workload of this cleanup; a self-managed
binding matches users in any namespace unless its identity is namespaced (or MIC runs with
``--forceNamespaced``); the add-on's only in its own. AKS-managed identities, bindings and
exceptions leave through one change of the managed cluster's podIdentityProfile (deleted in the
cluster, the add-on would re-create them); self-managed ones are deleted with their full state.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from migrator.core.changes import (
    ASSIGNED_IDENTITIES,
    BINDINGS,
    BLOCKED,
    CREATE,
    CREATED_BY_ANNOTATION,
    DELETE,
    EXCEPTIONS,
    IDENTITIES,
    NETWORK_POLICIES,
    NONE,
    PATCH,
    POD_IDENTITY_PROFILE,
    Change,
)
from migrator.core.cleanup_facts import (
    ADDON_EXCEPTION,
    API_VERSION,
    CRDS,
    FINALIZER,
    SHOWN,
    CleanupFacts,
    CleanupOptions,
    CleanupPlan,
    Usage,
    aks_managed,
    helm_release,
    mic_running,
    nmi_running,
    prior_state,
)
from migrator.core.fields import ci_item, dig, mapping, text
from migrator.core.model import PodIdentityException, Source
from migrator.core.netpol import (
    ENFORCEMENT_NOTE,
    IMDS_RESTRICTION_NOTE,
    bypasses_nmi,
    imds_policies,
    unprotected_namespaces,
)
from migrator.core.ownership import manager_of
from migrator.core.plan import PlannedWorkload
from migrator.core.pod_identity_profile import profile_of
from migrator.core.recognise import BINDING_LABEL, NAMESPACED_ANNOTATION, TEMPLATE_PATHS


def remove(
    facts: CleanupFacts, options: CleanupOptions, verified: dict[str, PlannedWorkload], out: CleanupPlan
) -> None:
    """Add to ``out`` the removals (and what is kept, and why) for the ``verified`` workloads."""
    _Remover(facts, options, verified, out).run()


# -- the objects, read --------------------------------------------------------------------------


@dataclass
class _Obj:
    kind: str
    namespace: str
    name: str
    obj: dict | None
    """As read from the cluster; None when only the managed cluster's podIdentityProfile has it."""
    aks: bool = False

    @property
    def pair(self) -> tuple[str, str]:
        return (self.namespace, self.name)

    @property
    def ref(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


@dataclass
class _Binding(_Obj):
    identity: str = ""
    selector: str = ""
    namespaced: bool = False


@dataclass
class _Exception(_Obj):
    pod_labels: dict[str, str] = field(default_factory=dict)


class _Remover:
    """Bindings, identities, exceptions, profile entries and AzureAssignedIdentities nothing needs any more."""

    def __init__(
        self, facts: CleanupFacts, options: CleanupOptions, verified: dict[str, PlannedWorkload], out: CleanupPlan
    ) -> None:
        self.facts = facts
        self.options = options
        self.verified = verified
        self.out = out
        self.profile = profile_of(facts.managed_cluster)
        self.addon_enabled = self.profile.get("enabled") is True
        self.force_namespaced = bool(facts.plan.options.get("forceNamespaced"))
        self.plan_namespaces = {p.namespace for p in facts.plan.workloads}
        self.identities = self._identities()
        self.bindings = self._bindings()
        self.exceptions = self._exceptions()
        self.users = [u for u in facts.usages if u.key not in verified]
        self.entries_removed: list[dict] = []
        self.exceptions_removed: list[dict] = []
        self.profile_blocked: list[str] = []

    # -- reading ------------------------------------------------------------------------------
    def _entries(self, name: str) -> list[dict]:
        items = self.profile.get(name)
        return [e for e in (items if isinstance(items, list) else []) if isinstance(e, dict)]

    def _identities(self) -> list[_Obj]:
        entries = {(text(e.get("namespace")), text(e.get("name"))) for e in self._entries("userAssignedIdentities")}
        result = []
        for obj in self.facts.identities:
            ns, name = _where(obj)
            result.append(_Obj("AzureIdentity", ns, name, obj, aks_managed(obj) or (ns, name) in entries))
        known = {i.pair for i in result}
        result += [_Obj("AzureIdentity", ns, name, None, True) for ns, name in sorted(entries - known) if ns and name]
        return result

    def _bindings(self) -> list[_Binding]:
        namespaced = {
            i.pair
            for i in self.identities
            if i.aks or text(mapping(dig(i.obj, "metadata", "annotations")).get(NAMESPACED_ANNOTATION)) == "namespaced"
        }
        aks_identities = {i.pair for i in self.identities if i.aks}
        result = []
        for obj in self.facts.bindings:
            ns, name = _where(obj)
            spec = mapping(obj.get("spec"))
            identity = text(ci_item(spec, "azureIdentity")[1]) or ""
            aks = aks_managed(obj) or (ns, identity) in aks_identities
            result.append(
                _Binding(
                    "AzureIdentityBinding",
                    ns,
                    name,
                    obj,
                    aks,
                    identity=identity,
                    selector=text(ci_item(spec, "selector")[1]) or "",
                    namespaced=aks or self.force_namespaced or (ns, identity) in namespaced,
                )
            )
        bound = {(b.namespace, b.identity) for b in result}
        for entry in self._entries("userAssignedIdentities"):
            ns, name = text(entry.get("namespace")) or "", text(entry.get("name")) or ""
            if ns and name and (ns, name) not in bound:
                selector = text(entry.get("bindingSelector")) or name
                result.append(
                    _Binding("AzureIdentityBinding", ns, f"{name}-binding", None, True, name, selector, namespaced=True)
                )
        return result

    def _exceptions(self) -> list[_Exception]:
        entries = {
            (text(e.get("namespace")), text(e.get("name"))): e for e in self._entries("userAssignedIdentityExceptions")
        }
        result = []
        for obj in self.facts.exceptions:
            ns, name = _where(obj)
            labels = mapping(ci_item(mapping(obj.get("spec")), "podLabels")[1])
            result.append(
                _Exception(
                    "AzurePodIdentityException",
                    ns,
                    name,
                    obj,
                    aks_managed(obj) or (ns, name) in entries,
                    {str(k): str(v) for k, v in labels.items()},
                )
            )
        known = {e.pair for e in result}
        for (ns, name), entry in entries.items():
            if ns and name and (ns, name) not in known:
                labels = {str(k): str(v) for k, v in mapping(entry.get("podLabels")).items()}
                result.append(_Exception("AzurePodIdentityException", ns, name, None, True, labels))
        return [e for e in result if e.pair != ADDON_EXCEPTION]

    # -- deciding -----------------------------------------------------------------------------
    def run(self) -> None:
        self._network_policies()  # reads the exceptions before any is removed
        tentative = self._remove_bindings()
        deleted_identities = self._remove_identities(tentative)
        # an AKS binding goes only with its pod identity's profile entry
        by_pair = {b.pair: b for b in self.bindings}
        deleted_bindings = {
            p for p in tentative if not by_pair[p].aks or (p[0], by_pair[p].identity) in deleted_identities
        }
        disabling = self._disable(deleted_bindings)
        self._remove_exceptions(disabling)
        self._profile_change(disabling)
        self._assigned(deleted_bindings, deleted_identities, disabling)

    def users_of(self, binding: _Binding) -> list[Usage]:
        return [
            u
            for u in self.users
            if u.selector == binding.selector and (not binding.namespaced or u.namespace == binding.namespace)
        ]

    def _candidate(self, binding: _Binding) -> bool:
        """Bindings of the migrated workloads, and any binding in a migrated namespace."""
        if binding.namespace in self.plan_namespaces:
            return True
        for key, planned in self.verified.items():
            current = self.facts.workloads.get(key) or {}
            path = TEMPLATE_PATHS[planned.kind]
            label = mapping(dig(current, *path, "metadata", "labels")).get(BINDING_LABEL)
            selector = text(label) or planned.bindingSelector
            if selector == binding.selector and (not binding.namespaced or planned.namespace == binding.namespace):
                return True
        return False

    def _remove_bindings(self) -> set[tuple[str, str]]:
        deletable: dict[tuple[str, str], _Binding] = {}
        for binding in self.bindings:
            if not self._candidate(binding):
                continue
            users = self.users_of(binding)
            if users:
                self._keep(BINDINGS, binding, f"kept: used by {_names(users)}")
            else:
                deletable[binding.pair] = binding
        for binding in list(deletable.values()):
            if not binding.aks:
                continue
            others = [b for b in self.bindings if b.identity == binding.identity and b.namespace == binding.namespace]
            kept = [b for b in others if b.pair not in deletable]
            if kept:
                del deletable[binding.pair]
                self._keep(
                    BINDINGS,
                    binding,
                    f"kept: AKS-managed, and its pod identity {binding.identity} is still bound by "
                    + ", ".join(f"{b.namespace}/{b.name}" for b in kept),
                )
        gone = set()
        for binding in deletable.values():
            if binding.aks or self._delete(BINDINGS, binding, "nothing uses it any more"):
                gone.add(binding.pair)
        return gone

    def _remove_identities(self, deleted_bindings: set[tuple[str, str]]) -> set[tuple[str, str]]:
        remaining = [b for b in self.bindings if b.pair not in deleted_bindings]
        gone = set()
        for identity in self.identities:
            referenced = [b for b in self.bindings if (b.namespace, b.identity) == identity.pair]
            if identity.namespace not in self.plan_namespaces and not any(
                b.pair in deleted_bindings for b in referenced
            ):
                continue
            still = [b for b in remaining if (b.namespace, b.identity) == identity.pair]
            if still:
                self._keep(
                    IDENTITIES, identity, "kept: bound by " + ", ".join(f"{b.namespace}/{b.name}" for b in still)
                )
                continue
            if identity.aks:
                if self._remove_entry(identity):
                    gone.add(identity.pair)
                continue
            deps = [f"binding:{b.namespace}/{b.name}" for b in referenced if b.pair in deleted_bindings and not b.aks]
            if self._delete(IDENTITIES, identity, "no binding refers to it any more", deps):
                gone.add(identity.pair)
        return gone

    def _remove_entry(self, identity: _Obj) -> bool:
        """An AKS pod identity goes with its binding, out of podIdentityProfile (the add-on would re-create them)."""
        entry = next(
            (
                e
                for e in self._entries("userAssignedIdentities")
                if (text(e.get("namespace")), text(e.get("name"))) == identity.pair
            ),
            None,
        )
        if entry is None:
            if self.facts.managed_cluster is None:
                self.profile_blocked.append(f"AKS pod identity {identity.namespace}/{identity.name}")
            else:
                self._keep(IDENTITIES, identity, "kept: labelled AKS-managed but not in podIdentityProfile")
            return False
        self.entries_removed.append(copy.deepcopy(entry))
        return True

    def _disable(self, deleted_bindings: set[tuple[str, str]]) -> bool:
        """Whether this run disables the add-on; offers it (or the helm command) when nothing uses pod identity."""
        left = [b for b in self.bindings if b.pair not in deleted_bindings]
        self.out.users = [u for b in left for u in self.users_of(b)]
        nothing_left = not left and not self.out.refusals
        components = self.facts.mic + self.facts.nmi
        addon = self.addon_enabled or any(aks_managed(c) for c in components)
        release = helm_release(components)
        if self.options.disable_addon and not nothing_left:
            self.out.changes.append(
                Change(
                    f"podidentityprofile:{(self.facts.cluster_id or '').lower()}:disable",
                    POD_IDENTITY_PROFILE,
                    BLOCKED,
                    {"kind": "ManagedCluster", "clusterID": self.facts.cluster_id},
                    "disable pod identity: blocked, it is still in use: " + self._in_use(left),
                )
            )
            return False
        if not nothing_left:
            return False
        if addon and self.options.disable_addon:
            if self.facts.managed_cluster is None:
                self.profile_blocked.append("disabling the add-on")
                return False
            return self.addon_enabled
        if addon:
            self.out.note(
                "offer-disable-addon",
                "Nothing uses pod identity any more: `wimigrate cleanup --disable-addon` disables the AKS add-on "
                "(podIdentityProfile.enabled=false), which removes MIC and NMI",
            )
        elif components:
            self.out.note("offer-helm-uninstall", _helm_note(release))
        return False

    def _in_use(self, left: list[_Binding]) -> str:
        parts = []
        for binding in left:
            users = self.users_of(binding)
            parts.append(
                f"binding {binding.namespace}/{binding.name}" + (f" (used by {_names(users)})" if users else "")
            )
        named = {u.ref for b in left for u in self.users_of(b)}
        parts += [f"{r.ref} ({r.reason})" for r in self.out.refusals if r.ref not in named]
        return "; ".join(parts)

    def _remove_exceptions(self, disabling: bool) -> None:
        nmi_stopping = not nmi_running(self.facts.nmi) or disabling
        for exception in self.exceptions:
            if not nmi_stopping:
                pods = self.facts.pod_labels.get(exception.namespace, [])
                if any(bypasses_nmi(labels, [self._model(exception)]) for labels in pods):
                    continue  # NMI lets a pod through that has any one of its labels
                why = "no pod in its namespace carries its podLabels"
            else:
                why = "NMI no longer runs" if not disabling else "NMI goes with the add-on"
            if exception.aks:
                entry = next(
                    (
                        e
                        for e in self._entries("userAssignedIdentityExceptions")
                        if (text(e.get("namespace")), text(e.get("name"))) == exception.pair
                    ),
                    None,
                )
                if entry is not None:
                    self.exceptions_removed.append(copy.deepcopy(entry))
                elif self.facts.managed_cluster is None:
                    self.profile_blocked.append(f"AKS pod identity exception {exception.namespace}/{exception.name}")
                continue
            self._delete(EXCEPTIONS, exception, why)

    def _profile_change(self, disabling: bool) -> None:
        cluster_id = self.facts.cluster_id or ""
        target = {"kind": "ManagedCluster", "clusterID": cluster_id, "name": cluster_id.rsplit("/", 1)[-1]}
        key = f"podidentityprofile:{cluster_id.lower()}"
        if self.profile_blocked:
            self.out.changes.append(
                Change(
                    key,
                    POD_IDENTITY_PROFILE,
                    BLOCKED,
                    target,
                    ", ".join(self.profile_blocked)
                    + ": AKS-managed, removed through the managed cluster's podIdentityProfile (deleting them in the "
                    "cluster would be undone by the add-on); give --cluster-id (or -g/--name)",
                )
            )
        if not (self.entries_removed or self.exceptions_removed or disabling):
            return
        prior: dict[str, Any] = {
            "userAssignedIdentities": self.entries_removed,
            "userAssignedIdentityExceptions": self.exceptions_removed,
        }
        desired: dict[str, Any] = {
            "remove": {
                "userAssignedIdentities": [_pair(e) for e in self.entries_removed],
                "userAssignedIdentityExceptions": [_pair(e) for e in self.exceptions_removed],
            }
        }
        parts = [f"remove pod identity {e['namespace']}/{e['name']}" for e in self.entries_removed]
        parts += [f"remove exception {e['namespace']}/{e['name']}" for e in self.exceptions_removed]
        if disabling:
            prior["enabled"] = True
            desired["enabled"] = False
            parts.append("disable the add-on (enabled=false; it removes MIC and NMI)")
        message = f"managed cluster {target['name']} podIdentityProfile: " + "; ".join(parts)
        self.out.changes.append(Change(key, POD_IDENTITY_PROFILE, PATCH, target, message, prior, desired))

    def _assigned(
        self, deleted_bindings: set[tuple[str, str]], deleted_identities: set[tuple[str, str]], disabling: bool
    ) -> None:
        if not self.facts.assigned:
            return
        bindings = {b.pair for b in self.bindings if b.obj is not None} - deleted_bindings
        identities = {i.pair for i in self.identities if i.obj is not None} - deleted_identities
        stale = []
        for obj in self.facts.assigned:
            ns, name = _where(obj)
            why = self._assigned_gone(obj, bindings, identities)
            if why:
                stale.append((ns, name, obj, why))
        if mic_running(self.facts.mic):
            if disabling:
                self.out.note(
                    "assigned-after-disable",
                    "The add-on removes MIC with this change; AzureAssignedIdentities it leaves keep a finalizer "
                    "that blocks namespace and CRD deletion: run `wimigrate cleanup` again afterwards to release them",
                )
            elif stale:
                self.out.note(
                    "mic-releases",
                    f"MIC runs: it releases the {len(stale)} AzureAssignedIdentities of removed bindings and moved "
                    "pods itself; nothing to do for them",
                )
            return
        for ns, name, obj, why in stale:
            item = _Obj("AzureAssignedIdentity", ns, name, obj)
            binding = mapping(dig(obj, "spec", "azureBindingRef", "metadata"))
            deps = [
                f"binding:{text(binding.get('namespace'))}/{text(binding.get('name'))}"
                if (text(binding.get("namespace")), text(binding.get("name"))) in deleted_bindings
                else ""
            ]
            self._delete(
                ASSIGNED_IDENTITIES,
                item,
                f"{why}, and MIC no longer runs to release it: remove its finalizer {FINALIZER}",
                [d for d in deps if d],
            )
        if stale:
            self.out.note(
                "finalizers-removed",
                f"MIC no longer runs: {len(stale)} AzureAssignedIdentities left behind would block namespace and CRD "
                "deletion with their finalizer; cleanup removes the finalizer and deletes them",
            )

    def _assigned_gone(self, obj: dict, bindings: set, identities: set) -> str | None:
        spec = mapping(obj.get("spec"))
        binding = mapping(dig(spec, "azureBindingRef", "metadata"))
        identity = mapping(dig(spec, "azureIdentityRef", "metadata"))
        if (text(binding.get("namespace")), text(binding.get("name"))) not in bindings:
            return f"its binding {text(binding.get('namespace'))}/{text(binding.get('name'))} is gone"
        if (text(identity.get("namespace")), text(identity.get("name"))) not in identities:
            return f"its identity {text(identity.get('namespace'))}/{text(identity.get('name'))} is gone"
        pod = (text(spec.get("podNamespace")) or "", text(spec.get("pod")) or "")
        if self.facts.pods is not None and pod not in self.facts.pods:
            return f"its pod {pod[0]}/{pod[1]} is gone"
        return None

    # -- NetworkPolicies --------------------------------------------------------------------------
    def _network_policies(self) -> None:
        namespaces = sorted(self.plan_namespaces)
        self.out.unprotected = unprotected_namespaces(namespaces, self.facts.network_policies)
        if not self.out.unprotected:
            return
        listed = ", ".join(self.out.unprotected)
        if self.options.apply_network_policies:
            todo = f"--apply-network-policy creates a NetworkPolicy blocking it in: {listed}"
        elif self.options.network_policies:
            todo = f"no NetworkPolicy blocks it in: {listed}; apply the ones --network-policy wrote, or pass "
            todo += "--apply-network-policy"
        else:
            todo = f"no NetworkPolicy blocks it in: {listed}. `--network-policy FILE` writes one per namespace, "
            todo += "`--apply-network-policy` creates them"
        self.out.note(
            "unprotected-namespaces",
            f"Without NMI every pod can reach IMDS (169.254.169.254) and the node's identities; {todo}",
        )
        self.out.note("imds-restriction", IMDS_RESTRICTION_NOTE)
        if not (self.options.network_policies or self.options.apply_network_policies):
            return
        self.out.note("policy-enforcement", ENFORCEMENT_NOTE)
        for ns in self.out.unprotected:
            exceptions = [self._model(e) for e in self.exceptions if e.namespace == ns]
            for policy in imds_policies(ns, exceptions):
                self.out.policies.append(policy)
                if self.options.apply_network_policies:
                    self.out.changes.append(self._policy_change(ns, policy))

    @staticmethod
    def _model(exception: _Exception) -> PodIdentityException:
        return PodIdentityException(
            exception.name,
            exception.namespace,
            dict(exception.pod_labels),
            Source(f"cluster: {exception.ref}"),
            exception.aks,
        )

    def _policy_change(self, ns: str, policy: dict) -> Change:
        name = text(dig(policy, "metadata", "name")) or ""
        target = {"kind": "NetworkPolicy", "apiVersion": "networking.k8s.io/v1", "namespace": ns, "name": name}
        key = f"networkpolicy:{ns}/{name}"
        where = f"NetworkPolicy {ns}/{name}"
        existing = [p for p in self.facts.network_policies.get(ns, []) if _where(p)[1] == name]
        if existing:
            return Change(key, NETWORK_POLICIES, NONE, target, f"{where}: already exists")
        body = copy.deepcopy(policy)
        meta = body.setdefault("metadata", {})
        meta["namespace"] = ns
        meta.setdefault("annotations", {})[CREATED_BY_ANNOTATION] = self.options.run_id
        return Change(key, NETWORK_POLICIES, CREATE, target, f"{where}: create (blocks egress to IMDS)", None, body)

    # -- changes ---------------------------------------------------------------------------------
    def _keep(self, phase: str, item: _Obj, why: str) -> None:
        key = f"{_key_prefix(phase)}:{item.namespace}/{item.name}"
        self.out.changes.append(Change(key, phase, NONE, self._target(item), f"{item.ref}: {why}"))

    def _delete(self, phase: str, item: _Obj, why: str, depends: list[str] | None = None) -> bool:
        """A DELETE with the object's full prior state; False when blocked (someone else manages it)."""
        assert item.obj is not None
        key = f"{_key_prefix(phase)}:{item.namespace}/{item.name}"
        target = self._target(item)
        manager = manager_of(item.obj)
        if manager and not self.options.force:
            self.out.changes.append(
                Change(
                    key,
                    phase,
                    BLOCKED,
                    target,
                    f"{item.ref}: {why}, but it is managed by {manager}, which would re-create it: remove it from its "
                    "source, or pass --force",
                )
            )
            return False
        desired = {"removeFinalizer": FINALIZER} if phase == ASSIGNED_IDENTITIES else None
        self.out.changes.append(
            Change(
                key,
                phase,
                DELETE,
                target,
                f"{item.ref}: delete ({why})",
                prior_state(item.obj),
                desired,
                list(depends or []),
            )
        )
        return True

    @staticmethod
    def _target(item: _Obj) -> dict[str, Any]:
        target = {"kind": item.kind, "apiVersion": API_VERSION, "namespace": item.namespace, "name": item.name}
        if item.obj is not None:
            target["uid"] = dig(item.obj, "metadata", "uid")
        if item.aks:
            target["aksManaged"] = True
        return target


def _key_prefix(phase: str) -> str:
    return {BINDINGS: "binding", IDENTITIES: "identity", EXCEPTIONS: "exception", ASSIGNED_IDENTITIES: "assigned"}[
        phase
    ]


def _where(obj: dict) -> tuple[str, str]:
    meta = mapping(obj.get("metadata"))
    return text(meta.get("namespace")) or "", text(meta.get("name")) or ""


def _pair(entry: dict) -> dict[str, str]:
    return {"namespace": text(entry.get("namespace")) or "", "name": text(entry.get("name")) or ""}


def _names(users: list[Usage]) -> str:
    refs = sorted({u.ref for u in users})
    shown = ", ".join(refs[:SHOWN])
    return shown + (f" and {len(refs) - SHOWN} more" if len(refs) > SHOWN else "")


def _helm_note(release: tuple[str, str] | None) -> str:
    how = (
        f"`helm uninstall {release[0]} -n {release[1]}`"
        if release
        else "the way it was installed (`helm uninstall <release> -n <namespace>` for the Helm chart)"
    )
    return (
        f"Nothing uses pod identity any more: uninstall the self-managed aad-pod-identity (MIC and NMI) with {how}; "
        "wimigrate does not do it. Helm leaves the CRDs: run `wimigrate cleanup` again once MIC is gone to release "
        f"the AzureAssignedIdentities' finalizers, then `kubectl delete crd {CRDS}`"
    )

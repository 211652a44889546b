"""Egress NetworkPolicies that keep pods away from IMDS once aad-pod-identity's NMI is gone.

NMI intercepted 169.254.169.254 for every pod; without it any non-hostNetwork pod reaches IMDS and
gets tokens for the node's identities. The policy wimigrate offers allows all egress except to
169.254.169.254/32. NetworkPolicies are additive allow-lists, so a pod left out of every Egress policy
stays unrestricted: that is how the pods NMI let through keep reaching IMDS.

Which pods NMI let through (aad-pod-identity ``pkg/nmi/server`` and ``pkg/pod``: ``IsPodExcepted`` /
``labelInExceptionList``): the AzurePodIdentityExceptions of the POD'S OWN namespace, and a pod is
excepted when ANY ONE ``spec.podLabels`` entry of ANY of them is among its labels (the value compared
case-insensitively, ``strings.EqualFold``). Not "all labels of one exception": NOT(excepted) is then a
single conjunction, ``key NotIn [values]`` per key, so one policy per namespace always suffices.
Known gap: NotIn compares exactly, so a pod whose label differs from the exception's value only in
letter case (which NMI let through) is blocked; exception entries no pod can carry (an invalid label
key or value) let no pod through and are left out.

NetworkPolicies need a policy engine (AKS ``networkProfile.networkPolicy`` azure, calico or cilium);
without one the API server accepts them and nothing enforces them.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Any

from migrator.core.fields import dig, is_valid_label_value, mapping
from migrator.core.model import PodIdentityException

IMDS_IP = "169.254.169.254"
IMDS_CIDR = f"{IMDS_IP}/32"
IMDS_PORT = 80  # IMDS answers plain HTTP on TCP port 80 only
POLICY_PREFIX = "wimigrate-deny-imds"
MANAGED_BY_LABEL = {"app.kubernetes.io/managed-by": "wimigrate"}
REASON_ANNOTATION = "wimigrate.io/reason"
EXEMPTED_ANNOTATION = "wimigrate.io/exempted-exceptions"
REASON = (
    "aad-pod-identity's NMI no longer intercepts IMDS (169.254.169.254), so any pod could get tokens for the "
    "node's managed identities; this policy allows all egress except to IMDS"
)
EXEMPT_REASON = (
    "; pods carrying a label of an AzurePodIdentityException of this namespace (NMI let them reach IMDS) "
    "are not selected and keep reaching it"
)
IMDS_RESTRICTION_NOTE = (
    "AKS can instead block IMDS cluster-wide for every non-hostNetwork pod with its IMDS restriction feature "
    "(preview, aks-preview CLI extension: `az aks update --enable-imds-restriction`), which exempts no pod and "
    "is not supported with several add-ons (see AKS's 'Block pod access to the IMDS endpoint')."
)
ENFORCEMENT_NOTE = (
    "NetworkPolicies are enforced only when the cluster has a network policy engine (AKS networkPolicy azure, "
    "calico or cilium); without one they are accepted and ignored."
)

_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")


# --------------------------------------------------------------------------------------------------
# Which pods NMI let through


def bypasses_nmi(pod_labels: Mapping[str, str], exceptions: Iterable[PodIdentityException]) -> bool:
    """NMI's ``IsPodExcepted``: any one label of any exception (value case-insensitive); the caller passes
    only the exceptions of the pod's namespace, as NMI lists them."""
    for exception in exceptions:
        for key, value in (exception.pod_labels or {}).items():
            have = pod_labels.get(key)
            if isinstance(have, str) and isinstance(value, str) and have.casefold() == value.casefold():
                return True
    return False


def _is_label_key(key: object) -> bool:
    """validation.IsQualifiedName: an optional DNS-subdomain prefix and '/', then a name of at most 63."""
    if not isinstance(key, str):
        return False
    prefix, _, name = key.rpartition("/")
    if "/" in prefix:
        return False
    if "/" in key and (not prefix or len(prefix) > 253 or not _DNS1123_SUBDOMAIN.fullmatch(prefix)):
        return False
    return 0 < len(name) <= 63 and bool(_QUALIFIED_NAME.fullmatch(name))


def _exempted(namespace: str, exceptions: Iterable[PodIdentityException]) -> tuple[dict[str, list[str]], list[str]]:
    """key -> the values that let a pod through, and the names of the exceptions that let any pod through."""
    values: dict[str, set[str]] = {}
    names: set[str] = set()
    for exception in exceptions:
        if exception.namespace != namespace:
            continue
        for key, value in (exception.pod_labels or {}).items():
            if _is_label_key(key) and is_valid_label_value(value):  # otherwise no pod can carry it
                values.setdefault(key, set()).add(value)
                names.add(exception.name)
    return {key: sorted(values[key]) for key in sorted(values)}, sorted(names)


# --------------------------------------------------------------------------------------------------
# The policies


def imds_policies(namespace: str, exceptions: list[PodIdentityException]) -> list[dict]:
    """The NetworkPolicies (networking.k8s.io/v1) blocking IMDS in ``namespace``.

    Always one today (see the module docstring: NMI's exception rule is a disjunction of labels, so
    the pods to restrict form one conjunctive selector); a list so callers need not care. Only the
    exceptions of ``namespace`` count. Deterministic: keys and values sorted.
    """
    values, names = _exempted(namespace, exceptions)
    selector: dict[str, Any] = {}
    if values:
        selector["matchExpressions"] = [{"key": k, "operator": "NotIn", "values": v} for k, v in values.items()]
    annotations = {REASON_ANNOTATION: REASON + (EXEMPT_REASON if names else "")}
    if names:
        annotations[EXEMPTED_ANNOTATION] = ",".join(names)
    return [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {
                "name": POLICY_PREFIX,
                "namespace": namespace,
                "labels": dict(MANAGED_BY_LABEL),
                "annotations": annotations,
            },
            "spec": {
                "podSelector": selector,
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        # no ports: every port and protocol (DNS included) to every destination but IMDS;
                        # ::/0 keeps IPv6 on dual-stack clusters; the namespaceSelector keeps in-cluster pods
                        # reachable where the CNI does not apply ipBlock to pod IPs (Cilium)
                        "to": [
                            {"ipBlock": {"cidr": "0.0.0.0/0", "except": [IMDS_CIDR]}},
                            {"ipBlock": {"cidr": "::/0"}},
                            {"namespaceSelector": {}},
                        ]
                    }
                ],
            },
        }
    ]


# --------------------------------------------------------------------------------------------------
# Is a namespace protected already?


def protects_imds(policies: list[dict]) -> bool:
    """True only if ``policies`` (one namespace's) certainly keep every pod from IMDS.

    Conservative: no Egress policy may allow IMDS at all (it might select any pod; policies add up),
    and some Egress policy must select every pod (``podSelector: {}``) - or be wimigrate's own policy
    (MANAGED_BY_LABEL, name POLICY_PREFIX, NotIn-only selector), which leaves out exactly the pods
    the namespace's AzurePodIdentityExceptions let through, by design. A rule reaches IMDS unless its
    peers cannot (pod/namespace selectors only, ipBlocks not containing it or listing it in ``except``)
    or its ports cannot (IMDS is TCP port 80); anything unreadable counts as reaching it. Undefaulted
    manifests are read as the API server defaults them (no policyTypes: Egress iff egress rules).
    """
    egress = [p for p in policies if _is_egress(p)]
    if any(_allows_imds(p) for p in egress):
        return False
    return any(_selects_every_pod(p) or _is_ours(p) for p in egress)


def unprotected_namespaces(namespaces: list[str], policies_by_namespace: dict[str, list[dict]]) -> list[str]:
    """The namespaces (in the given order, once each) whose NetworkPolicies do not keep every pod from IMDS."""
    seen: set[str] = set()
    out: list[str] = []
    for ns in namespaces:
        if ns not in seen and not protects_imds(policies_by_namespace.get(ns) or []):
            out.append(ns)
        seen.add(ns)
    return out


def _is_egress(policy: Any) -> bool:
    spec = mapping(dig(policy, "spec"))
    types = spec.get("policyTypes")
    if isinstance(types, list) and types:
        return "Egress" in types
    return bool(spec.get("egress"))  # SetDefaults_NetworkPolicy


def _allows_imds(policy: Any) -> bool:
    rules = dig(policy, "spec", "egress")
    if rules is None:
        return False  # Egress with no rules: default deny
    if not isinstance(rules, list):
        return True
    return any(_rule_allows_imds(rule) for rule in rules)


def _rule_allows_imds(rule: Any) -> bool:
    if not isinstance(rule, dict):
        return True
    peers = rule.get("to")
    if peers and isinstance(peers, list):
        if not any(_peer_reaches_imds(peer) for peer in peers):
            return False
    elif peers:
        return True
    ports = rule.get("ports")
    if not ports:
        return True
    return not isinstance(ports, list) or any(_port_reaches_imds(port) for port in ports)


def _peer_reaches_imds(peer: Any) -> bool:
    if not isinstance(peer, dict):
        return True
    block = peer.get("ipBlock")
    if block is None:
        return False  # pod / namespace selectors select pods; IMDS is not one
    if not isinstance(block, dict):
        return True
    if not _contains_imds(block.get("cidr"), lenient=True):
        return False
    excepts = block.get("except") or []
    return not (isinstance(excepts, list) and any(_contains_imds(e, lenient=False) for e in excepts))


def _contains_imds(cidr: Any, *, lenient: bool) -> bool:
    """Whether ``cidr`` holds IMDS; ``lenient``: what to answer when it cannot be read.

    IPv6 blocks hold it only as an IPv4-mapped address (prefix >= 96), as Go's IPNet.Contains reads
    them; an IPv6 ``except`` never counts as removing it (CNIs differ).
    """
    try:
        net = ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return lenient
    if net.version == 4:
        return ipaddress.IPv4Address(IMDS_IP) in net
    return lenient and net.prefixlen >= 96 and ipaddress.IPv6Address(f"::ffff:{IMDS_IP}") in net


def _port_reaches_imds(port: Any) -> bool:
    if not isinstance(port, dict):
        return True
    if (port.get("protocol") or "TCP") != "TCP":
        return False
    number, end = port.get("port"), port.get("endPort")
    if number is None:
        return True
    if isinstance(number, int) and not isinstance(number, bool):
        if isinstance(end, int) and not isinstance(end, bool):
            return number <= IMDS_PORT <= end
        return number == IMDS_PORT
    return True  # a named port, or something unreadable


def _selects_every_pod(policy: Any) -> bool:
    selector = dig(policy, "spec", "podSelector")
    if selector is None:
        return True
    return isinstance(selector, dict) and not selector.get("matchLabels") and not selector.get("matchExpressions")


def _is_ours(policy: Any) -> bool:
    meta = mapping(dig(policy, "metadata"))
    labels = mapping(meta.get("labels"))
    if meta.get("name") != POLICY_PREFIX or any(labels.get(k) != v for k, v in MANAGED_BY_LABEL.items()):
        return False
    selector = mapping(dig(policy, "spec", "podSelector"))
    expressions = selector.get("matchExpressions")
    return (
        not selector.get("matchLabels")
        and isinstance(expressions, list)
        and all(isinstance(e, dict) and e.get("operator") == "NotIn" for e in expressions)
    )

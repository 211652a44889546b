"""The IMDS NetworkPolicies: their exact shape, that they leave out exactly the pods NMI let through (a
property over random labels and exceptions, selectors evaluated by the lab's k8s selector port), that
the official client's models keep every field, and which existing policies count as protecting."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kubernetes.client import ApiClient

from migrator.core.model import PodIdentityException, Source
from migrator.core.netpol import (
    EXEMPTED_ANNOTATION,
    IMDS_RESTRICTION_NOTE,
    MANAGED_BY_LABEL,
    POLICY_PREFIX,
    REASON_ANNOTATION,
    bypasses_nmi,
    imds_policies,
    protects_imds,
    unprotected_namespaces,
)
from migrator.lab.kube import netpol_validation
from migrator.lab.kube.selectors import label_selector_from_object

EGRESS = [
    {
        "to": [
            {"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}},
            {"ipBlock": {"cidr": "::/0"}},
            {"namespaceSelector": {}},
        ]
    }
]


def exception(name: str, labels: dict[str, str], namespace: str = "payments") -> PodIdentityException:
    return PodIdentityException(name, namespace, labels, Source(f"cluster: {namespace}/{name}"))


def selected(policies: list[dict], labels: dict[str, str]) -> bool:
    """Whether any policy's podSelector selects a pod with these labels (k8s matching rules)."""
    return any(label_selector_from_object(p["spec"]["podSelector"]).matches(labels) for p in policies)


# --------------------------------------------------------------------------------------------------
# The generated policies


def test_no_exceptions_one_policy_for_every_pod() -> None:
    policies = imds_policies("orders", [])

    annotations = policies[0]["metadata"].pop("annotations")
    assert policies == [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": POLICY_PREFIX, "namespace": "orders", "labels": MANAGED_BY_LABEL},
            "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": EGRESS},
        }
    ]
    assert list(annotations) == [REASON_ANNOTATION]
    assert "169.254.169.254" in annotations[REASON_ANNOTATION] and "NMI" in annotations[REASON_ANNOTATION]


def test_one_exception_is_left_out_by_a_notin_selector() -> None:
    policies = imds_policies("payments", [exception("probe", {"app": "probe"})])

    assert len(policies) == 1
    policy = policies[0]
    assert policy["spec"]["podSelector"] == {
        "matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["probe"]}]
    }
    assert policy["spec"]["egress"] == EGRESS and policy["spec"]["policyTypes"] == ["Egress"]
    assert policy["metadata"]["annotations"][EXEMPTED_ANNOTATION] == "probe"
    assert selected(policies, {"app": "web"}) and selected(policies, {})
    assert not selected(policies, {"app": "probe", "tier": "x"})


def test_two_exceptions_one_with_two_labels_merge_per_key() -> None:
    exceptions = [
        exception("probe", {"tier": "ops", "app": "probe"}),
        exception("agent", {"app": "agent"}),
        exception("elsewhere", {"app": "web"}, namespace="orders"),  # another namespace's: does not count
    ]

    policies = imds_policies("payments", exceptions)

    assert [p["spec"]["podSelector"] for p in policies] == [
        {
            "matchExpressions": [
                {"key": "app", "operator": "NotIn", "values": ["agent", "probe"]},
                {"key": "tier", "operator": "NotIn", "values": ["ops"]},
            ]
        }
    ]
    assert policies[0]["metadata"]["annotations"][EXEMPTED_ANNOTATION] == "agent,probe"
    # NMI let a pod through on ANY one label of an exception, so each label alone exempts it
    assert not selected(policies, {"tier": "ops"})
    assert not selected(policies, {"app": "probe"})
    assert selected(policies, {"app": "web", "tier": "frontend"})
    assert imds_policies("payments", list(reversed(exceptions))) == policies  # deterministic


def test_exception_labels_no_pod_can_carry_are_left_out() -> None:
    exceptions = [exception("broken", {"not a key": "x", "app": "bad value!"}), exception("empty", {})]

    policies = imds_policies("payments", exceptions)

    assert policies[0]["spec"]["podSelector"] == {}
    assert EXEMPTED_ANNOTATION not in policies[0]["metadata"]["annotations"]


def test_a_label_differing_only_in_case_is_a_known_gap() -> None:
    """NMI compared values with EqualFold; NotIn is exact, so this pod (NMI let it through) is restricted."""
    exceptions = [exception("probe", {"app": "probe"})]
    assert bypasses_nmi({"app": "Probe"}, exceptions)
    assert selected(imds_policies("payments", exceptions), {"app": "Probe"})


_KEYS = st.sampled_from(["app", "tier", "example.com/role", "k"])
_VALUES = st.sampled_from(["a", "b", "probe", "x-1", ""])
_LABELS = st.dictionaries(_KEYS, _VALUES, max_size=4)


@settings(max_examples=300, deadline=None)
@given(
    pod=_LABELS,
    exceptions=st.lists(
        st.tuples(st.sampled_from(["payments", "orders"]), st.dictionaries(_KEYS, _VALUES, max_size=3)), max_size=5
    ),
)
def test_a_pod_is_restricted_iff_nmi_did_not_let_it_through(
    pod: dict[str, str], exceptions: list[tuple[str, dict[str, str]]]
) -> None:
    objects = [exception(f"e{i}", labels, ns) for i, (ns, labels) in enumerate(exceptions)]
    mine = [e for e in objects if e.namespace == "payments"]  # NMI lists the pod's namespace's exceptions

    policies = imds_policies("payments", objects)

    assert selected(policies, pod) == (not bypasses_nmi(pod, mine))
    assert all(netpol_validation.validate(copy.deepcopy(p)) == [] for p in policies)


@pytest.mark.parametrize("labels", [{}, {"app": "probe"}, {"app": "probe", "tier": "ops", "example.com/x": ""}])
def test_official_models_keep_every_field(labels: dict[str, str]) -> None:
    """Deserialize into V1NetworkPolicy and back: a misspelt or unknown key would be dropped."""
    api = ApiClient()
    for policy in imds_policies("payments", [exception("probe", labels)]):
        model = api._ApiClient__deserialize(copy.deepcopy(policy), "V1NetworkPolicy")
        assert api.sanitize_for_serialization(model) == policy


def test_generated_policies_pass_the_apiserver_rules_unchanged_by_defaulting() -> None:
    for exceptions in ([], [exception("probe", {"app": "probe", "tier": "ops"})]):
        for policy in imds_policies("payments", exceptions):
            admitted = copy.deepcopy(policy)
            netpol_validation.admit(admitted)
            assert admitted == policy
            assert netpol_validation.validate(admitted) == []


def test_imds_restriction_note_names_the_real_flag() -> None:
    assert "--enable-imds-restriction" in IMDS_RESTRICTION_NOTE and "preview" in IMDS_RESTRICTION_NOTE


# --------------------------------------------------------------------------------------------------
# protects_imds


def policy(spec: dict, name: str = "p", labels: dict | None = None) -> dict:
    return {"metadata": {"name": name, "labels": labels or {}}, "spec": spec}


DENY_ALL_EGRESS = policy({"podSelector": {}, "policyTypes": ["Egress"]})
ALLOW_DNS_ANYWHERE = policy(
    {
        "podSelector": {},
        "policyTypes": ["Egress"],
        "egress": [{"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}],
    }
)


@pytest.mark.parametrize(
    ("policies", "protected"),
    [
        ([], False),
        ([DENY_ALL_EGRESS], True),
        ([ALLOW_DNS_ANYWHERE], True),  # every destination, but not TCP 80
        ([policy({"podSelector": {}, "egress": [{"to": [{"namespaceSelector": {}}]}]})], True),  # defaulted Egress
        ([policy({"podSelector": {}})], False),  # no policyTypes, no egress: Ingress only
        ([policy({"podSelector": {}, "policyTypes": ["Ingress"]})], False),
        ([policy({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{}]})], False),  # allow all
        ([policy({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": []}]})], False),
        (
            [
                policy(
                    {
                        "podSelector": {},
                        "policyTypes": ["Egress"],
                        "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}],
                    }
                )
            ],
            False,
        ),
        (
            [
                policy(
                    {
                        "podSelector": {},
                        "policyTypes": ["Egress"],
                        "egress": [{"to": [{"ipBlock": {"cidr": "169.254.0.0/16", "except": ["169.254.169.0/24"]}}]}],
                    }
                )
            ],
            True,
        ),
        (
            [
                policy(
                    {
                        "podSelector": {},
                        "policyTypes": ["Egress"],
                        "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}],
                    }
                )
            ],
            True,
        ),
        (  # reaches IMDS, but only on 443
            [
                policy(
                    {
                        "podSelector": {},
                        "policyTypes": ["Egress"],
                        "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443}]}],
                    }
                )
            ],
            True,
        ),
        (  # a port range over 80, and a named port: may reach it
            [
                policy(
                    {
                        "podSelector": {},
                        "policyTypes": ["Egress"],
                        "egress": [{"ports": [{"port": 1, "endPort": 1024}]}],
                    }
                )
            ],
            False,
        ),
        ([policy({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"ports": [{"port": "http"}]}]})], False),
        (
            [
                policy(
                    {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"ipBlock": {"cidr": "::/0"}}]}]}
                )
            ],
            True,
        ),
        (
            [
                policy(
                    {
                        "podSelector": {},
                        "policyTypes": ["Egress"],
                        "egress": [{"to": [{"ipBlock": {"cidr": "::ffff:0:0/96"}}]}],
                    }
                )
            ],
            False,
        ),
        (
            [
                policy(
                    {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"ipBlock": {"cidr": "junk"}}]}]}
                )
            ],
            False,
        ),
        (
            [policy({"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Egress"]})],
            False,
        ),  # some pods only
        ([DENY_ALL_EGRESS, policy({"podSelector": {"matchLabels": {"app": "web"}}, "egress": [{}]})], False),
        ([DENY_ALL_EGRESS, policy({"podSelector": {}, "ingress": [{}]})], True),  # ingress does not matter
    ],
)
def test_protects_imds(policies: list[dict], protected: bool) -> None:
    assert protects_imds(policies) is protected


def test_our_policies_protect_with_and_without_exceptions() -> None:
    assert protects_imds(imds_policies("payments", []))
    ours = imds_policies("payments", [exception("probe", {"app": "probe"})])
    assert protects_imds(ours)
    # the same selector under another name or without our label is somebody else's: not proof
    renamed = copy.deepcopy(ours)
    renamed[0]["metadata"]["name"] = "look-alike"
    assert not protects_imds(renamed)
    unlabelled = copy.deepcopy(ours)
    unlabelled[0]["metadata"]["labels"] = {}
    assert not protects_imds(unlabelled)
    # as read back from a cluster: defaulted, namespaced, annotated by the run that created it
    live = copy.deepcopy(ours[0])
    live["metadata"].update(uid="u", resourceVersion="7")
    live["metadata"]["annotations"]["wimigrate.io/created-by"] = "run-1"
    assert protects_imds([live])


def test_unprotected_namespaces_keeps_order_and_skips_protected() -> None:
    by_ns = {"orders": [DENY_ALL_EGRESS], "payments": [ALLOW_DNS_ANYWHERE, policy({"podSelector": {}, "egress": [{}]})]}

    assert unprotected_namespaces(["payments", "orders", "platform", "payments"], by_ns) == ["payments", "platform"]

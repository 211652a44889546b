"""NetworkPolicies through the official client: the lab accepts wimigrate's IMDS policies (also as a
server-side dry run), defaults what the apiserver defaults, and refuses invalid ones with the
apiserver's 422 field errors."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from migrator.core.model import PodIdentityException, Source
from migrator.core.netpol import imds_policies, protects_imds
from migrator.lab.lab import Lab
from tests.lab.kube_clients import Clients, namespace, status_of

NS = "payments"
PROBE = PodIdentityException("probe", NS, {"app": "probe", "tier": "ops"}, Source("cluster: payments/probe"))


def networking(k: Clients) -> client.NetworkingV1Api:
    return client.NetworkingV1Api(k.api)


def body(name: str, spec: dict[str, Any]) -> dict:
    return {"metadata": {"name": name}, "spec": spec}


@pytest.mark.parametrize("exceptions", [[], [PROBE]], ids=["no-exceptions", "with-exception"])
def test_generated_policies_are_accepted_as_they_are(
    k: Clients, lab: Lab, exceptions: list[PodIdentityException]
) -> None:
    api = networking(k)
    namespace(k, lab, NS)
    policies = imds_policies(NS, exceptions)

    for policy in policies:
        dry = api.create_namespaced_network_policy(NS, policy, dry_run="All")
        assert k.api.sanitize_for_serialization(dry.spec) == policy["spec"]
    assert api.list_namespaced_network_policy(NS).items == []  # a dry run stores nothing

    for policy in policies:
        api.create_namespaced_network_policy(NS, policy)
    stored = [k.api.sanitize_for_serialization(p) for p in api.list_namespaced_network_policy(NS).items]

    assert [p["spec"] for p in stored] == [p["spec"] for p in policies]
    assert all(s["metadata"]["labels"] == p["metadata"]["labels"] for s, p in zip(stored, policies, strict=True))
    assert protects_imds(stored)  # as the cleanup reads them back


def test_defaults_are_applied_as_the_apiserver_does(k: Clients, lab: Lab) -> None:
    api = networking(k)
    namespace(k, lab, NS)

    created = api.create_namespaced_network_policy(
        NS, body("dns-only", {"egress": [{"ports": [{"port": 53}], "to": []}], "ingress": []})
    )
    ingress_only = api.create_namespaced_network_policy(NS, body("ingress-only", {"podSelector": {}}))

    assert created.spec.policy_types == ["Ingress", "Egress"]  # egress rules imply Egress
    assert created.spec.egress[0].ports[0].protocol == "TCP"
    assert created.spec.pod_selector is not None and created.spec.ingress is None
    assert ingress_only.spec.policy_types == ["Ingress"]


INVALID = [
    (
        {"podSelector": {}, "policyTypes": ["Egress", "Ingress", "Egress"]},
        [
            (
                "spec.policyTypes",
                'Invalid value: []networking.PolicyType{"Egress", "Ingress", "Egress"}: '
                "may not specify more than two policyTypes",
            )
        ],
    ),
    (
        {"podSelector": {}, "policyTypes": ["Outbound"]},
        [("spec.policyTypes[0]", 'Unsupported value: "Outbound": supported values: "Ingress", "Egress"')],
    ),
    (
        {
            "podSelector": {"matchExpressions": [{"key": "app", "operator": "NotIn"}]},
            "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["::1/128"]}, "namespaceSelector": {}}]}],
        },
        [
            (
                "spec.podSelector.matchExpressions[0].values",
                "Required value: must be specified when `operator` is 'In' or 'NotIn'",
            ),
            ("spec.egress[0].to[0].ipBlock.except[0]", 'Invalid value: "::1/128": must be a strict subset of `cidr`'),
            ("spec.egress[0].to[0]", "Forbidden: may not specify both ipBlock and another peer"),
        ],
    ),
    (
        {"egress": [{"to": [{}, {"ipBlock": {"cidr": "10.0.0.0/33"}}]}]},
        [
            ("spec.egress[0].to[0]", "Required value: must specify a peer"),
            ("spec.egress[0].to[1].ipBlock.cidr", 'Invalid value: "10.0.0.0/33": not a valid CIDR'),
        ],
    ),
    (
        {"egress": [{"ports": [{"protocol": "ICMP", "port": 8080, "endPort": 80}, {"port": "web", "endPort": 90}]}]},
        [
            ("spec.egress[0].ports[0].protocol", 'Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"'),
            ("spec.egress[0].ports[0].endPort", "Invalid value: 8080: must be greater than or equal to `port`"),
            ("spec.egress[0].ports[1].endPort", "Invalid value: 90: may not be specified when `port` is non-numeric"),
        ],
    ),
    (
        {"ingress": [{"ports": [{"port": 0}, {"port": "Http--"}]}]},
        [
            ("spec.ingress[0].ports[0].port", "Invalid value: 0: must be between 1 and 65535, inclusive"),
            (
                "spec.ingress[0].ports[1].port",
                'Invalid value: "Http--": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
            ),
            ("spec.ingress[0].ports[1].port", 'Invalid value: "Http--": must not contain consecutive hyphens'),
            ("spec.ingress[0].ports[1].port", 'Invalid value: "Http--": must not begin or end with a hyphen'),
        ],
    ),
]


def test_invalid_policies_get_the_apiservers_422(k: Clients, lab: Lab) -> None:
    api = networking(k)
    namespace(k, lab, NS)

    for spec, expected in INVALID:
        for dry_run in (None, "All"):
            code, status = status_of(
                lambda spec=spec, dry_run=dry_run: api.create_namespaced_network_policy(
                    NS, body("bad", spec), dry_run=dry_run
                )
            )

            assert (code, status["reason"]) == (422, "Invalid"), spec
            causes = [(c["field"], c["message"]) for c in status["details"]["causes"]]
            assert causes == expected
            text = ", ".join(f"{f}: {m}" for f, m in expected)
            assert status["message"] == 'NetworkPolicy.networking.k8s.io "bad" is invalid: ' + (
                f"[{text}]" if len(expected) > 1 else text
            )
    assert api.list_namespaced_network_policy(NS).items == []


def test_updates_are_validated_too(k: Clients, lab: Lab) -> None:
    api = networking(k)
    namespace(k, lab, NS)
    policy = imds_policies(NS, [])[0]
    api.create_namespaced_network_policy(NS, policy)

    code, status = status_of(
        lambda: api.patch_namespaced_network_policy(
            policy["metadata"]["name"],
            NS,
            {"spec": {"egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["0.0.0.0/0"]}}]}]}},
        )
    )

    assert code == 422
    assert status["details"]["causes"] == [
        {
            "reason": "FieldValueInvalid",
            "message": 'Invalid value: "0.0.0.0/0": must be a strict subset of `cidr`',
            "field": "spec.egress[0].to[0].ipBlock.except[0]",
        }
    ]
    stored = api.read_namespaced_network_policy(policy["metadata"]["name"], NS)
    assert k.api.sanitize_for_serialization(stored.spec) == policy["spec"]


KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="no kubectl binary")


def kubectl(lab: Lab, tmp_path: Path, *args: str, stdin: str) -> subprocess.CompletedProcess:
    cmd = [str(KUBECTL), "--kubeconfig", str(lab.kubeconfig), "--cache-dir", str(tmp_path / "cache"), *args]
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=90, check=False)


@needs_kubectl
def test_kubectl_applies_the_policies_as_written_to_a_file(k: Clients, lab: Lab, tmp_path: Path) -> None:
    """What a user does with the file ``cleanup --network-policy`` writes."""
    namespace(k, lab, NS)
    text = yaml.safe_dump_all(imds_policies(NS, [PROBE]), sort_keys=False)

    done = kubectl(lab, tmp_path, "apply", "-f", "-", stdin=text)

    assert done.returncode == 0, done.stderr
    assert "networkpolicy.networking.k8s.io/wimigrate-deny-imds created" in done.stdout
    stored = networking(k).read_namespaced_network_policy("wimigrate-deny-imds", NS)
    assert k.api.sanitize_for_serialization(stored.spec) == imds_policies(NS, [PROBE])[0]["spec"]


@needs_kubectl
def test_a_json_type_the_go_struct_refuses_is_a_400(k: Clients, lab: Lab, tmp_path: Path) -> None:
    """The typed client refuses ``port: true`` itself, so kubectl without client-side validation sends it."""
    namespace(k, lab, NS)
    manifest = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "bad", "namespace": NS},
        "spec": {"egress": [{"ports": [{"port": True}]}]},
    }

    done = kubectl(lab, tmp_path, "create", "--validate=false", "-f", "-", stdin=json.dumps(manifest))

    assert done.returncode != 0
    assert (
        "cannot unmarshal bool into Go struct field NetworkPolicyPort.spec.egress.ports.port of type int32"
        in done.stderr
    )
    assert networking(k).list_namespaced_network_policy(NS).items == []

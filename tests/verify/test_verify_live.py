"""verify against the lab: a correctly migrated workload passes; each way of getting it wrong fails with
its own cause, and the token exchange passes or fails exactly where Entra (the lab's) says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrator.adapters.kube import resources as R
from migrator.core.plan import AUDIENCE, CLIENT_ID_ANNOTATION, USE_LABEL
from migrator.core.verification import (
    CLIENT_ID,
    CREDENTIAL,
    PASS,
    POD_LABEL,
    SERVICE_ACCOUNT,
    SIGNATURES,
    TOKEN_EXCHANGE,
    WEBHOOK,
    WorkloadVerdict,
)
from migrator.phases.verify.runner import VerifyReport
from tests.verify.conftest import Verifier, make_lab

REF = "platform/Deployment/cost-exporter"
NS, NAME, SA = "platform", "cost-exporter", "platform-cost-reader"


def verdict(report: VerifyReport, ref: str = REF) -> WorkloadVerdict:
    return next(v for v in report.verdicts if v.ref == ref)


def causes(v: WorkloadVerdict) -> set[tuple[str, str]]:
    return {(c.name, c.cause) for c in v.failed}


def status(v: WorkloadVerdict, name: str) -> str:
    return next(c.status for c in v.checks if c.name == name)


def credential_of(verifier: Verifier) -> tuple[str, str]:
    c = next(c for c in verifier.plan.federatedCredentials if c.namespace == NS)
    return c.identityResourceID or "", c.name


def patch_template(verifier: Verifier, spec: dict) -> None:
    verifier.kube.patch(R.DEPLOYMENTS, NS, NAME, {"spec": {"template": spec}}, "strategic")
    verifier.lab.settle()


def test_a_correctly_migrated_quickstart_passes_every_check(verifier: Verifier) -> None:
    verifier.migrate()
    report = verifier.verify(token_exchange=True)
    assert report.passed, [(v.ref, causes(v)) for v in report.verdicts]
    assert report.exit_code == 0
    assert len(report.verdicts) == len(verifier.plan.workloads)
    for v in report.verdicts:
        assert status(v, TOKEN_EXCHANGE) == PASS, v.ref
        assert status(v, CREDENTIAL) == PASS, v.ref
    assert "orders/Deployment/orders-legacy-sync" in {v.ref for v in report.on_sidecar}


def test_before_migration_nothing_passes(verifier: Verifier) -> None:
    report = verifier.verify()
    assert not report.passed and report.exit_code == 1
    assert (POD_LABEL, "missing-label") in causes(verdict(report))


def test_missing_label_fails_the_label_check_while_federation_itself_works(verifier: Verifier) -> None:
    verifier.migrate()
    patch_template(verifier, {"metadata": {"labels": {USE_LABEL: None}}})
    v = verdict(verifier.verify(token_exchange=True))
    assert (POD_LABEL, "missing-label") in causes(v)
    assert status(v, TOKEN_EXCHANGE) == PASS  # the SA and its credential are fine: Entra issues a token


def test_wrong_service_account_fails_and_entra_refuses_its_token(verifier: Verifier) -> None:
    verifier.migrate()
    patch_template(verifier, {"spec": {"serviceAccountName": "default", "serviceAccount": "default"}})
    v = verdict(verifier.verify(token_exchange=True))
    assert (SERVICE_ACCOUNT, "wrong-service-account") in causes(v)
    token = next(c for c in v.checks if c.name == TOKEN_EXCHANGE)
    assert token.cause == "AADSTS70021" and "system:serviceaccount:platform:default" in token.detail


def test_service_account_without_client_id(verifier: Verifier) -> None:
    verifier.migrate()
    verifier.kube.patch(
        R.SERVICE_ACCOUNTS, NS, SA, {"metadata": {"annotations": {CLIENT_ID_ANNOTATION: None}}}, "merge"
    )
    v = verdict(verifier.verify())
    assert (CLIENT_ID, "sa-without-client-id") in causes(v)
    assert "kubectl annotate serviceaccount" in next(c.fix for c in v.failed if c.name == CLIENT_ID)


def test_webhook_not_installed(tmp_path: Path) -> None:
    lab = make_lab(webhook_installed=False)
    try:
        verifier = Verifier(lab, tmp_path)
        verifier.migrate()
        v = verdict(verifier.verify())
        assert (WEBHOOK, "webhook-not-installed") in causes(v)
        assert "--enable-workload-identity" in next(c.fix for c in v.failed if c.name == WEBHOOK)
    finally:
        lab.stop()


def test_pods_created_before_the_webhook_must_be_restarted(tmp_path: Path) -> None:
    lab = make_lab(webhook_installed=False)
    try:
        verifier = Verifier(lab, tmp_path)
        verifier.migrate()
        lab.kube.install_webhook()  # installed after the pods rolled: they were never mutated
        lab.settle()
        v = verdict(verifier.verify())
        assert (WEBHOOK, "pods-not-restarted") in causes(v)
        assert "rollout restart" in next(c.fix for c in v.failed if c.name == WEBHOOK)
    finally:
        lab.stop()


def test_missing_credential_fails_and_entra_refuses(verifier: Verifier) -> None:
    verifier.migrate()
    rid, name = credential_of(verifier)
    assert verifier.identities.delete_credential(rid, name)
    v = verdict(verifier.verify(token_exchange=True))
    assert (CREDENTIAL, "credential-missing") in causes(v)
    assert (TOKEN_EXCHANGE, "AADSTS70021") in causes(v)


@pytest.mark.parametrize("style, code", [("generic", "AADSTS70021"), ("specific", "AADSTS700211")])
def test_issuer_differing_only_by_a_trailing_slash(tmp_path: Path, style: str, code: str) -> None:
    lab = make_lab(entra_errors=style)
    try:
        verifier = Verifier(lab, tmp_path)
        plan = verifier.make_plan(issuer=verifier.info.issuer_url.rstrip("/"))
        verifier.migrate(plan)
        v = verdict(verifier.verify(plan, token_exchange=True))
        assert (CREDENTIAL, "issuer-trailing-slash") in causes(v)
        detail = next(c.detail for c in v.failed if c.name == CREDENTIAL)
        assert repr(verifier.info.issuer_url) in detail and repr(verifier.info.issuer_url.rstrip("/")) in detail
        assert (TOKEN_EXCHANGE, code) in causes(v)
    finally:
        lab.stop()


def test_credential_for_the_wrong_namespace(verifier: Verifier) -> None:
    verifier.migrate()
    rid, name = credential_of(verifier)
    verifier.identities.delete_credential(rid, name)
    verifier.identities.put_credential(
        rid, "wrong-namespace", verifier.info.issuer_url, f"system:serviceaccount:default:{SA}", AUDIENCE
    )
    v = verdict(verifier.verify(token_exchange=True))
    assert (CREDENTIAL, "subject-namespace") in causes(v)
    assert (TOKEN_EXCHANGE, "AADSTS70021") in causes(v)


def test_expired_assertion(verifier: Verifier) -> None:
    verifier.migrate()
    verifier.lab.kube.clock_offset = -7200.0  # the apiserver mints tokens that expired an hour ago
    pod = next(p for p in verifier.kube.list(R.PODS, NS) if p["metadata"]["name"].startswith(NAME))
    verifier.lab.kube.write_log(
        NS,
        pod["metadata"]["name"],
        "exporter",
        "ERROR azure.identity: WorkloadIdentityCredential.get_token failed: AADSTS700024: Client assertion is not "
        "within its valid time range.",
    )
    v = verdict(verifier.verify(token_exchange=True))
    assert (TOKEN_EXCHANGE, "AADSTS700024") in causes(v)
    assert (SIGNATURES, "AADSTS700024") in causes(v)


def test_wait_rechecks_until_the_credential_has_propagated(verifier: Verifier) -> None:
    verifier.migrate()
    rid, name = credential_of(verifier)
    credential = next(c for c in verifier.plan.federatedCredentials if c.name == name)
    verifier.identities.delete_credential(rid, name)
    ctx = verifier.context(token_exchange=True, wait=300.0, interval=10.0)
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # the credential "propagates" while verify waits
        slept.append(seconds)
        verifier.identities.put_credential(rid, name, credential.issuer, credential.subject, AUDIENCE)

    ctx.sleep = sleep
    from migrator.phases.verify.runner import verify

    report = verify(verifier.plan, ctx)
    assert report.passed and report.rounds == 2 and len(slept) == 1

"""A lab seeded with samples/quickstart, migrated with apply, and verification through the real adapters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from migrator.adapters.azure.token_exchange import EntraExchange
from migrator.core.plan import Plan
from migrator.lab.lab import Lab, LabConfig
from migrator.phases.verify.context import VerifyContext, VerifyOptions
from migrator.phases.verify.runner import VerifyReport, verify
from tests.apply.world import QUICKSTART, SPEEDUP, World


class Verifier(World):
    """World plus verification: ``verify()`` checks the plan's workloads as `wimigrate verify` does."""

    def context(self, **options: object) -> VerifyContext:
        info = self.info
        return VerifyContext(
            kube=self.kube,
            identities=self.identities,
            exchange=EntraExchange(info.ca_file),
            issuer=info.issuer_url,
            tenant_id=info.tenant_id,
            authority=info.login_url,
            options=VerifyOptions(time_scale=SPEEDUP, **options),  # type: ignore[arg-type]
        )

    def verify(self, plan: Plan | None = None, **options: object) -> VerifyReport:
        return verify(plan or self.plan, self.context(**options))

    def migrate(self, plan: Plan | None = None) -> None:
        run = self.apply(plan)
        assert run.report.exit_code == 0, run.report.to_dict()
        self.lab.settle()


def make_lab(**config: object) -> Lab:
    lab = Lab(LabConfig(speedup=SPEEDUP, **config))  # type: ignore[arg-type]
    lab.start()
    lab.seed_manifests(QUICKSTART)
    lab.settle()
    return lab


@pytest.fixture
def verifier(tmp_path: Path) -> Iterator[Verifier]:
    lab = make_lab()
    try:
        yield Verifier(lab, tmp_path / ".wimigrate")
    finally:
        lab.stop()

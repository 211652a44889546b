"""Shared helpers: build inventories and plans from YAML text written to a temp tree."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from migrator.core.matching import discovery_findings
from migrator.core.model import Finding, Inventory
from migrator.core.plan import Plan
from migrator.core.planner import PlanOptions, build_plan
from migrator.phases.rewrite import run_rewrite
from migrator.rewrite.engine import FileOutcome, RewriteResult
from migrator.rewrite.phases import PhaseOptions
from migrator.sources.manifests.scan import scan, scan_tree

IDENTITY = """\
apiVersion: aadpodidentity.k8s.io/v1
kind: AzureIdentity
metadata:
  name: {name}
  namespace: {ns}
spec:
  type: 0
  resourceID: {resource_id}
  clientID: {client}
"""

BINDING = """\
apiVersion: aadpodidentity.k8s.io/v1
kind: AzureIdentityBinding
metadata:
  name: {name}-binding
  namespace: {ns}
spec:
  azureIdentity: {name}
  selector: {selector}
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
spec:
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
        aadpodidbinding: {selector}
    spec:
{extra}      containers:
        - name: app
          image: nginx
"""


def client_id(n: int) -> str:
    return f"{n:08d}-aaaa-bbbb-cccc-dddddddddddd"


def identity(name: str = "id1", ns: str = "apps", client: str | None = None, n: int = 1) -> str:
    resource_id = (
        "/subscriptions/11111111-2222-3333-4444-555555555555/resourcegroups/rg/providers/"
        f"Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
    )
    return IDENTITY.format(name=name, ns=ns, client=client or client_id(n), resource_id=resource_id)


def binding(name: str = "id1", ns: str = "apps", selector: str | None = None) -> str:
    return BINDING.format(name=name, ns=ns, selector=selector or name)


def deployment(name: str = "web", ns: str = "apps", selector: str = "id1", extra: str = "") -> str:
    extra = textwrap.indent(textwrap.dedent(extra), "      ") if extra else ""
    return DEPLOYMENT.format(name=name, ns=ns, selector=selector, extra=extra)


@pytest.fixture
def tree(tmp_path: Path) -> Callable[..., Path]:
    """Write ``{relative path: text}`` below a temp dir and return the dir."""

    def make(files: dict[str, str | bytes]) -> Path:
        for rel, content in files.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
        return tmp_path

    return make


@pytest.fixture
def discover(tree: Callable[..., Path]) -> Callable[..., tuple[Inventory, list[Finding]]]:
    def run(files: dict[str, str | bytes], **kwargs) -> tuple[Inventory, list[Finding]]:
        root = tree(files)
        inventory = scan([str(root)])
        return inventory, discovery_findings(inventory, **kwargs)

    return run


@pytest.fixture
def plan_of(tree: Callable[..., Path]) -> Callable[..., Plan]:
    def run(files: dict[str, str | bytes], **options) -> Plan:
        root = tree(files)
        return build_plan(scan([str(root)]), PlanOptions(**options))

    return run


def codes(findings: list[Finding]) -> list[str]:
    return sorted(f.code for f in findings)


@pytest.fixture
def rewrite_of(tree: Callable[..., Path]) -> Callable[..., RewriteResult]:
    """Run a rewrite phase over a temp tree (nothing written): ``rewrite_of(files, "cleanup", mode=...)``."""

    def run(
        files: dict[str, str | bytes], phase: str = "migrate", workloads: tuple[str, ...] = (), **options
    ) -> RewriteResult:
        root = tree(files)
        phase_options = PhaseOptions(phase, workloads)
        return run_rewrite(scan_tree([str(root)]), phase_options, PlanOptions(**options), 10 * 1024 * 1024)

    return run


def outcome(result: RewriteResult, name: str) -> FileOutcome:
    """The outcome of the file whose path ends with ``name``."""
    return next(f for f in result.files if f.path.endswith(name))

"""One lab: the services wired together, bound to loopback ports, plus the files clients need.

    with Lab(LabConfig(seed=1)) as lab:
        lab.seed_manifests(Path("samples/quickstart"))
        ...  # talk to lab.kube_url / lab.arm_url / lab.login_url with the real SDK clients

The lab's files (kubeconfig, CA, operator token, lab.json, lab.env) live in its state
directory: the one given, or a private temporary directory removed on stop.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from migrator.lab.crypto import KeyMaterial, new_key_material, shared_key_material
from migrator.lab.faults import FaultInjector
from migrator.lab.httpd import LabServer, server_context
from migrator.lab.ids import Ids
from migrator.lab.oidc import OidcIssuer
from migrator.lab.pacing import Pacing

if TYPE_CHECKING:
    from migrator.lab.seed import SeedReport

WEBHOOK_VERSIONS = ("1.5", "1.6")
OPERATOR_SUBJECT = "system:serviceaccount:wimigrate-lab:operator"
ARM_AUDIENCE = "https://management.azure.com"


@dataclass
class LabConfig:
    """What kind of world to emulate. Every default gives the documented, healthy AKS setup."""

    seed: int = 0
    webhook_version: str = "1.5"
    speedup: float = 1.0
    entra_errors: str = "generic"  # "generic": AADSTS70021 for any mismatch; "specific": 700211 / 700213
    aks_addon: bool = False
    nodes: int = 2
    subscription_id: str = ""
    resource_group: str = "lab-rg"
    cluster_name: str = "lab-aks"
    location: str = "eastus"
    webhook_installed: bool = True
    oidc_issuer_enabled: bool = True
    pod_identity_crds: bool = True
    fresh_keys: bool = False  # tests share one key set per process; `lab up` makes its own

    def __post_init__(self) -> None:
        if self.webhook_version not in WEBHOOK_VERSIONS:
            raise ValueError(f"webhook_version must be one of {', '.join(WEBHOOK_VERSIONS)}")
        if self.entra_errors not in ("generic", "specific"):
            raise ValueError("entra_errors must be 'generic' or 'specific'")


@dataclass(frozen=True)
class LabInfo:
    """What a client needs to reach a running lab; written to ``lab.json``."""

    kube_url: str
    arm_url: str
    login_url: str
    issuer_url: str
    tenant_id: str
    subscription_id: str
    cluster_id: str
    operator_client_id: str
    ca_file: str
    kubeconfig: str
    token_file: str
    webhook_version: str
    speedup: float = 1.0
    """Lab time runs this many times faster: live commands scale their pacing and waits by it."""
    pid: int = field(default_factory=os.getpid)

    @classmethod
    def load(cls, state_dir: Path) -> LabInfo:
        return cls(**json.loads((state_dir / "lab.json").read_text()))


class Lab:
    def __init__(self, config: LabConfig | None = None, state_dir: Path | None = None) -> None:
        self.config = config or LabConfig()
        self.keys: KeyMaterial = new_key_material() if self.config.fresh_keys else shared_key_material()
        self.ids = Ids(self.config.seed)
        self.pacing = Pacing(self.config.speedup)
        self.faults = FaultInjector(seed=self.config.seed)
        self.tenant_id = self.ids.uuid()
        self.subscription_id = self.config.subscription_id or self.ids.uuid()
        self.operator_client_id = self.ids.uuid()
        self.kube_token = secrets.token_urlsafe(32)
        self._own_dir = state_dir is None
        self.state_dir = Path(tempfile.mkdtemp(prefix="wimigrate-lab-")) if state_dir is None else state_dir
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._servers: list[LabServer] = []
        self._started = False
        self._build()

    # -- wiring ---------------------------------------------------------------------------
    def _build(self) -> None:
        from migrator.lab.azure.cloud import AzureCloud
        from migrator.lab.kube.cluster import KubeCluster

        tls_dir = self.state_dir / "tls"
        tls_dir.mkdir(exist_ok=True, mode=0o700)
        _write(tls_dir / "tls.crt", self.keys.tls.cert_pem)
        _write(tls_dir / "tls.key", self.keys.tls.key_pem)
        _write(self.ca_file, self.keys.tls.ca_pem, mode=0o644)
        context = server_context(str(tls_dir / "tls.crt"), str(tls_dir / "tls.key"))

        cluster_uuid = self.ids.uuid()
        self.issuer = OidcIssuer(self.keys.issuer, f"/{self.tenant_id}/{cluster_uuid}/")
        issuer_server = self._serve(self.issuer, context)
        self.issuer.url = f"{issuer_server.url}{self.issuer.path}"

        self.azure = AzureCloud(
            tenant_id=self.tenant_id,
            ids=self.ids,
            pacing=self.pacing,
            entra_key=self.keys.entra,
            issuer_jwks=self._issuer_jwks,
            error_style=self.config.entra_errors,
        )
        self.kube = KubeCluster(self)
        self.kube_server = self._serve(self.kube.service, context)
        self.arm_server = self._serve(self.azure.arm, context)
        self.login_server = self._serve(self.azure.entra, context)
        self.azure.login_url = self.login_url
        self.azure.register_application(
            self.operator_client_id,
            display_name="wimigrate lab operator",
            federated=[
                {"issuer": self.issuer.url, "subject": OPERATOR_SUBJECT, "audiences": ["api://AzureADTokenExchange"]}
            ],
        )

    def _serve(self, service: object, context: object) -> LabServer:
        server = LabServer(service, context, self.faults)  # type: ignore[arg-type]
        self._servers.append(server)
        return server

    def _issuer_jwks(self, issuer: str) -> dict | None:
        """The JWKS Entra would fetch for an assertion's issuer; None when it cannot be fetched (AADSTS90061)."""
        return self.issuer.jwks() if issuer == self.issuer.url else None

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> Lab:
        if self._started:
            return self
        for server in self._servers:
            server.start()
        self.kube.start()
        self._started = True
        self._seed_cluster()
        self.write_client_files()
        return self

    def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        self.kube.stop()
        self.azure.close()
        for server in self._servers:
            server.stop()
        if self._own_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def seed_manifests(self, root: Path, *, aks_addon: bool | None = None) -> SeedReport:
        """Create the objects of a manifest tree (and the identities they name) in this lab."""
        from migrator.lab.seed import seed

        return seed(self, root, aks_addon=self.config.aks_addon if aks_addon is None else aks_addon)

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until the controllers have nothing left to do (tests synchronise on this)."""
        self.kube.settle(timeout)

    # -- the managed cluster -----------------------------------------------------------------
    @property
    def cluster_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.config.resource_group}"
            f"/providers/Microsoft.ContainerService/managedClusters/{self.config.cluster_name}"
        )

    def _seed_cluster(self) -> None:
        self.azure.add_managed_cluster(
            self.cluster_id,
            location=self.config.location,
            issuer_url=self.issuer.url,
            oidc_issuer_enabled=self.config.oidc_issuer_enabled,
            workload_identity_enabled=self.config.webhook_installed,
        )

    # -- endpoints and client files -----------------------------------------------------------
    @property
    def kube_url(self) -> str:
        return self.kube_server.url

    @property
    def arm_url(self) -> str:
        return self.arm_server.url

    @property
    def login_url(self) -> str:
        return self.login_server.url

    @property
    def ca_file(self) -> Path:
        return self.state_dir / "ca.pem"

    @property
    def kubeconfig(self) -> Path:
        return self.state_dir / "kubeconfig"

    @property
    def token_file(self) -> Path:
        return self.state_dir / "operator.token"

    def info(self) -> LabInfo:
        return LabInfo(
            kube_url=self.kube_url,
            arm_url=self.arm_url,
            login_url=self.login_url,
            issuer_url=self.issuer.url,
            tenant_id=self.tenant_id,
            subscription_id=self.subscription_id,
            cluster_id=self.cluster_id,
            operator_client_id=self.operator_client_id,
            ca_file=str(self.ca_file),
            kubeconfig=str(self.kubeconfig),
            token_file=str(self.token_file),
            webhook_version=self.config.webhook_version,
            speedup=self.config.speedup,
        )

    def operator_assertion(self, lifetime: int = 86400) -> str:
        """The operator's federated token: how live commands authenticate to the lab's Entra."""
        now = int(time.time())
        return self.keys.issuer.sign(
            {
                "iss": self.issuer.url,
                "sub": OPERATOR_SUBJECT,
                "aud": ["api://AzureADTokenExchange"],
                "iat": now,
                "nbf": now,
                "exp": now + lifetime,
                "jti": self.ids.uuid(),
            }
        )

    def write_client_files(self) -> None:
        """kubeconfig, operator token, lab.json and lab.env; credentials are written mode 0600."""
        _write(self.kubeconfig, self.kubeconfig_text().encode())
        _write(self.token_file, self.operator_assertion().encode())
        info = self.info()
        _write(self.state_dir / "lab.json", json.dumps(asdict(info), indent=2).encode())
        _write(self.state_dir / "lab.env", self.env_text(info).encode())

    def kubeconfig_text(self) -> str:
        ca = base64.b64encode(self.keys.tls.ca_pem).decode()
        return json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {"name": "wimigrate-lab", "cluster": {"server": self.kube_url, "certificate-authority-data": ca}}
                ],
                "users": [{"name": "wimigrate-lab-admin", "user": {"token": self.kube_token}}],
                "contexts": [
                    {"name": "wimigrate-lab", "context": {"cluster": "wimigrate-lab", "user": "wimigrate-lab-admin"}}
                ],
                "current-context": "wimigrate-lab",
                "preferences": {},
            },
            indent=2,
        )

    def env_text(self, info: LabInfo) -> str:
        values = {
            "WIMIGRATE_LAB_DIR": str(self.state_dir),
            "KUBECONFIG": info.kubeconfig,
            "AZURE_TENANT_ID": info.tenant_id,
            "AZURE_CLIENT_ID": info.operator_client_id,
            "AZURE_FEDERATED_TOKEN_FILE": info.token_file,
            "AZURE_AUTHORITY_HOST": info.login_url,
            "AZURE_SUBSCRIPTION_ID": info.subscription_id,
        }
        lines = ["# Source this file to point kubectl and the Azure SDKs at the wimigrate lab."]
        lines += [f"export {key}={_shell_quote(value)}" for key, value in values.items()]
        return "\n".join(lines) + "\n"


def _shell_quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"


def _write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Created with its final mode, so a credential is never readable by others, even briefly."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
    finally:
        os.close(fd)

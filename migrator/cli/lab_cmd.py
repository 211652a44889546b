"""``wimigrate lab``: an emulated AKS cluster, ARM and Entra on 127.0.0.1 to rehearse a migration."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

import click

from migrator.cli.lab_options import DEFAULT_SEED, lab_options, lab_target
from migrator.cli.options import output_option
from migrator.errors import InputError


@click.group()
def lab() -> None:
    """Rehearse on a laptop: an emulated AKS cluster, Azure Resource Manager and Entra.

    \b
      wimigrate lab up --dir .wimigrate/lab        start it (Ctrl-C stops it)
      source .wimigrate/lab/lab.env                 point kubectl and the Azure SDKs at it
      wimigrate lab status --lab-dir .wimigrate/lab
    """


@lab.command()
@click.option(
    "--dir",
    "state_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".wimigrate/lab"),
    show_default=True,
    help="State directory: kubeconfig, lab.env, CA and credentials (mode 0600).",
)
@click.option(
    "--seed",
    "seed_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=f"Manifest tree to create in the lab  [default: {DEFAULT_SEED}/]",
)
@click.option("--no-seed", is_flag=True, help="Start empty (system namespaces and the webhook only).")
@click.option(
    "--aks-addon",
    is_flag=True,
    help="Seed identities as the AKS pod-identity add-on would (podIdentityProfile, CRs it manages).",
)
@click.option(
    "--webhook-version",
    type=click.Choice(["1.5", "1.6"]),
    default="1.5",
    show_default=True,
    help="Projected token layout of the workload identity webhook to emulate.",
)
@click.option("--no-webhook", is_flag=True, help="Workload identity not enabled on the cluster (no webhook).")
@click.option("--no-oidc-issuer", is_flag=True, help="OIDC issuer not enabled on the cluster.")
@click.option(
    "--speedup",
    type=click.FloatRange(min=0.001),
    default=1.0,
    show_default=True,
    help="Run Azure's throttling windows and long-running operations this many times faster.",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="SPEC",
    help="Inject a fault: SERVICE:VERB:RESOURCE:ACTION[,key=value], e.g. "
    "arm:put:federatedIdentityCredentials:status=429,retry_after=2,times=3. Repeatable.",
)
@click.option("--random-seed", type=int, default=0, show_default=True, help="Seed for ids and injected faults.")
def up(
    state_dir: Path,
    seed_dir: Path | None,
    no_seed: bool,
    aks_addon: bool,
    webhook_version: str,
    no_webhook: bool,
    no_oidc_issuer: bool,
    speedup: float,
    faults: tuple[str, ...],
    random_seed: int,
) -> None:
    """Start a lab in the foreground until Ctrl-C or SIGTERM.

    Writes STATE/kubeconfig and STATE/lab.env (source it), prints "lab ready"
    once every endpoint answers, and stops cleanly.
    """
    from migrator.lab.faults import FaultSpecError, parse_fault
    from migrator.lab.lab import Lab, LabConfig

    seed = None if no_seed else (seed_dir or DEFAULT_SEED)
    if seed is not None and not seed.is_dir():
        raise InputError(
            f"Seed directory {seed} does not exist.",
            hint="Pass --seed DIR (a manifest tree), or --no-seed to start empty.",
        )
    try:
        rules = [parse_fault(spec) for spec in faults]
    except FaultSpecError as exc:
        raise InputError(str(exc)) from None
    config = LabConfig(
        seed=random_seed,
        webhook_version=webhook_version,
        speedup=speedup,
        aks_addon=aks_addon,
        webhook_installed=not no_webhook,
        oidc_issuer_enabled=not no_oidc_issuer,
        fresh_keys=True,
    )
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with Lab(config, state_dir=state_dir) as running:
            report = running.seed_manifests(seed) if seed is not None else None
            for rule in rules:
                running.faults.add(rule)
            _print_ready(running, state_dir, seed, report)
            stop.wait()
            click.echo("Stopping the lab...", err=True)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("lab stopped", err=True)


def _print_ready(running: Any, state_dir: Path, seed: Path | None, report: Any) -> None:
    info = running.info()
    click.echo(f"Kubernetes API   {info.kube_url}")
    click.echo(f"Azure (ARM)      {info.arm_url}")
    click.echo(f"Entra            {info.login_url}")
    click.echo(f"OIDC issuer      {info.issuer_url}")
    click.echo(f"Managed cluster  {info.cluster_id}")
    if report is not None:
        click.echo(f"Seeded from {seed}: {report.summary()}")
        for line in report.failed:
            click.echo(f"  failed: {line}", err=True)
        for line in report.skipped:
            click.echo(f"  skipped: {line}", err=True)
    click.echo(f"Use it:  source {state_dir / 'lab.env'}   (kubectl, the Azure SDKs, wimigrate --lab-dir {state_dir})")
    click.echo("lab ready", nl=True)


@lab.command()
@lab_options
@output_option
def status(lab_dir: Path | None, throwaway_lab: bool, output: str) -> None:
    """What a lab holds, read through the real Kubernetes and Azure clients."""
    from migrator.cli import render
    from migrator.lab.status import read_status

    if lab_dir is None and not throwaway_lab:
        raise InputError("Say which lab: --lab-dir STATE (a running `wimigrate lab up`) or --lab.")
    with lab_target(lab_dir, throwaway_lab) as info:
        data = read_status(info)
    if output != "table":
        render.echo_data(data, output)
        return
    render.print_lab_status(data)

"""Options shared by several commands, declared once."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import click

from migrator.errors import InputError

OUTPUT_FORMATS = ("table", "json", "yaml")


def manifests_option(func: Callable) -> Callable:
    func = click.option(
        "--default-namespace",
        default="default",
        show_default=True,
        help="Namespace of objects that name none (and no kustomization sets one).",
    )(func)
    func = click.option(
        "--max-file-size",
        type=click.IntRange(min=1),
        default=10 * 1024 * 1024,
        show_default=True,
        help="Files larger than this many bytes are reported, not read.",
    )(func)
    return click.option(
        "--manifests",
        "manifests",
        multiple=True,
        required=True,
        type=click.Path(exists=True, file_okay=True, dir_okay=True),
        help="A manifest file or directory (walked recursively). Repeatable.",
    )(func)


def output_option(func: Callable) -> Callable:
    return click.option(
        "-o",
        "--output",
        type=click.Choice(OUTPUT_FORMATS),
        default="table",
        show_default=True,
        help="Output format; json and yaml print nothing else on stdout.",
    )(func)


def namespaced_option(func: Callable) -> Callable:
    return click.option(
        "--force-namespaced",
        is_flag=True,
        help="Match bindings only within their namespace, as MIC with --forceNamespaced (and the AKS add-on) does.",
    )(func)


def parse_assignments(values: tuple[str, ...], option: str, allowed: tuple[str, ...] | None = None) -> dict[str, str]:
    """``KEY=VALUE`` pairs from a repeatable option, with a clear error for a bad one."""
    result: dict[str, str] = {}
    for raw in values:
        key, sep, value = raw.partition("=")
        if not sep or not key or not value:
            raise InputError(f"{option} {raw!r}: expected KEY=VALUE")
        if allowed and value not in allowed:
            raise InputError(f"{option} {raw!r}: value must be one of {', '.join(allowed)}")
        result[key] = value
    return result


def parse_version(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    match = re.match(r"^v?(\d+)\.(\d+)", value)
    if not match:
        raise InputError(f"--kubernetes-version {value!r}: expected MAJOR.MINOR, for example 1.31")
    return int(match.group(1)), int(match.group(2))


def load_tree(manifests: tuple[str, ...], default_namespace: str, max_file_size: int, show_progress: bool) -> Any:
    """The scanned tree (``ScanResult``); a missing path is an input error."""
    from migrator.cli.render import scan_with_progress
    from migrator.sources.manifests.scan import ManifestPathError

    try:
        return scan_with_progress(manifests, default_namespace, max_file_size, show_progress)
    except ManifestPathError as exc:
        raise InputError(str(exc)) from exc


def load_inventory(manifests: tuple[str, ...], default_namespace: str, max_file_size: int, show_progress: bool) -> Any:
    return load_tree(manifests, default_namespace, max_file_size, show_progress).inventory


PLAN_OPTION_NAMES = (
    "force_namespaced",
    "mode",
    "workload_mode",
    "issuer",
    "tenant_id",
    "token_expiration",
    "proxy_port",
    "sa_name_pattern",
    "fic_name_pattern",
    "cluster_name",
    "kubernetes_version",
    "identity_for",
)


def plan_options(func: Callable) -> Callable:
    """Every option that shapes the plan, for ``plan`` and for the commands that compute one."""
    from migrator.core.plan import DEFAULT_PROXY_PORT, MODES

    decorators = [
        namespaced_option,
        click.option(
            "--mode",
            type=click.Choice(MODES),
            default="label",
            show_default=True,
            help="label: modern Azure Identity SDKs (label only); sidecar: old SDKs through the proxy sidecar.",
        ),
        click.option(
            "--workload-mode",
            multiple=True,
            metavar="NS/KIND/NAME=MODE",
            help="Mode for matching workloads (glob patterns allowed, e.g. 'legacy/*=sidecar'). Repeatable.",
        ),
        click.option("--issuer", metavar="URL", help="The cluster's OIDC issuer URL, exactly as AKS reports it."),
        click.option("--tenant-id", metavar="GUID", help="Annotate ServiceAccounts with this tenant id."),
        click.option(
            "--token-expiration",
            type=click.IntRange(3600, 86400),
            metavar="SECONDS",
            help="Annotate ServiceAccounts with a token expiration (3600..86400).",
        ),
        click.option(
            "--proxy-port",
            type=click.IntRange(1, 65535),
            default=DEFAULT_PROXY_PORT,
            show_default=True,
            help="Port of the proxy sidecar.",
        ),
        click.option(
            "--sa-name-pattern",
            default="{identity}",
            show_default=True,
            help="Name of ServiceAccounts the plan creates; tokens {identity} {workload} {namespace} {selector}.",
        ),
        click.option(
            "--fic-name-pattern",
            default=None,
            help="Federated credential names; tokens {cluster} {namespace} {serviceAccount} {identity}. "
            "Default: {namespace}-{serviceAccount}, prefixed with {cluster}- when --cluster-name is set.",
        ),
        click.option("--cluster-name", default="", help="Cluster name used in credential names."),
        click.option(
            "--kubernetes-version",
            metavar="MAJOR.MINOR",
            help="The cluster's Kubernetes version (Jobs with the proxy sidecar complete only from 1.32).",
        ),
        click.option(
            "--identity-for",
            multiple=True,
            metavar="[NS/]SELECTOR=IDENTITY",
            help="The identity a ServiceAccount gets when several are bound to one selector. Repeatable.",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def build_plan_options(values: dict[str, Any]) -> Any:
    """``PlanOptions`` from the values of ``plan_options`` (removed from ``values``)."""
    from migrator.core.naming import FIC_TOKENS, SA_TOKENS, PatternError, check_pattern
    from migrator.core.plan import MODES
    from migrator.core.planner import PlanOptions

    v = {name: values.pop(name) for name in PLAN_OPTION_NAMES}
    try:
        check_pattern(v["sa_name_pattern"], SA_TOKENS)
        check_pattern(v["fic_name_pattern"] or "", FIC_TOKENS)
    except PatternError as exc:
        raise InputError(str(exc)) from exc
    return PlanOptions(
        issuer=v["issuer"],
        mode=v["mode"],
        workload_modes=parse_assignments(v["workload_mode"], "--workload-mode", MODES),
        force_namespaced=v["force_namespaced"],
        tenant_id=v["tenant_id"],
        token_expiration=v["token_expiration"],
        proxy_port=v["proxy_port"],
        sa_name_pattern=v["sa_name_pattern"],
        fic_name_pattern=v["fic_name_pattern"],
        cluster_name=v["cluster_name"],
        kubernetes_version=parse_version(v["kubernetes_version"]),
        identity_for=parse_assignments(v["identity_for"], "--identity-for"),
    )


def journal_dir_option(help_text: str) -> Callable:
    """--journal-dir: where journals (and verdicts) are written, mode 0600; every command that acts has one."""
    from pathlib import Path

    return click.option(
        "--journal-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path(".wimigrate"),
        show_default=True,
        help=help_text,
    )

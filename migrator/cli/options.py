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


def load_inventory(manifests: tuple[str, ...], default_namespace: str, max_file_size: int, show_progress: bool) -> Any:
    from migrator.cli.render import scan_with_progress
    from migrator.sources.manifests.scan import ManifestPathError

    try:
        return scan_with_progress(manifests, default_namespace, max_file_size, show_progress)
    except ManifestPathError as exc:
        raise InputError(str(exc)) from exc

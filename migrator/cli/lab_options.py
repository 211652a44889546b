"""``--lab-dir`` and ``--lab`` for live commands: work against a running lab, or a throwaway one."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from migrator.errors import InputError

DEFAULT_SEED = Path("samples/quickstart")
CHECKOUT_SEED = Path(__file__).resolve().parents[2] / "samples" / "quickstart"
"""The same sample in the checkout wimigrate runs from, for a throwaway lab started elsewhere."""


def lab_options(func: Callable) -> Callable:
    func = click.option(
        "--lab",
        "throwaway_lab",
        is_flag=True,
        help="Start a throwaway lab in-process for this command (seeded with samples/quickstart/).",
    )(func)
    return click.option(
        "--lab-dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="WIMIGRATE_LAB_DIR",
        help="Work against the lab running with this state directory (`wimigrate lab up --dir`). "
        "Env: WIMIGRATE_LAB_DIR.",
    )(func)


def load_info(lab_dir: Path) -> Any:
    from migrator.lab.lab import LabInfo

    if not (lab_dir / "lab.json").is_file():
        raise InputError(f"No lab state in {lab_dir}.", hint=f"Start one: wimigrate lab up --dir {lab_dir}")
    info = LabInfo.load(lab_dir)
    if not _alive(info.pid):
        raise InputError(
            f"The lab in {lab_dir} is not running (process {info.pid} is gone).",
            hint=f"Start it again: wimigrate lab up --dir {lab_dir}",
        )
    return info


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def lab_target(
    lab_dir: Path | None,
    throwaway: bool,
    seed: Path | None = DEFAULT_SEED,
    *,
    speedup: float = 1.0,
    aks_addon: bool = False,
) -> Iterator[Any]:
    """The LabInfo to talk to, or None when neither option was given (then: the real cluster and Azure).
    ``speedup`` and ``aks_addon`` shape a throwaway lab only."""
    if throwaway and lab_dir is not None:
        raise InputError("Use --lab or --lab-dir, not both.")
    if lab_dir is not None:
        yield load_info(lab_dir)
        return
    if not throwaway:
        yield None
        return
    from migrator.lab.lab import Lab, LabConfig

    if seed == DEFAULT_SEED and not seed.is_dir():
        seed = CHECKOUT_SEED
    elif seed is not None and not seed.is_dir():
        raise InputError(f"The lab's seed {seed} is not a directory.", hint="Name a manifest tree (labSeed, --seed).")
    with Lab(LabConfig(speedup=speedup, aks_addon=aks_addon)) as lab:
        if seed is not None and seed.is_dir():
            lab.seed_manifests(seed)
        yield lab.info()

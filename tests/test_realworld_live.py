"""Every real public manifest under ../shared/realworld/, seeded into one lab, through the live commands.

Nothing here pins what the tool decides about them (``test_realworld`` does, per file); it holds the tool
to its promise on input nobody wrote for it: every command ends with an exit code and a message, never a
traceback. The folder is not part of this repository: skipped when it is absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.cli.main import cli
from migrator.lab.lab import Lab, LabConfig

REALWORLD = Path(__file__).resolve().parents[2] / "shared" / "realworld"

pytestmark = pytest.mark.skipif(not REALWORLD.is_dir(), reason=f"real-world manifests not found at {REALWORLD}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with Lab(LabConfig(speedup=50), state_dir=tmp_path_factory.mktemp("lab")) as running:
        report = running.seed_manifests(REALWORLD)
        assert report.created, report.summary()
        # objects in a placeholder namespace ('$K8S_NAMESPACE') are reported, not a crash
        assert all(": " in line for line in report.failed)
        yield running


@pytest.mark.parametrize(
    "command",
    [
        ("discover", "--cluster", "-A"),
        ("plan", "--cluster", "-A"),
        ("apply", "-A", "--dry-run"),
        ("verify", "-A", "--token-exchange"),
        ("cleanup", "-A", "--dry-run"),
        ("cleanup", "-A", "--verify", "--yes"),
    ],
    ids=" ".join,
)
def test_live_commands_end_cleanly_on_real_world_manifests(lab: Lab, tmp_path: Path, command: tuple[str, ...]) -> None:
    journals = () if command[0] in ("discover", "plan") else ("--journal-dir", str(tmp_path))
    result = CliRunner().invoke(
        cli,
        [*command, "--lab-dir", str(lab.state_dir), *journals],
        env={"NO_COLOR": "1", "COLUMNS": "160", "WIMIGRATE_LAB_DIR": None},
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1, 2), result.output
    if result.exit_code == 2:
        assert "Error: " in result.output  # a message for the user, not a traceback

"""``wimigrate wizard``: the migration step by step on a terminal, every answer saved as it is given."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from migrator.cli.options import PLAN_OPTION_NAMES, journal_dir_option, plan_options
from migrator.cli.sources import SOURCE_OPTION_NAMES, source_options
from migrator.errors import EXIT_INTERRUPTED, InputError
from migrator.storage.wizard_state import DEFAULT_STATE

WIZARD_OPTION_NAMES = ("sdk_sources", "source_for", "journal_dir")
PATH_OPTIONS = ("kubeconfig", "lab_dir")
LIST_OPTIONS = ("manifests", "namespaces", "workload_mode", "identity_for")
THROWAWAY_LAB_SPEEDUP = 50.0
"""A throwaway lab's clock runs this much faster (as for `wimigrate run`): a rehearsal need not wait."""


@click.command()
@source_options
@plan_options
@click.option(
    "--source",
    "sdk_sources",
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    metavar="DIR",
    help="Applications' source trees: their dependency files say which Azure Identity SDK each uses, so the "
    "wizard proposes label or sidecar mode per workload. Repeatable.",
)
@click.option(
    "--source-for",
    multiple=True,
    metavar="NS/KIND/NAME=DIR",
    help="The source directory of one workload's application (when its image does not tell). Repeatable.",
)
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_STATE,
    show_default=True,
    help="The session file: every answer is saved there the moment it is given (mode 0600).",
)
@click.option("--resume", is_flag=True, help="Continue the saved session at its first unanswered step.")
@click.option(
    "--save-playbook",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="At the end, write the session as a playbook to FILE without asking.",
)
@journal_dir_option("Where apply, verify and cleanup journals are written (mode 0600).")
@click.pass_context
def wizard(
    ctx: click.Context,
    sdk_sources: tuple[str, ...],
    source_for: tuple[str, ...],
    state_file: Path,
    resume: bool,
    save_playbook: str | None,
    journal_dir: Path,
    **values: Any,
) -> None:
    """Migrate interactively: discover, choose, resolve, preview, apply, verify, clean up.

    \b
    1. what uses pod identity (findings first, errors on top)
    2. the namespaces, then the workloads to migrate
    3. label or proxy-sidecar mode per workload (proposed from --source)
    4. each error finding in the way, resolved where a choice fixes it
    5. the plan, and for manifests the diff; 6. confirm
    7. apply (journaled) or, for manifests only, rewrite them in place
    8. verify, waiting for rollouts; 9. then, if you want, clean up
    Finally the session can be saved as a playbook (`wimigrate run` replays it).

    Every answer is saved in --state as it is given; Ctrl-C stops (exit 130)
    and `wimigrate wizard --resume` continues at the first unanswered step.
    """
    from migrator.cli.wizard.prompts import QuestionaryPrompts

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise InputError(
            "The wizard asks questions: it needs a terminal.",
            hint="In scripts, run the commands (discover, plan, apply, verify, cleanup) or `wimigrate run PLAYBOOK`.",
        )
    prompts = QuestionaryPrompts()
    try:
        start(ctx, prompts, state_file, resume, save_playbook, sdk_sources, source_for, journal_dir, values)
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo(f"\nInterrupted. {_resume_hint(state_file)}", err=True)
        raise click.exceptions.Exit(EXIT_INTERRUPTED) from None


def start(
    ctx: click.Context,
    prompts: Any,
    state_file: Path,
    resume: bool,
    save_playbook: str | None,
    sdk_sources: tuple[str, ...],
    source_for: tuple[str, ...],
    journal_dir: Path,
    values: dict[str, Any],
) -> None:
    """The session: loaded (``--resume``) or new, connected to its target, then its steps."""
    from migrator.storage.wizard_state import WizardState, exists, load_state, save_state

    if resume:
        state = load_state(state_file)
        if state.finished:
            raise InputError(f"The session in {state_file} is finished.", hint="Start a new one without --resume.")
        names = (*SOURCE_OPTION_NAMES, *PLAN_OPTION_NAMES, *WIZARD_OPTION_NAMES)
        given = [param.opts[-1] for param in ctx.command.params if param.name in names and _given(ctx, param.name)]
        if given:
            shown = ", ".join(given)
            raise InputError(f"--resume continues the saved session with its own target and options: drop {shown}.")
        if state.target.get("throwaway_lab") and "confirm" in state.answers:
            raise InputError(
                "That session changed a throwaway lab (--lab), which ended with it: there is nothing to resume.",
                hint="Start a new session (`wimigrate wizard --lab`), or rehearse with a lab that stays up: "
                "`wimigrate lab up --dir DIR`, then `wimigrate wizard --lab-dir DIR`.",
            )
        if save_playbook:
            state.options["savePlaybook"] = os.path.abspath(save_playbook)
        click.echo(f"Resuming the session started {state.started} (saved {state.updated}, at step {state.step}).")
    else:
        if exists(state_file):
            _replace_unfinished(prompts, state_file)
        if not any(values.get(name) for name in ("manifests", "cluster", "lab_dir", "throwaway_lab")):
            _ask_target(prompts, values)
        from migrator.cli.options import build_plan_options

        build_plan_options({name: values[name] for name in PLAN_OPTION_NAMES})  # a bad option fails here, unsaved
        state = WizardState(
            target=_plain({name: values[name] for name in SOURCE_OPTION_NAMES}),
            options={
                "plan": _plain({name: values[name] for name in PLAN_OPTION_NAMES}),
                "sources": [os.path.abspath(s) for s in sdk_sources],
                "sourceFor": list(source_for),
                "journalDir": str(journal_dir.absolute()),
                "savePlaybook": os.path.abspath(save_playbook) if save_playbook else None,
            },
        )
        save_state(state_file, state)
    _run(state, state_file, prompts)


def _run(state: Any, state_file: Path, prompts: Any) -> None:
    from migrator.cli.options import build_plan_options, load_tree
    from migrator.cli.render import console
    from migrator.cli.sources import open_sources
    from migrator.cli.wizard import steps
    from migrator.cli.wizard.decisions import candidates
    from migrator.cli.wizard.sdk import proposals

    target = _restored(state.target)
    base = build_plan_options(_restored(state.options.get("plan") or {}))
    manifests = target["manifests"]
    default_namespace, max_file_size = target["default_namespace"], target["max_file_size"]
    try:
        speedup = THROWAWAY_LAB_SPEEDUP if target.get("throwaway_lab") else 1.0
        with open_sources(dict(target), show_progress=True, lab_speedup=speedup) as sources:
            tree = None
            if manifests and sources.kube is None:

                def tree() -> Any:
                    return load_tree(manifests, default_namespace, max_file_size, True)

            w = steps.Wizard(
                state,
                state_file,
                prompts,
                base,
                sources,
                Path(state.options.get("journalDir") or ".wimigrate"),
                tree=tree,
                default_namespace=default_namespace,
                max_file_size=max_file_size,
            )
            if "modes" not in state.answers:
                pool = candidates(sources.inventory, base.force_namespaced)
                w.sdk = proposals(state.options.get("sources") or [], state.options.get("sourceFor") or [], pool)
            steps.run(w)
    except steps.Stop as stop:
        out = console()
        out.print(f"\n{stop.message}", markup=False, highlight=False)
        if stop.resumable:
            out.print(_resume_hint(state_file), markup=False, highlight=False)
        raise click.exceptions.Exit(stop.exit_code) from None


def _given(ctx: click.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source is not None and source.name == "COMMANDLINE"


def _replace_unfinished(prompts: Any, state_file: Path) -> None:
    """A new session replaces the saved one only when the user says so."""
    from migrator.storage.wizard_state import load_state

    try:
        old = load_state(state_file)
    except InputError:
        return  # unreadable: nothing to continue, a new session overwrites it
    if old.finished or not old.answers:
        return  # nothing would be lost
    replace = prompts.confirm(
        f"An unfinished session (started {old.started}, at step {old.step}) is saved in {state_file}. "
        "Start a new one and replace it?",
        default=False,
    )
    if not replace:
        click.echo(f"Kept it. {_resume_hint(state_file)}")
        raise click.exceptions.Exit(0)


def _ask_target(prompts: Any, values: dict[str, Any]) -> None:
    """Without a source option: where to migrate."""
    from migrator.cli.wizard.prompts import Option

    choice = prompts.select(
        "What do you want to migrate?",
        [
            Option("cluster", "The live cluster of the current kubeconfig context (every namespace)"),
            Option("manifests", "Manifest files in Git (a directory): rewrite them"),
            Option("lab", "A throwaway lab, to rehearse (seeded with samples/quickstart)"),
        ],
        default="cluster",
    )
    if choice == "cluster":
        values.update(cluster=True, all_namespaces=True)
    elif choice == "lab":
        values.update(throwaway_lab=True, all_namespaces=True)
    else:
        path = prompts.text("Manifest directory", default=".")
        if not os.path.exists(path):
            raise InputError(f"{path}: no such file or directory.")
        values["manifests"] = (path,)


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Option values as JSON: tuples as lists, paths absolute (a resumed session may start elsewhere)."""
    result: dict[str, Any] = {}
    for name, value in values.items():
        if name == "manifests":
            value = [os.path.abspath(p) for p in value or ()]
        elif name in PATH_OPTIONS and value is not None:
            value = os.path.abspath(value)
        elif isinstance(value, tuple):
            value = list(value)
        result[name] = value
    return result


def _restored(values: dict[str, Any]) -> dict[str, Any]:
    """The JSON form back to what click passes (tuples, paths)."""
    result = dict(values)
    for name in LIST_OPTIONS:
        if name in result:
            result[name] = tuple(result[name] or ())
    if result.get("lab_dir") is not None:
        result["lab_dir"] = Path(result["lab_dir"])
    return result


def _resume_hint(state_file: Path) -> str:
    state = "" if state_file == DEFAULT_STATE else f" --state {state_file}"
    return f"Your answers are saved in {state_file}; continue with `wimigrate wizard --resume{state}`."

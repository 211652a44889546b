"""The questions the wizard asks, behind a small Protocol so steps can be tested with a scripted fake.

``QuestionaryPrompts`` asks on the terminal with questionary (imported on first use: ``--help`` stays
fast). Ctrl-C at any question raises ``KeyboardInterrupt`` (``unsafe_ask``), which the command turns
into exit code 130 and a note on how to resume.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Option:
    """One choice of a checkbox or select list."""

    value: str
    title: str
    checked: bool = False
    group: str | None = None
    """A heading shown above the first option of its group (checkbox lists: the namespace)."""


class Prompts(Protocol):
    def checkbox(self, message: str, options: list[Option]) -> list[str]:
        """The values ticked (at least one)."""
        ...

    def select(self, message: str, options: list[Option], default: str | None = None) -> str: ...

    def confirm(self, message: str, default: bool = False) -> bool: ...

    def text(self, message: str, default: str = "") -> str: ...


class QuestionaryPrompts:
    """The real terminal: questionary's prompts."""

    def checkbox(self, message: str, options: list[Option]) -> list[str]:
        import questionary

        choices: list[Any] = []
        group = None
        for option in options:
            if option.group is not None and option.group != group:
                choices.append(questionary.Separator(f"── {option.group}"))
                group = option.group
            choices.append(questionary.Choice(option.title, value=option.value, checked=option.checked))
        answer = questionary.checkbox(
            message, choices=choices, validate=lambda chosen: bool(chosen) or "Choose at least one (space ticks)."
        ).unsafe_ask()
        return list(answer)

    def select(self, message: str, options: list[Option], default: str | None = None) -> str:
        import questionary

        choices = [questionary.Choice(o.title, value=o.value) for o in options]
        return str(questionary.select(message, choices=choices, default=default).unsafe_ask())

    def confirm(self, message: str, default: bool = False) -> bool:
        import questionary

        return bool(questionary.confirm(message, default=default).unsafe_ask())

    def text(self, message: str, default: str = "") -> str:
        import questionary

        return str(questionary.text(message, default=default).unsafe_ask())

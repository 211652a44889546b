"""A scripted stand-in for the terminal: each question the wizard asks must be the next one in the script."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from migrator.cli.wizard.prompts import Option

INTERRUPT = object()
"""An answer that presses Ctrl-C: the question raises KeyboardInterrupt, as questionary's unsafe_ask does."""
ALL = object()
"""A checkbox answer: keep what is ticked (press Enter)."""
DEFAULT = object()
"""A select/confirm/text answer: press Enter on the default."""


@dataclass
class Asked:
    kind: str
    message: str
    options: list[Option] = field(default_factory=list)
    default: Any = None


class ScriptedPrompts:
    """Answers from a list of ``(kind, text the message contains, answer)``; anything else fails the test."""

    def __init__(self, *script: tuple[str, str, Any]) -> None:
        self.script = list(script)
        self.asked: list[Asked] = []

    def _next(self, asked: Asked) -> Any:
        self.asked.append(asked)
        assert self.script, f"unexpected {asked.kind} question: {asked.message!r}"
        kind, text, answer = self.script.pop(0)
        assert kind == asked.kind and text in asked.message, (
            f"expected {kind} {text!r}, got {asked.kind} {asked.message!r}"
        )
        if answer is INTERRUPT:
            raise KeyboardInterrupt
        if callable(answer) and not isinstance(answer, type):
            return answer(asked)
        return answer

    def checkbox(self, message: str, options: list[Option]) -> list[str]:
        answer = self._next(Asked("checkbox", message, options))
        if answer is ALL:
            return [o.value for o in options if o.checked]
        assert set(answer) <= {o.value for o in options}, (answer, options)
        return list(answer)

    def select(self, message: str, options: list[Option], default: str | None = None) -> str:
        answer = self._next(Asked("select", message, options, default))
        if answer is DEFAULT:
            return str(default)
        assert answer in {o.value for o in options}, (answer, [o.value for o in options])
        return str(answer)

    def confirm(self, message: str, default: bool = False) -> bool:
        answer = self._next(Asked("confirm", message, default=default))
        return default if answer is DEFAULT else bool(answer)

    def text(self, message: str, default: str = "") -> str:
        answer = self._next(Asked("text", message, default=default))
        return default if answer is DEFAULT else str(answer)

    @property
    def done(self) -> bool:
        return not self.script


def option_starting(prefix: str) -> Callable[[Asked], str]:
    """A select answer: the option whose value starts with ``prefix``."""

    def pick(asked: Asked) -> str:
        values = [o.value for o in asked.options if o.value.startswith(prefix)]
        assert len(values) == 1, (prefix, [o.value for o in asked.options])
        return values[0]

    return pick

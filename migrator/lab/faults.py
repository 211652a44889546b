"""Fault injection: seeded, reproducible latency, throttling, server errors, conflicts and
connection resets, per service, verb and resource, for the reliability tests of the live phases."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

ACTIONS = ("latency", "status", "reset")


class FaultSpecError(ValueError):
    """A fault description that cannot be understood."""


@dataclass(frozen=True)
class Fault:
    """One rule. ``service``/``verb``/``resource`` are globs; ``times`` caps how often it fires."""

    action: str
    service: str = "*"
    verb: str = "*"
    resource: str = "*"
    status: int = 500
    retry_after: float | None = None
    seconds: float = 0.0
    message: str = ""
    probability: float = 1.0
    times: int | None = None
    after: int = 0

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise FaultSpecError(f"unknown fault action {self.action!r}; use one of {', '.join(ACTIONS)}")
        if not 0.0 <= self.probability <= 1.0:
            raise FaultSpecError("probability must be between 0 and 1")

    def applies(self, service: str, verb: str, resource: str) -> bool:
        return (
            fnmatchcase(service, self.service)
            and fnmatchcase(verb.lower(), self.verb.lower())
            and fnmatchcase(resource.lower(), self.resource.lower())
        )


@dataclass
class _Rule:
    fault: Fault
    seen: int = 0
    fired: int = 0


@dataclass
class FaultInjector:
    """Decides, for each request, which fault (if any) it gets. Same seed, same requests: same faults."""

    seed: int = 0
    _rules: list[_Rule] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._rules.append(_Rule(fault))
        return fault

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def fired(self, fault: Fault) -> int:
        """How often a rule has fired: tests assert on it instead of guessing."""
        with self._lock:
            return sum(rule.fired for rule in self._rules if rule.fault is fault)

    def pick(self, service: str, verb: str, resource: str) -> Fault | None:
        with self._lock:
            for rule in self._rules:
                fault = rule.fault
                if not fault.applies(service, verb, resource):
                    continue
                rule.seen += 1
                if rule.seen <= fault.after or (fault.times is not None and rule.fired >= fault.times):
                    continue
                if fault.probability < 1.0 and self._random.random() >= fault.probability:
                    continue
                rule.fired += 1
                return fault
        return None


_NUMBERS = {"status": int, "retry_after": float, "seconds": float, "probability": float, "times": int, "after": int}


def parse_fault(text: str) -> Fault:
    """``SERVICE:VERB:RESOURCE:ACTION[,key=value...]``.

    For example ``arm:put:federatedIdentityCredentials:status=429,retry_after=2,times=3``.

    ACTION is ``latency=SECONDS``, ``status=CODE`` or ``reset``.
    """
    head, _, tail = text.partition(",")
    parts = head.split(":")
    if len(parts) != 4:
        raise FaultSpecError(f"fault {text!r}: expected SERVICE:VERB:RESOURCE:ACTION[,key=value...]")
    service, verb, resource, action = parts
    values: dict[str, object] = {"service": service or "*", "verb": verb or "*", "resource": resource or "*"}
    name, _, value = action.partition("=")
    if name == "latency":
        values.update(action="latency", seconds=value or "0")
    elif name == "status":
        values.update(action="status", status=value or "500")
    elif name == "reset":
        values["action"] = "reset"
    else:
        raise FaultSpecError(f"fault {text!r}: unknown action {name!r}; use latency=S, status=CODE or reset")
    for item in filter(None, tail.split(",")):
        key, _, value = item.partition("=")
        if key not in _NUMBERS and key != "message":
            raise FaultSpecError(f"fault {text!r}: unknown option {key!r}")
        values[key] = value
    try:
        typed = {k: (_NUMBERS[k](v) if k in _NUMBERS else v) for k, v in values.items()}
    except ValueError as exc:
        raise FaultSpecError(f"fault {text!r}: {exc}") from None
    return Fault(**typed)  # type: ignore[arg-type]

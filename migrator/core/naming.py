"""Names the plan gives to new ServiceAccounts and federated credentials.

Names must be valid for their API and stable across runs (the same inventory
gives the same names), so re-running a plan never creates duplicates.
"""

from __future__ import annotations

import hashlib
import re
import string

FIC_NAME_MIN, FIC_NAME_MAX = 3, 120
SA_NAME_MAX = 253
FIC_TOKENS = ("cluster", "namespace", "serviceAccount", "identity")
SA_TOKENS = ("identity", "workload", "namespace", "selector")

_FIC_BAD = re.compile(r"[^A-Za-z0-9_-]+")
_FIC_VALID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$")
_DNS_BAD = re.compile(r"[^a-z0-9.-]+")


class PatternError(ValueError):
    """A naming pattern that uses an unknown token."""


def short_hash(*parts: str, length: int = 8) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:length]


def check_pattern(pattern: str, allowed: tuple[str, ...]) -> None:
    for _, name, _, _ in string.Formatter().parse(pattern):
        if name is not None and name not in allowed:
            raise PatternError(
                f"unknown token {{{name}}} in pattern {pattern!r}; allowed: "
                + ", ".join("{" + t + "}" for t in allowed)
            )


def is_valid_fic_name(name: str) -> bool:
    return bool(_FIC_VALID.match(name))


def fic_name(pattern: str, **tokens: str) -> str:
    """A federated credential name: 3-120 of [A-Za-z0-9_-], starting alphanumeric."""
    check_pattern(pattern, FIC_TOKENS)
    raw = pattern.format(**{t: tokens.get(t, "") for t in FIC_TOKENS})
    name = _FIC_BAD.sub("-", raw).strip("-_")
    name = re.sub(r"-{2,}", "-", name)
    if len(name) > FIC_NAME_MAX:
        name = name[: FIC_NAME_MAX - 9].rstrip("-_") + "-" + short_hash(raw)
    if len(name) < FIC_NAME_MIN:
        name = name + "-fic" if name else "fic-" + short_hash(raw, length=4)
    return name


def dns_subdomain(raw: str, max_len: int = SA_NAME_MAX) -> str:
    """A Kubernetes object name (RFC 1123 subdomain) derived from ``raw``."""
    name = _DNS_BAD.sub("-", raw.lower()).strip("-.")
    name = re.sub(r"-{2,}", "-", name)
    if len(name) > max_len:
        name = name[: max_len - 9].rstrip("-.") + "-" + short_hash(raw)
    return name or "workload-identity-" + short_hash(raw)


def service_account_name(pattern: str, **tokens: str) -> str:
    check_pattern(pattern, SA_TOKENS)
    return dns_subdomain(pattern.format(**{t: tokens.get(t, "") for t in SA_TOKENS}))


def unique(name: str, taken: set[str], salt: str) -> str:
    """``name``, or a hashed variant when another owner already uses it."""
    if name not in taken:
        return name
    return f"{name[: FIC_NAME_MAX - 9]}-{short_hash(name, salt)}"

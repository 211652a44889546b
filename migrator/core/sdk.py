"""The Azure Identity SDK versions that support workload identity natively (domain.md section 5), as data.

An application below its language's minimum still asks IMDS for tokens and needs the azwi-proxy
sidecar; at or above it, ``DefaultAzureCredential``/``WorkloadIdentityCredential`` read the
webhook's environment and the sidecar can be retired. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class SdkMinimum:
    language: str
    package: str
    minimum: str


SDK_MINIMUMS = [
    SdkMinimum(".NET", "Azure.Identity", "1.9.0"),
    SdkMinimum("C++", "azure-identity-cpp", "1.6.0"),
    SdkMinimum("Go", "github.com/Azure/azure-sdk-for-go/sdk/azidentity", "1.3.0"),
    SdkMinimum("Java", "com.azure:azure-identity", "1.9.0"),
    SdkMinimum("JavaScript", "@azure/identity", "3.2.0"),
    SdkMinimum("Python", "azure-identity", "1.13.0"),
]

ALIASES = {
    ".net": ".NET",
    "dotnet": ".NET",
    "net": ".NET",
    "csharp": ".NET",
    "c#": ".NET",
    "nuget": ".NET",
    "c++": "C++",
    "cpp": "C++",
    "cxx": "C++",
    "go": "Go",
    "golang": "Go",
    "java": "Java",
    "maven": "Java",
    "javascript": "JavaScript",
    "js": "JavaScript",
    "typescript": "JavaScript",
    "ts": "JavaScript",
    "node": "JavaScript",
    "nodejs": "JavaScript",
    "npm": "JavaScript",
    "python": "Python",
    "py": "Python",
    "pypi": "Python",
}

_VERSION = re.compile(
    r"""^[vV]?(?P<release>\d+(?:\.\d+){0,3})
    (?:
        [-.]?(?P<pre>(?:a|b|c|rc|alpha|beta|pre|preview|dev)(?:[.-]?[0-9A-Za-z]+)*)
      | -(?P<tag>[0-9A-Za-z][0-9A-Za-z.-]*)
      | [.-]?(?P<post>post|r)\.?(?P<postn>\d*)
    )?
    (?:\+[0-9A-Za-z.-]+)?$""",
    re.VERBOSE | re.IGNORECASE,
)
PRE, RELEASE, POST = 0, 1, 2


def minimum_for(language: str) -> SdkMinimum | None:
    """The entry for a language (``python``, ``.NET``, ``golang``...) or a package name; None if unknown."""
    key = language.strip().lower()
    name = ALIASES.get(key)
    for entry in SDK_MINIMUMS:
        if entry.language == name or entry.language.lower() == key or entry.package.lower() == key:
            return entry
    return None


def parse_version(text: str) -> tuple | None:
    """A tuple that orders versions as the package managers do; a pre-release sorts below its release.

    ``1.13.0``, ``v1.3.0`` (Go), ``1.9.0-beta.1`` (semver), ``1.13.0b1`` (PEP 440), ``3.2`` (= 3.2.0),
    ``1.9.0.0`` (NuGet); build metadata (``+abc``) is ignored. None for anything else (ranges included).
    """
    if not isinstance(text, str):
        return None
    match = _VERSION.match(text.strip())
    if match is None:
        return None
    numbers = [int(n) for n in match.group("release").split(".")]
    release = tuple(numbers + [0] * (4 - len(numbers)))
    pre = match.group("pre") or match.group("tag")
    if pre is not None:
        return (*release, PRE, _identifiers(pre))
    if match.group("post") is not None:
        return (*release, POST, ((0, int(match.group("postn") or 0), ""),))
    return (*release, RELEASE, ())


def _identifiers(pre: str) -> tuple:
    """Semver precedence: numeric identifiers sort numerically and below alphanumeric ones."""
    parts = [p for p in re.split(r"[.-]|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])", pre) if p]
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p.lower()) for p in parts)


def supports_workload_identity(language: str, version: str) -> bool | None:
    """Whether this SDK version reads the webhook's environment itself; None: unknown language or version."""
    entry = minimum_for(language)
    have = parse_version(version)
    if entry is None or have is None:
        return None
    return have >= parse_version(entry.minimum)  # type: ignore[operator]


def retirement_note() -> str:
    """One line per language: the SDK an application needs before its proxy sidecar can go."""
    width = max(len(e.language) for e in SDK_MINIMUMS)
    return "\n".join(f"  {e.language:<{width}}  {e.package} >= {e.minimum}" for e in SDK_MINIMUMS)

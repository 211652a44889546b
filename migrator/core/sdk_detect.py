"""Which Azure Identity SDK an application declares, read from its dependency files (pure: text in, data out).

The wizard proposes the proxy sidecar for a workload whose application is on an SDK older than the first
that reads the workload identity webhook's environment (``sdk.SDK_MINIMUMS``), and label mode when every
declared SDK is recent enough.

Which version a declaration stands for: a pin or a lock file states the version the image was built with,
so it is used as written. A range is judged by the LOWEST version it admits: an image built from ``^3.1.0``
may well hold 3.1.0, and while a sidecar that turns out unnecessary costs a container, label mode on an SDK
that still asks IMDS breaks authentication. A range with no lower bound (``*``, ``latest``, ``<2``) is
unknown, unless its upper bound already excludes the minimum (``<1.13``). A union (``^2 || ^3.4``) is
judged by its lowest alternative.

Only the identity packages of ``SDK_MINIMUMS`` are assessed; an application that declares MSAL and no
identity package is noted as unknown (MSAL apps read the token file themselves, whatever their version).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any
from xml.parsers import expat

from migrator.core.sdk import SdkMinimum, minimum_for, parse_version

tomllib: ModuleType | None
try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the small reader below covers the forms dependency files use
    tomllib = None


@dataclass(frozen=True)
class Assessment:
    """One declaration of an identity SDK (or of MSAL alone) and what it means for workload identity."""

    language: str
    package: str
    declared: str
    """The constraint as written (``==1.12.0``, ``^3.1.0``, ``${identity.version}``); empty when none."""
    version: str | None
    """The version judged: the pinned or locked one, else the lowest the range admits; None when unknown."""
    supports: bool | None
    """Whether that version reads the webhook's environment itself; None when the version is unknown."""
    file: str
    line: int
    """1-based; 0 when the file as a whole could not be read."""
    reason: str
    """A predicate that follows ``package declared (file:line)``: ``is older than 1.13.0, ...``."""

    def describe(self) -> str:
        """One sentence for the wizard: ``azure-identity 1.10.0 (requirements.txt:3) is older than ...``."""
        if not self.line:
            return f"{self.file} ({self.language}) {self.reason}"
        shown = self.declared or "(no version)"
        if self.version and _bare(self.declared) == _bare(self.version):
            shown = self.version
        return f"{self.package} {shown} ({self.file}:{self.line}) {self.reason}"


def _bare(text: str) -> str:
    return text.strip().lstrip("=vV[ ").rstrip("] ")


# --- what the files are -------------------------------------------------------------------------------------

LANGUAGE_OF_FORMAT = {
    "requirements": "Python",
    "pyproject": "Python",
    "setup.cfg": "Python",
    "pipfile": "Python",
    "package.json": "JavaScript",
    "go.mod": "Go",
    "pom": "Java",
    "gradle": "Java",
    "catalog": "Java",
    "msbuild": ".NET",
    "packages.config": ".NET",
}

CONTEXT_FILES = ("package-lock.json", "npm-shrinkwrap.json", "gradle.properties", "Directory.Packages.props")
"""Files read only to complete another file's declaration: a lock, Gradle properties, NuGet central versions."""

_GROUPING_DIRS = {"requirements": "requirements", "gradle": "catalog"}


def dependency_format(path: str) -> str | None:
    """The format of a dependency file this module reads, from its path; None for any other file."""
    name = posixpath.basename(path.replace("\\", "/"))
    parent = posixpath.basename(posixpath.dirname(path.replace("\\", "/"))).lower()
    lower = name.lower()
    if lower.endswith(".txt") and (lower.startswith("requirements") or parent == "requirements"):
        return "requirements"
    if lower.endswith(".versions.toml") and parent == "gradle":
        return "catalog"
    if lower.endswith((".csproj", ".fsproj", ".vbproj")):
        return "msbuild"
    return {
        "pyproject.toml": "pyproject",
        "setup.cfg": "setup.cfg",
        "pipfile": "pipfile",
        "package.json": "package.json",
        "go.mod": "go.mod",
        "pom.xml": "pom",
        "build.gradle": "gradle",
        "build.gradle.kts": "gradle",
        "packages.config": "packages.config",
    }.get(lower)


def application_of(path: str) -> str:
    """The application directory a dependency file belongs to (posix, relative; ``.`` at the top).

    ``requirements/base.txt`` and ``gradle/libs.versions.toml`` belong to the directory above their folder.
    """
    path = path.replace("\\", "/")
    directory = posixpath.dirname(path)
    grouped = _GROUPING_DIRS.get(posixpath.basename(directory).lower())
    if grouped is not None and grouped == dependency_format(path):
        directory = posixpath.dirname(directory)
    return directory or "."


def not_read(path: str, reason: str) -> Assessment:
    """A dependency file that could not be read (unreadable, too large, a link out of the tree): unknown."""
    language = LANGUAGE_OF_FORMAT.get(dependency_format(path) or "", "")
    entry = minimum_for(language)
    return Assessment(language, entry.package if entry else "", "", None, None, path, 0, reason)


# --- the packages ---------------------------------------------------------------------------------------------

_MSAL = {
    "Python": "msal",
    "JavaScript": "@azure/msal-node",
    "Go": "github.com/AzureAD/microsoft-authentication-library-for-go",
    "Java": "com.microsoft.azure:msal4j",
    ".NET": "Microsoft.Identity.Client",
}
_NEEDLE = re.compile(
    r"azure[-_./]?identity|azidentity|msal|microsoft\.identity\.client|microsoft-authentication-library", re.IGNORECASE
)


def _identity(language: str) -> SdkMinimum:
    entry = minimum_for(language)
    assert entry is not None, language
    return entry


def _is_identity(package: str) -> bool:
    entry = minimum_for(package)
    return entry is not None and entry.package == package


def settle(assessments: Iterable[Assessment]) -> list[Assessment]:
    """An application's assessments, MSAL notes dropped when it also declares an identity package."""
    items = list(assessments)
    if any(_is_identity(a.package) for a in items):
        return [a for a in items if _is_identity(a.package) or a.line == 0]
    return items


# --- constraints as ranges ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Bound:
    version: str
    inclusive: bool = True


@dataclass(frozen=True)
class _Range:
    lower: _Bound | None = None
    upper: _Bound | None = None
    exact: bool = False


Ranges = list[_Range] | str
"""One range per alternative of a union, or why the declaration says nothing about the version."""

_OPS = ("===", "~=", "==", "!=", ">=", "<=", "~>", "^", "~", ">", "<", "=")
_OP_SPACE = re.compile(r"(===|~=|==|!=|>=|<=|~>|\^|~|>|<|=)\s+")
_WILDCARDS = ("x", "X", "*", "+")


def _fill(text: str) -> tuple[str | None, bool]:
    """``3.1.x`` -> (``3.1.0``, wildcard); ``1.9.+`` -> (``1.9.0``, wildcard); ``*`` -> (None, wildcard)."""
    text = text.strip()
    if text.endswith("-*"):  # NuGet: any pre-release of this version, the lowest below the release
        return text[:-2] + "-0", True
    if text.endswith("+") and not text.endswith(".+") and text != "+":  # Gradle ``1.9+``
        return text[:-1], True
    numbers: list[str] = []
    for part in text.split("."):
        if part in _WILDCARDS:
            if not numbers:
                return None, True
            return ".".join(numbers + ["0"] * max(0, 3 - len(numbers))), True
        numbers.append(part)
    return text, False


def _comparator(text: str, *, partial_is_range: bool = False) -> _Range | str:
    """One clause (``>=1.10``, ``^3.1.0``, ``==1.12.*``, ``!=1.14``) as a range, or why it is not one."""
    op = next((o for o in _OPS if text.startswith(o)), "")
    rest = text[len(op) :].strip()
    if op == "!=" or not rest:
        return _Range()
    version, wild = _fill(rest)
    if version is None:
        return _Range()
    if parse_version(version) is None:
        return f"declares {text!r}, which is not a version this tool can compare"
    if op in ("<", "<="):
        return _Range(upper=_Bound(version, op == "<=" or wild))
    if op == ">":
        return _Range(lower=_Bound(version, inclusive=False))
    numbers = version.split("-")[0].split(".")
    partial = partial_is_range and len(numbers) < 3
    if partial:  # npm: ``3.1`` is the range 3.1.x
        version = ".".join(numbers + ["0"] * (3 - len(numbers))) + version[len(version.split("-")[0]) :]
    exact = op in ("", "=", "==", "===") and not wild and not partial
    return _Range(_Bound(version), _Bound(version) if exact else None, exact)


def _key(bound: _Bound) -> tuple:
    return parse_version(bound.version) or ()


def _intersect(clauses: list[_Range]) -> _Range:
    for clause in clauses:
        if clause.exact:
            return clause
    lowers = [c.lower for c in clauses if c.lower]
    uppers = [c.upper for c in clauses if c.upper]
    lower = max(lowers, key=lambda b: (_key(b), not b.inclusive), default=None)
    upper = min(uppers, key=lambda b: (_key(b), b.inclusive), default=None)
    return _Range(lower, upper)


def _clauses(parts: Iterable[str], *, partial_is_range: bool = False) -> _Range | str:
    ranges: list[_Range] = []
    for part in parts:
        if part.strip():
            clause = _comparator(part.strip(), partial_is_range=partial_is_range)
            if isinstance(clause, str):
                return clause
            ranges.append(clause)
    return _intersect(ranges)


def pep440(spec: str) -> Ranges:
    """A PEP 440 specifier set (``>=1.10,<2``, ``~=1.12.0``, ``==1.12.*``); empty: no version."""
    one = _clauses(_OP_SPACE.sub(r"\1", spec.strip().strip("()")).split(","))
    return one if isinstance(one, str) else [one]


def poetry(spec: str) -> Ranges:
    """A Poetry constraint (``^1.12``, ``~1.12.0``, ``1.12.0`` exact, ``>=1.10,<2``, ``||`` unions)."""
    spec = spec.strip()
    if spec in ("", "*"):
        return [_Range()]
    alternatives: list[_Range] = []
    for alternative in re.split(r"\|\|?", spec):
        one = _clauses(re.split(r"[,\s]+", _OP_SPACE.sub(r"\1", alternative.strip())))
        if isinstance(one, str):
            return one
        alternatives.append(one)
    return alternatives


_NPM_NOT_REGISTRY = re.compile(
    r"^(?:workspace:|file:|link:|portal:|catalog:|git[+:]|github:|gitlab:|bitbucket:|https?:)"
)


def npm(spec: str) -> Ranges:
    """An npm range (``^3.1.0``, ``~3.2``, ``>=3.2.0 <4``, ``3.x``, ``1.2.3 - 2.3.4``, ``||``)."""
    spec = spec.strip()
    if spec.startswith("npm:"):  # an alias: npm:@azure/identity@^3.1.0
        spec = spec[4:].rpartition("@")[2] if "@" in spec[5:] else ""
    if _NPM_NOT_REGISTRY.match(spec) or ("/" in spec and not spec.startswith(("<", ">", "=", "^", "~"))):
        return f"comes from {spec!r}, not the registry: the version cannot be read from the declaration"
    if spec in ("", "*", "x", "X"):
        return [_Range()]
    if re.fullmatch(r"[A-Za-z][\w.-]*", spec) and spec not in _WILDCARDS:
        return f"follows the dist-tag {spec!r}: the version depends on when the image was built"
    alternatives: list[_Range] = []
    for alternative in spec.split("||"):
        hyphen = re.fullmatch(r"\s*(\S+)\s+-\s+(\S+)\s*", alternative)
        if hyphen:
            one = _clauses([">=" + hyphen[1], "<=" + hyphen[2]])
        else:
            one = _clauses(_OP_SPACE.sub(r"\1", alternative.strip()).split(), partial_is_range=True)
        if isinstance(one, str):
            return one
        alternatives.append(one)
    return alternatives


_INTERVAL = re.compile(r"([\[(])([^\])]*)([\])])")


def interval(spec: str) -> Ranges:
    """A Maven, Gradle or NuGet version: ``1.9.0`` (as written), ``[1.9,2.0)``, ``1.9.+``, ``1.*``."""
    spec = spec.strip()
    if spec in ("", "+", "*"):
        return [_Range()]
    if spec.lower() in ("latest", "release", "latest.release", "latest.integration"):
        return f"is the dynamic version {spec!r}: the version depends on when the image was built"
    if not spec.startswith(("[", "(")):
        one = _comparator(spec)
        return one if isinstance(one, str) else [one]
    alternatives: list[_Range] = []
    for opening, body, closing in _INTERVAL.findall(spec):
        low, comma, high = (p.strip() for p in body.partition(","))
        if not comma:
            one = _comparator(low)
        else:
            parts = []
            if low:
                parts.append((">=" if opening == "[" else ">") + low)
            if high:
                parts.append(("<=" if closing == "]" else "<") + high)
            one = _clauses(parts)
        if isinstance(one, str):
            return one
        alternatives.append(one)
    return alternatives or f"declares {spec!r}, which is not a version range this tool can read"


def go_version(version: str) -> Ranges:
    """A go.mod version is exact (pseudo-versions included), except a pseudo-version of no tag at all."""
    if re.fullmatch(r"v0\.0\.0-\d{14}-[0-9a-f]{12}", version):
        return f"is the pseudo-version {version} of an untagged commit: its release cannot be told"
    one = _comparator(version)
    return one if isinstance(one, str) else [one]


# --- judging --------------------------------------------------------------------------------------------------


def _judge_range(entry: SdkMinimum, r: _Range) -> tuple[str | None, bool | None, str]:
    minimum = parse_version(entry.minimum)
    first = f"{entry.minimum}, the first version with workload identity"
    if r.lower is not None:
        v = r.lower.version
        ok = _key(r.lower) >= minimum  # type: ignore[operator]
        if r.exact:
            return v, ok, f"is at or above {first}" if ok else f"is older than {first}"
        if not r.lower.inclusive:
            if ok:
                return v, True, f"admits only versions above {v}, at or above {first}"
            return v, False, f"admits versions just above {v}, older than {first}"
        if ok:
            return v, True, f"admits {v} at the lowest, at or above {first}"
        return v, False, f"admits {v}, older than {first}"
    if r.upper is not None:
        up = _key(r.upper)
        if up < minimum or (up == minimum and not r.upper.inclusive):  # type: ignore[operator]
            return None, False, f"admits only versions below {first}"
        return None, None, "has no lower bound: the version depends on when the image was built"
    return None, None, "sets no version: the version depends on when the image was built; pin it or keep a lock file"


def judge(
    entry: SdkMinimum, ranges: Ranges, locked: tuple[str, str] | None = None
) -> tuple[str | None, bool | None, str]:
    """(version judged, supports, reason) for a declaration; ``locked`` (version, where) wins over the range."""
    if locked is not None:
        version, where = locked
        have = parse_version(version)
        if have is None:
            return None, None, f"is locked at {version!r} ({where}), which is not a version this tool can compare"
        ok = have >= parse_version(entry.minimum)  # type: ignore[operator]
        first = f"{entry.minimum}, the first version with workload identity"
        return (
            version,
            ok,
            f"is locked at {version} ({where}), " + (f"at or above {first}" if ok else f"older than {first}"),
        )
    if isinstance(ranges, str):
        return None, None, ranges
    verdicts = [_judge_range(entry, r) for r in ranges] or [(None, None, "sets no version")]
    below = [v for v in verdicts if v[1] is False]
    if below:
        return min(below, key=lambda v: parse_version(v[0] or "0") or ())
    unknown = [v for v in verdicts if v[1] is None]
    if unknown:
        return unknown[0]
    return min(verdicts, key=lambda v: parse_version(v[0] or "0") or ())


# --- declarations ---------------------------------------------------------------------------------------------


@dataclass
class _Found:
    package: str
    declared: str
    line: int
    ranges: Ranges
    locked: tuple[str, str] | None = None
    notes: list[str] = field(default_factory=list)


def _assessment(language: str, path: str, found: _Found) -> Assessment:
    note = f" ({'; '.join(found.notes)})" if found.notes else ""
    if not _is_identity(found.package):
        return Assessment(
            language,
            found.package,
            found.declared,
            None,
            None,
            path,
            found.line,
            "is MSAL without Azure Identity: an MSAL app must read the projected token file itself "
            "whatever its version; check the code" + note,
        )
    version, supports, reason = judge(_identity(language), found.ranges, found.locked)
    return Assessment(language, found.package, found.declared, version, supports, path, found.line, reason + note)


def _line_at(text: str, index: int) -> int:
    return text.count("\n", 0, max(index, 0)) + 1


def _first_mention(text: str, pattern: str) -> int:
    match = re.search(pattern, text, re.IGNORECASE)
    return _line_at(text, match.start()) if match else 1


# Python ---------------------------------------------------------------------------------------------------------

_PY_NAME = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*(?P<rest>.*)$", re.S
)
_PY_PACKAGES = {"azure-identity": "azure-identity", "msal": "msal"}


def _py_normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _py_requirement(requirement: str) -> tuple[str, str, Ranges] | None:
    """(package, declared, ranges) of a PEP 508 requirement on azure-identity or msal; None for others."""
    match = _PY_NAME.match(requirement)
    if not match or _py_normalise(match["name"]) not in _PY_PACKAGES:
        return None
    package = _PY_PACKAGES[_py_normalise(match["name"])]
    rest = match["rest"].strip()
    if rest.startswith("@"):
        url = re.split(r"\s+;", rest[1:].strip())[0]
        return package, rest, f"is installed from {url}: the version cannot be read from the declaration"
    declared = rest.split(";", 1)[0].strip()  # environment markers do not change the version
    return package, declared, pep440(declared)


def _requirements(text: str) -> list[_Found]:
    found: list[_Found] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        start, line = index + 1, lines[index]
        while line.endswith("\\") and index + 1 < len(lines):
            index += 1
            line = line[:-1] + " " + lines[index]
        index += 1
        if re.search(r"[#&]egg=(azure[-_.]identity)\b", line, re.IGNORECASE):
            reason = "is installed from a VCS or URL: the version cannot be read from the declaration"
            found.append(_Found("azure-identity", line.strip(), start, reason))
            continue
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if not line or line.startswith("-"):  # -r, -c, -e, --index-url ...: options, not requirements
            continue
        line = re.split(r"\s+--?[A-Za-z]", line)[0]  # per-requirement options (--hash=...)
        parsed = _py_requirement(line)
        if parsed:
            found.append(_Found(parsed[0], parsed[1], start, parsed[2]))
    return found


def _setup_cfg(text: str) -> list[_Found]:
    """``install_requires`` and ``extras_require`` values: one PEP 508 requirement per line."""
    found: list[_Found] = []
    section = key = ""
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if stripped.startswith("["):
            section, key = stripped.strip("[]").strip().lower(), ""
            continue
        candidate = stripped  # an indented line continues the value of ``key``
        if raw[:1] not in " \t":
            match = re.match(r"^([\w.-]+)\s*[=:]\s*(.*)$", stripped)
            key, candidate = (match[1].lower(), match[2]) if match else ("", "")
        if section == "options.extras_require" or (section == "options" and key == "install_requires"):
            parsed = _py_requirement(candidate)
            if parsed:
                found.append(_Found(parsed[0], parsed[1], number, parsed[2]))
    return found


def _toml_line(text: str, table: str, key_pattern: str) -> int:
    """The line of ``key = ...`` in ``[table]`` (or of ``[table.key]``); the first mention otherwise."""
    current = ""
    key = re.compile(rf"""^\s*["']?(?:{key_pattern})["']?\s*=""", re.IGNORECASE)
    header = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
    for number, line in enumerate(text.splitlines(), 1):
        match = header.match(line)
        if match:
            current = re.sub(r"""\s*\.\s*|["']""", lambda m: "." if "." in m[0] else "", match[1])
            if re.fullmatch(rf"{re.escape(table)}\.(?:{key_pattern})", current, re.IGNORECASE):
                return number
            continue
        if current == table and key.match(line):
            return number
    return _first_mention(text, key_pattern)


def _string_line(text: str, value: str, taken: set[int]) -> int:
    """The line of a quoted string value (an array entry), skipping lines already attributed."""
    for quote in ('"', "'"):
        start = 0
        while (index := text.find(quote + value + quote, start)) >= 0:
            line = _line_at(text, index)
            if line not in taken:
                taken.add(line)
                return line
            start = index + 1
    return 0


_PY_KEY = r"azure[-_.]+identity|msal"


def _pyproject(text: str) -> list[_Found]:
    data = read_toml(text)
    found: list[_Found] = []
    taken: set[int] = set()
    project = _table(data, "project")
    lists: list[Any] = [project.get("dependencies")]
    lists += list(_table(project, "optional-dependencies").values())
    lists += list(_table(data, "dependency-groups").values())
    for requirements in lists:
        for requirement in requirements if isinstance(requirements, list) else []:
            parsed = _py_requirement(requirement) if isinstance(requirement, str) else None
            if parsed:
                line = _string_line(text, requirement, taken) or _first_mention(text, _PY_KEY)
                found.append(_Found(parsed[0], parsed[1], line, parsed[2]))
    tool_poetry = _table(_table(data, "tool"), "poetry")
    tables = {"tool.poetry.dependencies": tool_poetry.get("dependencies")}
    tables["tool.poetry.dev-dependencies"] = tool_poetry.get("dev-dependencies")
    for group, body in _table(tool_poetry, "group").items():
        tables[f"tool.poetry.group.{group}.dependencies"] = body.get("dependencies") if isinstance(body, dict) else None
    for table, deps in tables.items():
        found += _keyed_python(text, table, deps, poetry)
    return found


def _pipfile(text: str) -> list[_Found]:
    data = read_toml(text)
    return _keyed_python(text, "packages", data.get("packages"), pep440) + _keyed_python(
        text, "dev-packages", data.get("dev-packages"), pep440
    )


def _keyed_python(text: str, table: str, deps: Any, grammar: Any) -> list[_Found]:
    """``name = "constraint"`` or ``name = { version = ..., git = ... }`` entries (Poetry, Pipfile)."""
    found: list[_Found] = []
    for name, value in deps.items() if isinstance(deps, dict) else []:
        package = _PY_PACKAGES.get(_py_normalise(str(name)))
        if package is None:
            continue
        line = _toml_line(text, table, re.escape(str(name)))
        for item in value if isinstance(value, list) else [value]:
            found.append(_keyed_entry(package, item, line, grammar))
    return found


def _keyed_entry(package: str, value: Any, line: int, grammar: Any) -> _Found:
    if isinstance(value, str):
        return _Found(package, value, line, grammar(value))
    if isinstance(value, dict):
        if isinstance(value.get("version"), str):
            return _Found(package, value["version"], line, grammar(value["version"]))
        for source in ("git", "path", "url", "file"):
            if source in value:
                where = f"{source} {value[source]}"
                return _Found(package, where, line, f"comes from {where}: the version cannot be read from it")
    return _Found(package, "", line, [_Range()])


# JavaScript -----------------------------------------------------------------------------------------------------

_JS_SECTIONS = ("dependencies", "devDependencies", "optionalDependencies")
_JS_LOCKS = ("package-lock.json", "npm-shrinkwrap.json")


def _json_key_line(text: str, section: str, key: str) -> int:
    start = re.search(rf'"{re.escape(section)}"\s*:\s*\{{', text)
    match = re.compile(rf'"{re.escape(key)}"\s*:').search(text, start.end() if start else 0)
    return _line_at(text, match.start()) if match else _first_mention(text, re.escape(f'"{key}"'))


def _package_json(text: str, context: Mapping[str, str]) -> list[_Found]:
    data = json.loads(text)
    found: list[_Found] = []
    lock = _npm_lock(context)
    for section in _JS_SECTIONS:
        deps = data.get(section) if isinstance(data, dict) else None
        for package in ("@azure/identity", _MSAL["JavaScript"]):
            spec = deps.get(package) if isinstance(deps, dict) else None
            if not isinstance(spec, str):
                continue
            item = _Found(package, spec, _json_key_line(text, section, package), npm(spec))
            if section != "dependencies":
                item.notes.append(f"in {section}")
            if package in lock:
                item.locked = lock[package]
            found.append(item)
    return found


def _npm_lock(context: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """Package -> (resolved version, where) from a package-lock.json or npm-shrinkwrap.json beside it."""
    for path, text in context.items():
        if posixpath.basename(path.replace("\\", "/")) not in _JS_LOCKS:
            continue
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            continue
        if not isinstance(data, dict):
            continue
        result: dict[str, tuple[str, str]] = {}
        for package in ("@azure/identity", _MSAL["JavaScript"]):
            version = None
            packages, dependencies = data.get("packages"), data.get("dependencies")
            key = f"node_modules/{package}"
            if isinstance(packages, dict) and isinstance(packages.get(key), dict):
                version = packages[key].get("version")  # lockfileVersion 2 and 3
            elif isinstance(dependencies, dict) and isinstance(dependencies.get(package), dict):
                key, version = package, dependencies[package].get("version")  # lockfileVersion 1
            if isinstance(version, str):
                entry = re.search(rf'"{re.escape(key)}"\s*:\s*\{{', text)
                line = _line_at(text, text.find('"version"', entry.end())) if entry else 1
                result[package] = (version, f"{path}:{line}")
        return result
    return {}


# Go -------------------------------------------------------------------------------------------------------------


def _go_mod(text: str) -> list[_Found]:
    found: dict[str, _Found] = {}
    replaces: list[tuple[str, str | None, str, str | None, int]] = []
    block: str | None = None
    wanted = (_identity("Go").package, _MSAL["Go"])
    for number, raw in enumerate(text.splitlines(), 1):
        code, _, comment = raw.partition("//")
        code = code.strip()
        if block:
            if code.startswith(")"):
                block = None
                continue
            entry = code
            kind = block
        else:
            opening = re.match(r"^(require|replace|exclude|retract)\s*\(\s*$", code)
            if opening:
                block = opening[1]
                continue
            single = re.match(r"^(require|replace)\s+(.+)$", code)
            if not single:
                continue
            kind, entry = single[1], single[2]
        parts = [p.strip('"') for p in entry.split()]
        if kind == "require" and len(parts) >= 2 and parts[0] in wanted:
            item = _Found(parts[0], parts[1], number, go_version(parts[1]))
            if "indirect" in comment:
                item.notes.append("indirect: required by another module")
            found[parts[0]] = item
        elif kind == "replace" and "=>" in parts:
            arrow = parts.index("=>")
            old, new = parts[:arrow], parts[arrow + 1 :]
            if old and old[0] in wanted and new:
                replaces.append(
                    (old[0], old[1] if len(old) > 1 else None, new[0], new[1] if len(new) > 1 else None, number)
                )
    for package, old_version, new_path, new_version, number in replaces:
        item = found.get(package)
        if item is None or (old_version and old_version != item.declared):
            continue
        if new_path == package and new_version:
            item.locked = (new_version, f"replaced in go.mod:{number}")
        elif new_version:
            item.ranges, item.locked = f"is replaced by the fork {new_path} {new_version} (go.mod:{number})", None
        else:
            item.ranges, item.locked = f"is replaced by the directory {new_path} (go.mod:{number})", None
    return list(found.values())


# XML (Maven, MSBuild) -------------------------------------------------------------------------------------------


class _NotRead(Exception):
    """A dependency file that mentions an identity package but cannot be parsed; the message says why."""


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    """Attribute names lower-cased: MSBuild reads ``Version`` and ``version`` alike."""
    line: int
    children: list[_Node] = field(default_factory=list)
    text: str = ""

    def child(self, tag: str) -> _Node | None:
        return next((c for c in self.children if c.tag.lower() == tag.lower()), None)

    def children_named(self, tag: str) -> list[_Node]:
        return [c for c in self.children if c.tag.lower() == tag.lower()]

    def value(self, tag: str) -> str | None:
        node = self.child(tag)
        return node.text if node is not None else None

    def walk(self) -> Iterable[_Node]:
        yield self
        for c in self.children:
            yield from c.walk()


_EMPTY = _Node("", {}, 0)


def _xml(text: str) -> _Node:
    """The root element, each element with its line (ElementTree keeps none); entity declarations refused."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    top = _Node("", {}, 0)
    stack = [top]

    def start(name: str, attrs: dict[str, str]) -> None:
        node = _Node(name.rpartition(":")[2], {k.lower(): v for k, v in attrs.items()}, parser.CurrentLineNumber)
        stack[-1].children.append(node)
        stack.append(node)

    def end(_name: str) -> None:
        node = stack.pop()
        node.text = node.text.strip()

    def data(chunk: str) -> None:
        stack[-1].text += chunk

    def entity(*_args: Any) -> None:
        raise _NotRead("declares XML entities, which this tool does not expand")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    parser.EntityDeclHandler = entity
    try:
        parser.Parse(text.lstrip("\ufeff"), True)
    except expat.ExpatError as exc:
        raise _NotRead(f"is not well-formed XML (line {exc.lineno}: {expat.ErrorString(exc.code)})") from None
    if not top.children:
        raise _NotRead("has no XML element")
    return top.children[0]


_MAVEN_PROPERTY = re.compile(r"\$\{([^}]+)\}")
_MSBUILD_PROPERTY = re.compile(r"\$\(\s*([^)\s]+)\s*\)")

Properties = Mapping[str, tuple[str, str]]
"""Property name -> (value, where it is set, e.g. ``line 14`` or ``gradle.properties:3``)."""


def _version(declared: str, properties: Properties, pattern: re.Pattern[str], grammar: Any) -> tuple[Ranges, str]:
    """A declared version with its property references resolved: (ranges, a note on what they resolved to)."""
    value, used = declared, []
    for _ in range(10):
        match = pattern.search(value)
        if not match:
            break
        if match[1] not in properties:
            return (
                f"uses {match[0]}, which is not set in this file (a parent, an imported file or the command line "
                "may set it): the version is unknown"
            ), ""
        resolved, where = properties[match[1]]
        used.append(f"{match[0]} = {resolved}" + (f", {where}" if where else ""))
        value = value.replace(match[0], resolved)
    else:
        return f"uses {declared!r}, whose properties refer to each other in a loop", ""
    return grammar(value), "; ".join(used)


# Java -----------------------------------------------------------------------------------------------------------

_JAVA_PACKAGES = {
    ("com.azure", "azure-identity"): "com.azure:azure-identity",
    ("com.microsoft.azure", "msal4j"): _MSAL["Java"],
}


def _no_java_version(boms: list[str], parent: str | None, tool: str = "gradle dependencies") -> str:
    if boms:
        return f"has no version: the BOM {boms[0]} manages it ({tool} shows which)"
    if parent:
        return f"has no version: the parent {parent} manages it ({tool} shows which)"
    return "has no version: a BOM, a platform or a constraint elsewhere manages it"


def _pom(text: str, _context: Mapping[str, str]) -> list[_Found]:
    root = _xml(text)
    properties: dict[str, tuple[str, str]] = {
        node.tag: (node.text, f"line {node.line}") for node in (root.child("properties") or _EMPTY).children
    }
    parent = root.child("parent")
    own_version = root.value("version") or (parent.value("version") if parent is not None else None)
    if own_version:
        properties.setdefault("project.version", (own_version, ""))
    management = (root.child("dependencyManagement") or _EMPTY).child("dependencies") or _EMPTY
    managed = management.children_named("dependency")
    boms = [
        f"{d.value('groupId')}:{d.value('artifactId')}:"
        + _MAVEN_PROPERTY.sub(lambda m: properties.get(m[1], (m[0], ""))[0], d.value("version") or "")
        for d in managed
        if (d.value("scope") or "") == "import"
    ]
    used = [(d, "") for d in (root.child("dependencies") or _EMPTY).children_named("dependency")]
    for profile in (root.child("profiles") or _EMPTY).children_named("profile"):
        dependencies = (profile.child("dependencies") or _EMPTY).children_named("dependency")
        used += [(d, f"in profile {profile.value('id') or '?'}") for d in dependencies]
    listed = {(d.value("groupId"), d.value("artifactId")) for d, _ in used}
    used += [
        (d, "in dependencyManagement") for d in managed if (d.value("groupId"), d.value("artifactId")) not in listed
    ]
    parent_name = f"{parent.value('groupId')}:{parent.value('artifactId')}" if parent is not None else None
    found: list[_Found] = []
    for dependency, where in used:
        coordinate = (dependency.value("groupId") or "", dependency.value("artifactId") or "")
        if coordinate not in _JAVA_PACKAGES:
            continue
        artifact = dependency.child("artifactId")
        item = _Found(_JAVA_PACKAGES[coordinate], dependency.value("version") or "", (artifact or dependency).line, [])
        item.notes += [where] if where else []
        declared = item.declared
        if not declared:
            manager = next((m for m in managed if (m.value("groupId"), m.value("artifactId")) == coordinate), None)
            if manager is not None and manager.value("version"):
                declared = item.declared = manager.value("version") or ""
                item.notes.append(f"version from dependencyManagement, line {manager.line}")
        if declared:
            item.ranges, note = _version(declared, properties, _MAVEN_PROPERTY, interval)
            item.notes += [note] if note else []
        else:
            item.ranges = _no_java_version(boms, parent_name, "mvn dependency:tree")
        found.append(item)
    return found


_GRADLE_COORDINATE = re.compile(
    r"""(["'])(?P<group>[\w.-]+):(?P<artifact>[\w.-]+)(?::(?P<version>[^"':@]*))?(?::[^"'@]*)?(?:@\w+)?\1"""
)
_GRADLE_MAP = re.compile(
    r"""group\s*[:=]\s*(["'])(?P<group>[\w.-]+)\1\s*,\s*name\s*[:=]\s*(["'])(?P<artifact>[\w.-]+)\3"""
    r"""(?:\s*,\s*version\s*[:=]\s*(["'])(?P<version>[^"']*)\5)?"""
)
_GRADLE_VARIABLES = (
    re.compile(r"""^\s*(?:(?:def|val|var|final|String)\s+)*(?:(?:project\.)?ext\.)?(\w+)\s*=\s*(["'])([^"'$]*)\2"""),
    re.compile(r"""extra\[\s*["'](\w+)["']\s*\]\s*=\s*(["'])([^"'$]*)\2"""),
    re.compile(r"""\bset\(\s*["'](\w+)["']\s*,\s*(["'])([^"'$]*)\2\s*\)"""),
)
_GRADLE_PLATFORM = re.compile(r"""(?:[pP]latform|mavenBom)\s*\(?\s*["']([\w.-]+:[\w.-]+:[^"']+)["']""")
_GRADLE_RICH = re.compile(r"""\b(?:strictly|require|prefer)\s*\(?\s*["']([^"']+)["']""")
_GRADLE_REFERENCE = re.compile(r"\$(?:\{([^}]*)\}|(\w+))")


def _code_lines(text: str) -> list[str]:
    """Lines with ``//`` and ``/* */`` comments blanked (outside strings), line numbers kept."""
    lines: list[str] = []
    in_block = False
    for raw in text.splitlines():
        out, quote, index = [], "", 0
        while index < len(raw):
            pair = raw[index : index + 2]
            if in_block:
                if pair == "*/":
                    in_block, index = False, index + 2
                    continue
                index += 1
                continue
            char = raw[index]
            if quote:
                quote = "" if char == quote and raw[index - 1 : index] != "\\" else quote
            elif char in "\"'":
                quote = char
            elif pair == "//":
                break
            elif pair == "/*":
                in_block, index = True, index + 2
                continue
            out.append(char)
            index += 1
        lines.append("".join(out))
    return lines


def _gradle_reference(match: re.Match[str]) -> str:
    """``$v``, ``${v}``, ``${rootProject.ext.v}``, ``${property("v")}`` -> ``${v}``."""
    words = re.findall(r"\w+", match[1] if match[1] is not None else match[2])
    return "${" + (words[-1] if words else "?") + "}"


def _gradle_rich_version(lines: list[str], index: int, column: int) -> str:
    """``strictly``/``require``/``prefer`` in the block that follows a coordinate: ``("g:a") { version { ... } }``."""
    rest = lines[index][column:]
    if "{" not in rest:
        return ""
    depth = 0
    for line in [rest, *lines[index + 1 : index + 8]]:
        rich = _GRADLE_RICH.search(line)
        if rich:
            return rich[1]
        depth += line.count("{") - line.count("}")
        if depth <= 0:
            return ""
    return ""


def _gradle(text: str, context: Mapping[str, str]) -> list[_Found]:
    lines = _code_lines(text)
    properties: dict[str, tuple[str, str]] = {}
    for path, body in context.items():
        if posixpath.basename(path.replace("\\", "/")) == "gradle.properties":
            for number, line in enumerate(body.splitlines(), 1):
                match = re.match(r"^\s*([\w.-]+)\s*[=:]\s*(.*?)\s*$", line)
                if match and not line.lstrip().startswith(("#", "!")):
                    properties[match[1]] = (match[2], f"{path}:{number}")
    for number, line in enumerate(lines, 1):
        for pattern in _GRADLE_VARIABLES:
            for match in pattern.finditer(line):
                properties[match[1]] = (match[3], f"line {number}")
    boms = [m[1] for line in lines for m in _GRADLE_PLATFORM.finditer(line)]
    found: list[_Found] = []
    for number, line in enumerate(lines, 1):
        for match in [*_GRADLE_COORDINATE.finditer(line), *_GRADLE_MAP.finditer(line)]:
            package = _JAVA_PACKAGES.get((match["group"], match["artifact"]))
            if package is None:
                continue
            declared = match["version"] or ""
            if not declared:
                declared = _gradle_rich_version(lines, number - 1, match.end())
            item = _Found(package, declared, number, [])
            if declared:
                normalised = _GRADLE_REFERENCE.sub(_gradle_reference, declared)
                item.ranges, note = _version(normalised, properties, _MAVEN_PROPERTY, interval)
                item.notes += [note] if note else []
            else:
                item.ranges = _no_java_version(boms, None)
            found.append(item)
    return found


def _catalog(text: str, _context: Mapping[str, str]) -> list[_Found]:
    """A Gradle version catalog: ``[libraries]`` entries, their ``version.ref`` resolved from ``[versions]``."""
    data = read_toml(text)
    versions = _table(data, "versions")
    found: list[_Found] = []
    for alias, spec in _table(data, "libraries").items():
        version: Any = None
        if isinstance(spec, str):
            group, _, rest = spec.partition(":")
            artifact, _, version = rest.partition(":")
        elif isinstance(spec, dict):
            module = spec.get("module")
            if isinstance(module, str):
                group, _, artifact = module.partition(":")
            else:
                group, artifact = str(spec.get("group", "")), str(spec.get("name", ""))
            version = spec.get("version")
        else:
            continue
        package = _JAVA_PACKAGES.get((group, artifact))
        if package is None:
            continue
        item = _Found(package, "", _toml_line(text, "libraries", re.escape(str(alias))), [])
        if isinstance(version, dict) and isinstance(version.get("ref"), str):
            item.notes.append(f"version.ref {version['ref']!r}")
            version = versions.get(version["ref"])
        if isinstance(version, dict):
            version = next(
                (version[k] for k in ("strictly", "require", "prefer") if isinstance(version.get(k), str)), None
            )
        item.declared = version if isinstance(version, str) else ""
        item.ranges = interval(item.declared) if item.declared else _no_java_version([], None)
        found.append(item)
    return found


# .NET -----------------------------------------------------------------------------------------------------------

_NUGET_PACKAGES = {"azure.identity": "Azure.Identity", "microsoft.identity.client": _MSAL[".NET"]}


def _msbuild_properties(root: _Node, where: str) -> dict[str, tuple[str, str]]:
    return {
        prop.tag: (prop.text, f"{where}{prop.line}")
        for group in root.children_named("PropertyGroup")
        for prop in group.children
    }


def _central(context: Mapping[str, str]) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """Central package versions (Directory.Packages.props): package -> (version, where), and its properties."""
    for path, text in context.items():
        if posixpath.basename(path.replace("\\", "/")).lower() != "directory.packages.props":
            continue
        try:
            root = _xml(text)
        except _NotRead:
            return {}, {}
        versions = {
            node.attrs.get("include", "").lower(): (
                node.attrs.get("version") or node.value("Version") or "",
                f"{path}:{node.line}",
            )
            for node in root.walk()
            if node.tag.lower() == "packageversion"
        }
        return versions, _msbuild_properties(root, f"{path}:")
    return {}, {}


def _msbuild(text: str, context: Mapping[str, str]) -> list[_Found]:
    root = _xml(text)
    central, central_properties = _central(context)
    properties = {**central_properties, **_msbuild_properties(root, "line ")}
    found: list[_Found] = []
    for node in root.walk():
        if node.tag.lower() != "packagereference":
            continue
        name = (node.attrs.get("include") or node.attrs.get("update") or "").strip()
        package = _NUGET_PACKAGES.get(name.lower())
        if package is None:
            continue
        version = (
            node.attrs.get("versionoverride")
            or node.attrs.get("version")
            or node.value("VersionOverride")
            or node.value("Version")
        )
        item = _Found(package, version or "", node.line, [])
        if version is None and name.lower() in central:
            version, where = central[name.lower()]
            item.declared = version
            item.notes.append(f"central version, {where}")
        if version:
            item.ranges, note = _version(version, properties, _MSBUILD_PROPERTY, interval)
            item.notes += [note] if note else []
        else:
            item.ranges = "has no Version here and none in a Directory.Packages.props above it: the version is unknown"
        found.append(item)
    return found


def _packages_config(text: str, _context: Mapping[str, str]) -> list[_Found]:
    found: list[_Found] = []
    for node in _xml(text).walk():
        package = _NUGET_PACKAGES.get(node.attrs.get("id", "").lower()) if node.tag.lower() == "package" else None
        if package:
            version = node.attrs.get("version", "")
            found.append(_Found(package, version, node.line, interval(version) if version else [_Range()]))
    return found


# TOML -----------------------------------------------------------------------------------------------------------


def read_toml(text: str) -> dict[str, Any]:
    """tomllib where there is one (3.11+), else (or for a file tomllib rejects) the tolerant reader below."""
    if tomllib is not None:
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            pass
    return mini_toml(text)


def _table(data: Any, key: str) -> dict[str, Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


class _TomlSkip(Exception):
    """A statement the small reader does not understand: it is skipped, the rest is still read."""


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR = re.compile(r"[^,\]}#\s]+")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


def mini_toml(text: str) -> dict[str, Any]:
    """The TOML that dependency files use (tables, arrays of tables, strings, arrays, inline tables, dotted
    keys), read tolerantly: a statement it cannot read is skipped. For Python 3.10, which has no tomllib."""
    root: dict[str, Any] = {}
    table = root
    i, n = 0, len(text)
    while i < n:
        i = _toml_space(text, i, newlines=True)
        if i >= n:
            break
        header = text[i] == "["
        try:
            if text.startswith("[[", i):
                keys, i = _toml_keys(text, i + 2, "]]")
                parent = _toml_walk(root, keys[:-1])
                items = parent.get(keys[-1])
                if not isinstance(items, list):
                    items = parent[keys[-1]] = []
                table = {}
                items.append(table)
            elif header:
                keys, i = _toml_keys(text, i + 1, "]")
                table = _toml_walk(root, keys)
            else:
                keys, i = _toml_keys(text, i, "=")
                value, i = _toml_value(text, i)
                _toml_walk(table, keys[:-1])[keys[-1]] = value
        except _TomlSkip:
            if header:
                table = {}  # the keys of an unreadable table must not land in the previous one
        end = text.find("\n", i)
        i = n if end < 0 else end + 1
    return root


def _toml_walk(table: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    for key in keys:
        value = table.get(key)
        if isinstance(value, list) and value and isinstance(value[-1], dict):
            value = value[-1]
        if not isinstance(value, dict):
            value = table[key] = {}
        table = value
    return table


def _toml_space(text: str, i: int, *, newlines: bool = False) -> int:
    while i < len(text):
        char = text[i]
        if char in " \t" or (newlines and char in "\r\n"):
            i += 1
        elif newlines and char == "#":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end + 1
        else:
            break
    return i


def _toml_keys(text: str, i: int, terminator: str) -> tuple[list[str], int]:
    keys: list[str] = []
    while True:
        i = _toml_space(text, i)
        if text[i : i + 1] in ('"', "'"):
            key, i = _toml_string(text, i)
        else:
            match = _BARE_KEY.match(text, i)
            if not match:
                raise _TomlSkip
            key, i = match[0], match.end()
        keys.append(key)
        i = _toml_space(text, i)
        if text.startswith(terminator, i):
            return keys, i + len(terminator)
        if not text.startswith(".", i):
            raise _TomlSkip
        i += 1


def _toml_string(text: str, i: int) -> tuple[str, int]:
    for quotes in ('"""', "'''"):
        if text.startswith(quotes, i):
            end = text.find(quotes, i + 3)
            if end < 0:
                raise _TomlSkip
            body = text[i + 3 : end].removeprefix("\r").removeprefix("\n")
            return (_toml_unescape(body) if quotes == '"""' else body), end + 3
    quote = text[i]
    end = i + 1
    while end < len(text) and text[end] != quote and text[end] != "\n":
        end += 2 if quote == '"' and text[end] == "\\" else 1
    if end >= len(text) or text[end] != quote:
        raise _TomlSkip
    body = text[i + 1 : end]
    return (_toml_unescape(body) if quote == '"' else body), end + 1


def _toml_unescape(body: str) -> str:
    def one(match: re.Match[str]) -> str:
        escape = match[1]
        if escape[0] in "uU":
            return chr(int(escape[1:], 16))
        if escape[0] in " \t\r\n":  # a line-ending backslash in a multi-line string
            return ""
        return _ESCAPES.get(escape, "\\" + escape)

    return re.sub(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[ \t]*\r?\n\s*|.)", one, body, flags=re.S)


def _toml_value(text: str, i: int) -> tuple[Any, int]:
    i = _toml_space(text, i)
    char = text[i : i + 1]
    if char in ('"', "'"):
        return _toml_string(text, i)
    if char == "[":
        items: list[Any] = []
        i += 1
        while True:
            i = _toml_space(text, i, newlines=True)
            if text.startswith("]", i):
                return items, i + 1
            value, i = _toml_value(text, i)
            items.append(value)
            i = _toml_space(text, i, newlines=True)
            if text.startswith(",", i):
                i += 1
            elif not text.startswith("]", i):
                raise _TomlSkip
    if char == "{":
        table: dict[str, Any] = {}
        i += 1
        while True:
            i = _toml_space(text, i, newlines=True)
            if text.startswith("}", i):
                return table, i + 1
            keys, i = _toml_keys(text, i, "=")
            value, i = _toml_value(text, i)
            _toml_walk(table, keys[:-1])[keys[-1]] = value
            i = _toml_space(text, i, newlines=True)
            if text.startswith(",", i):
                i += 1
            elif not text.startswith("}", i):
                raise _TomlSkip
    match = _SCALAR.match(text, i)
    if not match:
        raise _TomlSkip
    raw = match[0]
    if raw in ("true", "false"):
        return raw == "true", match.end()
    for kind in (int, float):
        try:
            return kind(raw.replace("_", "")), match.end()
        except ValueError:
            pass
    return raw, match.end()


# --- the entry points ---------------------------------------------------------------------------------------------

_READERS: dict[str, Any] = {
    "requirements": lambda text, _context: _requirements(text),
    "pyproject": lambda text, _context: _pyproject(text),
    "setup.cfg": lambda text, _context: _setup_cfg(text),
    "pipfile": lambda text, _context: _pipfile(text),
    "package.json": _package_json,
    "go.mod": lambda text, _context: _go_mod(text),
    "pom": _pom,
    "gradle": _gradle,
    "catalog": _catalog,
    "msbuild": _msbuild,
    "packages.config": _packages_config,
}


def assess_file(path: str, text: str, context: Mapping[str, str] | None = None) -> list[Assessment]:
    """The identity SDK declarations in one dependency file, in file order; [] for a file that has none.

    ``path`` is the path shown to users (its name decides the format); ``context`` maps the paths of related
    files (``CONTEXT_FILES``: the lock beside a package.json, gradle.properties, the nearest
    Directory.Packages.props) to their text. A file that mentions an identity package but cannot be parsed
    gives one unknown assessment that says why; never an exception.
    """
    form = dependency_format(path)
    if form is None or not _NEEDLE.search(text):
        return []
    language = LANGUAGE_OF_FORMAT[form]
    try:
        found = _READERS[form](text.lstrip("\ufeff"), context or {})
    except _NotRead as exc:
        return [not_read(path, str(exc))]
    except json.JSONDecodeError as exc:
        return [not_read(path, f"is not valid JSON (line {exc.lineno}: {exc.msg})")]
    except (ValueError, RecursionError) as exc:
        return [not_read(path, f"could not be parsed: {exc}")]
    found.sort(key=lambda f: f.line)
    return settle(_assessment(language, path, item) for item in found)


def proposed_mode(assessments: Iterable[Assessment]) -> tuple[str | None, str]:
    """The mode to propose for a workload from its application's assessments, with the reason to show.

    ``sidecar`` when any declared identity SDK is (or may be, by the lowest version its range admits) older
    than the minimum; ``label`` when every known one supports workload identity; None when nothing is known.
    """
    items = list(assessments)
    below = [a for a in items if a.supports is False]
    good = [a for a in items if a.supports is True]
    unknown = [a for a in items if a.supports is None]
    if below:
        return "sidecar", "; ".join(a.describe() for a in below) + ": propose the proxy sidecar"
    if good:
        text = "; ".join(a.describe() for a in good) + ": propose label mode (no sidecar)"
        if unknown:
            text += "; not known: " + "; ".join(a.describe() for a in unknown)
        return "label", text
    if unknown:
        return None, "; ".join(a.describe() for a in unknown) + ": no mode proposed"
    return None, "no Azure Identity SDK is declared in the application's dependency files: no mode proposed"

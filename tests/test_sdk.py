"""The SDK minimums for workload identity and the version comparison behind them (pure)."""

from __future__ import annotations

import pytest

from migrator.core.sdk import SDK_MINIMUMS, minimum_for, parse_version, retirement_note, supports_workload_identity


def test_the_minimums_are_those_of_the_domain_reference() -> None:
    table = {(m.language, m.package): m.minimum for m in SDK_MINIMUMS}
    assert table == {
        (".NET", "Azure.Identity"): "1.9.0",
        ("C++", "azure-identity-cpp"): "1.6.0",
        ("Go", "github.com/Azure/azure-sdk-for-go/sdk/azidentity"): "1.3.0",
        ("Java", "com.azure:azure-identity"): "1.9.0",
        ("JavaScript", "@azure/identity"): "3.2.0",
        ("Python", "azure-identity"): "1.13.0",
    }


@pytest.mark.parametrize(
    "low, high",
    [
        ("1.12.9", "1.13.0"),
        ("v1.2.0", "v1.3.0"),
        ("1.9.0-beta.1", "1.9.0"),  # a pre-release of the minimum is below it
        ("1.9.0-beta.1", "1.9.0-beta.2"),
        ("1.9.0-beta.2", "1.9.0-rc.1"),
        ("1.13.0b1", "1.13.0"),  # PEP 440
        ("1.13.0rc2", "1.13.0"),
        ("1.0.0-alpha.1", "1.0.0-alpha.beta"),  # numeric identifiers sort below alphanumeric ones
        ("3.1.9", "3.2"),
        ("1.13.0", "1.13.0.post1"),
        ("1.9.99", "1.10.0"),  # numerically, not as text
    ],
)
def test_versions_order_as_package_managers_do(low: str, high: str) -> None:
    assert parse_version(low) < parse_version(high)  # type: ignore[operator]


@pytest.mark.parametrize(
    "a, b", [("3.2", "3.2.0"), ("v1.3.0", "1.3.0"), ("1.9.0.0", "1.9.0"), ("1.2.3+build.5", "1.2.3")]
)
def test_equivalent_spellings(a: str, b: str) -> None:
    assert parse_version(a) == parse_version(b)


@pytest.mark.parametrize("text", ["", "latest", "^3.2.0", ">=1.13", "1.x", "one.two", "1..2"])
def test_unparseable_versions(text: str) -> None:
    assert parse_version(text) is None


@pytest.mark.parametrize(
    "language, version, expected",
    [
        ("python", "1.13.0", True),
        ("Python", "1.15.1", True),
        ("python", "1.12.0", False),
        ("python", "1.13.0b1", False),
        (".NET", "1.9.0", True),
        ("dotnet", "1.9.0-beta.1", False),
        ("csharp", "1.8.2", False),
        ("go", "v1.3.0", True),
        ("golang", "v1.2.1", False),
        ("java", "1.9.0", True),
        ("Java", "1.8.11", False),
        ("javascript", "3.2", True),
        ("typescript", "3.1.4", False),
        ("node", "4.0.0", True),
        ("c++", "1.6.0", True),
        ("cpp", "1.5.1", False),
        ("@azure/identity", "3.2.0", True),
        ("azure-identity", "1.12.0", False),
    ],
)
def test_supports_workload_identity(language: str, version: str, expected: bool) -> None:
    assert supports_workload_identity(language, version) is expected


def test_unknown_language_or_version_is_none() -> None:
    assert supports_workload_identity("cobol", "1.0.0") is None
    assert supports_workload_identity("python", "latest") is None
    assert minimum_for("rust") is None
    assert minimum_for("GOLANG") is not None and minimum_for("GOLANG").minimum == "1.3.0"  # type: ignore[union-attr]


def test_retirement_note_has_one_line_per_language() -> None:
    lines = retirement_note().splitlines()
    assert len(lines) == len(SDK_MINIMUMS)
    for line, entry in zip(lines, SDK_MINIMUMS, strict=True):
        assert entry.language in line and entry.package in line and entry.minimum in line

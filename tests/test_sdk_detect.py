"""Identity SDK declarations read from dependency files, and the mode they propose (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.core import sdk_detect
from migrator.core.sdk_detect import (
    Assessment,
    application_of,
    assess_file,
    dependency_format,
    mini_toml,
    proposed_mode,
    read_toml,
)


def one(path: str, text: str, context: dict[str, str] | None = None) -> Assessment:
    found = assess_file(path, text, context)
    assert len(found) == 1, found
    return found[0]


# --- Python -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec, supports, version",
    [
        ("==1.12.0", False, "1.12.0"),  # below
        ("==1.13.0", True, "1.13.0"),  # at
        ("==1.16.1", True, "1.16.1"),  # above
        ("===1.13.0", True, "1.13.0"),
        ("==1.13.0b1", False, "1.13.0b1"),  # a pre-release of the minimum is below it
        (">=1.10,<2", False, "1.10"),  # the lowest version a range admits decides
        (">=1.14, <2", True, "1.14"),
        ("<2,>=1.13", True, "1.13"),
        ("~=1.12.0", False, "1.12.0"),
        ("~=1.15", True, "1.15"),
        ("==1.12.*", False, "1.12.0"),
        ("==1.13.*", True, "1.13.0"),
        (">1.12.0", False, "1.12.0"),  # admits 1.12.1
        (">1.13.0", True, "1.13.0"),
        ("<1.13", False, None),  # no lower bound, but nothing it admits is recent enough
        ("<=1.12.9", False, None),
        ("<2", None, None),
        ("", None, None),
        ("!=1.14.0", None, None),
        ("(>=1.14)", True, "1.14"),  # the old parenthesised form
    ],
)
def test_requirements_constraints(spec: str, supports: bool | None, version: str | None) -> None:
    found = one("requirements.txt", f"azure-identity{spec}\n")
    assert (found.supports, found.version) == (supports, version)
    assert found.language == "Python" and found.package == "azure-identity" and found.line == 1


def test_requirements_comments_extras_markers_options_and_lines() -> None:
    text = (
        "# azure-identity==1.0.0 in a comment is not a declaration\n"
        "-r base.txt\n"
        "-e git+https://example.com/other.git#egg=other\n"
        "--index-url https://pypi.example.com/simple\n"
        "requests==2.31.0\n"
        "Azure_Identity[aio]==1.12.0 ; python_version >= '3.8'  # old, pinned by the platform team\n"
        "azure.identity >= 1.15.0 \\\n"
        "    --hash=sha256:0123456789abcdef\n"
        "azure-identity-broker==1.0.0\n"
    )
    found = assess_file("svc/requirements-prod.txt", text)
    assert [(a.line, a.declared, a.version, a.supports) for a in found] == [
        (6, "==1.12.0", "1.12.0", False),
        (7, ">= 1.15.0", "1.15.0", True),
    ]
    assert found[0].file == "svc/requirements-prod.txt"


def test_requirements_urls_and_vcs_are_unknown() -> None:
    text = (
        "azure-identity @ https://example.com/azure_identity-1.15.0-py3-none-any.whl\n"
        "git+https://github.com/Azure/azure-sdk-for-python.git#egg=azure-identity&subdirectory=sdk/identity\n"
    )
    found = assess_file("requirements.txt", text)
    assert [(a.line, a.supports, a.version) for a in found] == [(1, None, None), (2, None, None)]
    assert "cannot be read" in found[0].reason and "VCS" in found[1].reason


PYPROJECT = """\
[project]
name = "svc"
dependencies = [
    "click>=8",
    "azure-identity>=1.12.0",  # too low a floor
]

[project.optional-dependencies]
aio = ["azure-identity[aio]==1.16.0 ; sys_platform != 'win32'"]

[tool.poetry.dependencies]
python = "^3.10"
azure-identity = "^1.15.0"

[tool.poetry.group.legacy.dependencies]
"azure.identity" = { version = "~1.11", extras = ["aio"] }

[tool.poetry.group.fork.dependencies]
azure-identity = { git = "https://github.com/contoso/azure-identity-fork.git" }
"""


def _pyproject_rows(text: str) -> list[tuple]:
    return [(a.line, a.declared, a.version, a.supports) for a in assess_file("pyproject.toml", text)]


PYPROJECT_ROWS = [
    (5, ">=1.12.0", "1.12.0", False),
    (9, "==1.16.0", "1.16.0", True),
    (13, "^1.15.0", "1.15.0", True),
    (16, "~1.11", "1.11", False),
    (19, "git https://github.com/contoso/azure-identity-fork.git", None, None),
]


def test_pyproject_project_and_poetry_tables() -> None:
    assert _pyproject_rows(PYPROJECT) == PYPROJECT_ROWS


def test_pyproject_on_python_3_10_reads_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sdk_detect, "tomllib", None)  # as on 3.10, where there is no tomllib
    assert _pyproject_rows(PYPROJECT) == PYPROJECT_ROWS


@pytest.mark.parametrize(
    "spec, supports",
    [("1.12.0", False), ("1.13.0", True), ("^1.12", False), ("^1.13", True), ("~1.14.2", True), ("*", None)],
)
def test_poetry_constraints(spec: str, supports: bool | None) -> None:
    text = f'[tool.poetry.dependencies]\npython = "^3.11"\nazure-identity = "{spec}"\n'
    found = one("pyproject.toml", text)
    assert found.supports is supports and found.line == 3


def test_poetry_union_is_judged_by_its_lowest_alternative() -> None:
    found = one("pyproject.toml", '[tool.poetry.dependencies]\nazure-identity = "^1.10 || ^1.15"\n')
    assert (found.supports, found.version) == (False, "1.10")


TOML_SAMPLES = [
    PYPROJECT,
    '[project]\nname = "a"\ndependencies = [\n  "azure-identity>=1.13", # c\n  \'msal==1.2\',\n  "x\\"y\\u00e9",\n]\n'
    '[[tool.poetry.source]]\nname = "a"\nurl = "b"\n[[tool.poetry.source]]\nname = "c"\n'
    '[libraries]\nazure-identity = { module = "com.azure:azure-identity", version.ref = "azure" }\n'
    'n = 1_000\nf = 1.5\nb = true\nmulti = """\nline"""\nlit = \'a\\b\'\nempty = []\n',
    "a.b.c = 1\n[x]\n'quoted key' = \"v\"  # trailing comment\n[x.y]\nz = [ [1, 2], { k = 'v' } ]\n",
]


@pytest.mark.parametrize("text", TOML_SAMPLES)
def test_the_small_toml_reader_agrees_with_tomllib(text: str) -> None:
    tomllib = pytest.importorskip("tomllib")
    assert mini_toml(text) == tomllib.loads(text)


def test_the_small_toml_reader_skips_what_it_cannot_read() -> None:
    text = (
        'bad line without equals\n[project]\ndependencies = ["azure-identity==1.14.0"]\nx = @nonsense\n[broken\ny = 1\n'
    )
    data = mini_toml(text)
    assert data["project"]["dependencies"] == ["azure-identity==1.14.0"]
    assert "y" not in data["project"]  # a key below an unreadable header does not land in the table above
    assert read_toml(text)["project"]["dependencies"] == ["azure-identity==1.14.0"]  # tomllib rejects it


def test_setup_cfg_and_pipfile() -> None:
    cfg = (
        "[metadata]\nname = svc\ndescription = uses azure-identity==1.0 in prose\n"
        "[options]\ninstall_requires =\n    requests\n    azure-identity==1.12.0\n"
        "[options.extras_require]\naio = azure-identity[aio]>=1.14\n"
    )
    assert [(a.line, a.supports) for a in assess_file("setup.cfg", cfg)] == [(7, False), (9, True)]
    pipfile = (
        '[packages]\nazure-identity = "==1.14.0"\n[dev-packages]\n'
        '"azure_identity" = {version = ">=1.10", markers = "os_name == \'nt\'"}\n'
    )
    assert [(a.line, a.supports) for a in assess_file("Pipfile", pipfile)] == [(2, True), (4, False)]


# --- JavaScript ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec, supports, version",
    [
        ("3.1.4", False, "3.1.4"),
        ("3.2.0", True, "3.2.0"),
        ("4.0.1", True, "4.0.1"),
        ("=3.2.0", True, "3.2.0"),
        ("^3.1.0", False, "3.1.0"),  # a fresh install would take 3.x's newest, but an image may hold 3.1.0
        ("^3.2.0", True, "3.2.0"),
        ("~3.1.5", False, "3.1.5"),
        ("~3.2.0", True, "3.2.0"),
        (">=3.2.0", True, "3.2.0"),
        (">= 3.2.0 <4", True, "3.2.0"),
        (">3.1.0", False, "3.1.0"),
        ("3.x", False, "3.0.0"),
        ("3.1", False, "3.1.0"),  # an x-range, not 3.1.0 exactly
        ("3.1.0 - 3.5.0", False, "3.1.0"),
        ("^2.0.0 || ^4.0.0", False, "2.0.0"),
        ("<3.0.0", False, None),
        ("3.2.0-beta.1", False, "3.2.0-beta.1"),
        ("npm:@azure/identity@^3.3.0", True, "3.3.0"),
        ("latest", None, None),
        ("*", None, None),
        ("", None, None),
        ("workspace:*", None, None),
        ("git+https://github.com/Azure/azure-sdk-for-js.git", None, None),
        ("github:Azure/azure-sdk-for-js", None, None),
        ("file:../identity", None, None),
    ],
)
def test_package_json_ranges(spec: str, supports: bool | None, version: str | None) -> None:
    found = one("web/package.json", f'{{"dependencies": {{"@azure/identity": "{spec}"}}}}')
    assert (found.supports, found.version) == (supports, version)
    assert found.language == "JavaScript" and found.package == "@azure/identity"


PACKAGE_JSON = """\
{
  "name": "settlement",
  "dependencies": {
    "@azure/storage-blob": "^12.17.0",
    "@azure/identity": "^3.1.0"
  },
  "devDependencies": {
    "@azure/identity": "4.0.0"
  }
}
"""


def test_package_json_sections_and_lines() -> None:
    found = assess_file("package.json", PACKAGE_JSON)
    assert [(a.line, a.declared, a.supports) for a in found] == [(5, "^3.1.0", False), (8, "4.0.0", True)]
    assert "devDependencies" in found[1].reason


@pytest.mark.parametrize(
    "lock, supports, version",
    [
        (
            '{"lockfileVersion": 3, "packages": {"": {}, "node_modules/@azure/identity": {\n"version": "3.4.2"}}}',
            True,
            "3.4.2",
        ),
        ('{"lockfileVersion": 1, "dependencies": {"@azure/identity": {\n"version": "3.1.3"}}}', False, "3.1.3"),
        ('{"lockfileVersion": 3, "packages": {}}', False, "3.1.0"),  # not locked: the range decides
        ("not json", False, "3.1.0"),
        ('"a string"', False, "3.1.0"),
    ],
)
def test_package_lock_beside_package_json_wins(lock: str, supports: bool, version: str) -> None:
    found = assess_file("web/package.json", PACKAGE_JSON, {"web/package-lock.json": lock})[0]
    assert (found.supports, found.version, found.line) == (supports, version, 5)
    if version != "3.1.0":
        assert "web/package-lock.json:2" in found.reason


def test_package_json_that_is_not_json() -> None:
    found = one("package.json", '{"dependencies": {"@azure/identity": "^3.2.0",}')
    assert found.supports is None and found.line == 0 and "not valid JSON" in found.reason


# --- Go -------------------------------------------------------------------------------------------------------------

GO_MOD = """\
module github.com/contoso/svc

go 1.22

require github.com/Azure/azure-sdk-for-go/sdk/azcore v1.11.1

require (
\tgithub.com/Azure/azure-sdk-for-go/sdk/azidentity {version} // {comment}
\tgithub.com/google/uuid v1.6.0
)
"""


@pytest.mark.parametrize(
    "version, supports",
    [
        ("v1.2.2", False),
        ("v1.3.0", True),
        ("v1.5.1", True),
        ("v1.3.0-beta.4", False),
        ("v1.2.1-0.20230101000000-abcdef123456", False),  # a pseudo-version after v1.2.0
        ("v1.3.1-0.20230101000000-abcdef123456", True),  # ... after v1.3.0
        ("v0.0.0-20230101000000-abcdef123456", None),  # no tag before it at all
    ],
)
def test_go_mod_versions(version: str, supports: bool | None) -> None:
    found = one("go.mod", GO_MOD.format(version=version, comment="indirect"))
    assert found.supports is supports and found.line == 8 and found.language == "Go"
    assert "indirect" in found.reason
    assert found.describe().startswith(f"github.com/Azure/azure-sdk-for-go/sdk/azidentity {version} (go.mod:8) ")


def test_go_mod_single_line_require_and_replace() -> None:
    base = "module x\n\nrequire github.com/Azure/azure-sdk-for-go/sdk/azidentity v1.5.0\n"
    assert one("go.mod", base).supports is True
    same = (
        base
        + "replace github.com/Azure/azure-sdk-for-go/sdk/azidentity => "
        + "github.com/Azure/azure-sdk-for-go/sdk/azidentity v1.2.0\n"
    )
    replaced = one("go.mod", same)
    assert (replaced.supports, replaced.version, replaced.line) == (False, "v1.2.0", 3)
    local = one("go.mod", base + "replace github.com/Azure/azure-sdk-for-go/sdk/azidentity => ../azidentity\n")
    assert local.supports is None and "../azidentity" in local.reason
    other = base + "replace github.com/Azure/azure-sdk-for-go/sdk/azidentity v1.1.0 => ../old\n"
    assert one("go.mod", other).supports is True  # the replace names another version than the one required


# --- Java -----------------------------------------------------------------------------------------------------------

POM = """\
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.contoso</groupId>
  <artifactId>svc</artifactId>
  <version>2.0.0</version>
  <properties>
    <azure-identity.version>{version}</azure-identity.version>
    <identity>${{azure-identity.version}}</identity>
  </properties>
  <dependencies>
    <dependency>
      <groupId>com.azure</groupId>
      <artifactId>azure-identity</artifactId>
      <version>${{identity}}</version>
    </dependency>
  </dependencies>
</project>
"""


@pytest.mark.parametrize(
    "version, supports",
    [
        ("1.2.5", False),
        ("1.9.0", True),
        ("1.11.2", True),
        ("[1.8.0,2.0)", False),
        ("[1.9.0,)", True),
        ("(,1.8]", False),
    ],
)
def test_pom_properties_are_resolved(version: str, supports: bool) -> None:
    found = one("svc/pom.xml", POM.format(version=version))
    assert found.supports is supports and found.line == 14 and found.package == "com.azure:azure-identity"
    assert found.declared == "${identity}" and "line 8" in found.reason and "line 9" in found.reason


def test_pom_unknowns_and_management() -> None:
    pom = """\
<project>
  <parent><groupId>com.contoso</groupId><artifactId>platform-parent</artifactId><version>7</version></parent>
  <dependencyManagement><dependencies>
    <dependency><groupId>com.azure</groupId><artifactId>azure-sdk-bom</artifactId><version>1.2.18</version>
      <type>pom</type><scope>import</scope></dependency>
    <dependency><groupId>com.microsoft.azure</groupId><artifactId>msal4j</artifactId><version>1.14.0</version></dependency>
  </dependencies></dependencyManagement>
  <dependencies>
    <dependency><groupId>com.azure</groupId>
      <artifactId>azure-identity</artifactId></dependency>
    <dependency><groupId>com.azure</groupId><artifactId>azure-identity</artifactId><version>${unset}</version></dependency>
  </dependencies>
</project>
"""
    found = assess_file("pom.xml", pom)
    assert [(a.line, a.supports) for a in found] == [(10, None), (11, None)]  # MSAL dropped: identity is declared
    assert "com.azure:azure-sdk-bom:1.2.18" in found[0].reason and "${unset}" in found[1].reason
    managed = pom.replace("azure-sdk-bom</artifactId><version>1.2.18", "azure-identity</artifactId><version>1.10.0")
    found = assess_file("pom.xml", managed)
    assert (found[0].supports, found[0].version, found[0].declared) == (True, "1.10.0", "1.10.0")
    assert "dependencyManagement, line 4" in found[0].reason


def test_pom_that_is_not_xml_or_declares_entities() -> None:
    broken = one("pom.xml", "<project><dependencies><artifactId>azure-identity</artifactId></project>")
    assert broken.supports is None and broken.line == 0 and "not well-formed XML (line 1" in broken.reason
    bomb = '<!DOCTYPE p [<!ENTITY a "azure-identity">]><project><dependencies/></project>'
    assert "entities" in one("pom.xml", bomb).reason


GRADLE_KTS = """\
val azureIdentityVersion = "1.10.0"
val fromProperties: String by project

dependencies {
    implementation(platform("com.azure:azure-sdk-bom:1.2.18"))
    implementation("com.azure:azure-identity")
    implementation("com.azure:azure-identity:$azureIdentityVersion")
    implementation("com.azure:azure-identity:1.8.0")
    // implementation("com.azure:azure-identity:1.0.0")
    /* implementation("com.azure:azure-identity:1.0.1") */
    implementation("com.azure:azure-identity") {
        version { strictly("1.9.0") }
    }
    implementation("com.azure:azure-identity:${fromProperties}")
}
"""


def test_gradle_kts() -> None:
    found = assess_file("svc/build.gradle.kts", GRADLE_KTS, {"svc/gradle.properties": "# x\nfromProperties=1.7.0\n"})
    assert [(a.line, a.version, a.supports) for a in found] == [
        (6, None, None),  # managed by the platform BOM
        (7, "1.10.0", True),
        (8, "1.8.0", False),
        (11, "1.9.0", True),
        (14, "1.7.0", False),
    ]
    assert "azure-sdk-bom:1.2.18" in found[0].reason
    assert "line 1" in found[1].reason and "svc/gradle.properties:2" in found[4].reason


@pytest.mark.parametrize(
    "line, supports",
    [
        ("implementation 'com.azure:azure-identity:1.8.0'", False),
        ("implementation 'com.azure:azure-identity:1.9.0'", True),
        ('implementation "com.azure:azure-identity:1.12.1"', True),
        ("implementation group: 'com.azure', name: 'azure-identity', version: '1.8.2'", False),
        ("implementation 'com.azure:azure-identity:1.9.+'", True),
        ("implementation 'com.azure:azure-identity:1.+'", False),
        ("implementation 'com.azure:azure-identity:latest.release'", None),
        ('implementation "com.azure:azure-identity:$undefined"', None),
    ],
)
def test_gradle_groovy(line: str, supports: bool | None) -> None:
    found = one("build.gradle", f"plugins {{ id 'java' }}\n\ndependencies {{\n    {line}\n}}\n")
    assert found.supports is supports and found.line == 4


def test_gradle_version_catalog() -> None:
    catalog = (
        '[versions]\nazure = "1.8.0"\n\n[libraries]\n'
        'identity = { module = "com.azure:azure-identity", version.ref = "azure" }\n'
        'identity-new = "com.azure:azure-identity:1.12.0"\n'
        'identity-rich = { group = "com.azure", name = "azure-identity", version = { strictly = "[1.9, 2.0)" } }\n'
    )
    found = assess_file("gradle/libs.versions.toml", catalog)
    assert [(a.line, a.supports) for a in found] == [(5, False), (6, True), (7, True)]


# --- .NET -----------------------------------------------------------------------------------------------------------

CSPROJ = """\
\ufeff<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <AzureIdentityVersion>1.8.2</AzureIdentityVersion>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Azure.Identity" Version="1.8.2" />
    <PackageReference include="azure.identity" version="1.9.0" />
    <PackageReference Include="Azure.Identity">
      <Version>1.11.4</Version>
    </PackageReference>
    <PackageReference Include="Azure.Identity" Version="$(AzureIdentityVersion)" />
    <PackageReference Include="Azure.Identity" Version="[1.9.0, )" />
    <PackageReference Include="Azure.Identity" Version="1.*" />
    <PackageReference Include="Azure.Identity" />
    <PackageReference Include="Azure.Identity" VersionOverride="1.12.0" />
    <PackageReference Include="Azure.Identity.Broker" Version="1.0.0" />
  </ItemGroup>
</Project>
"""


def test_csproj_references_and_central_versions() -> None:
    props = (
        '<Project>\n  <ItemGroup>\n    <PackageVersion Include="Azure.Identity" Version="1.10.4" />\n'
        "  </ItemGroup>\n</Project>"
    )
    found = assess_file("src/Api/Api.csproj", CSPROJ, {"Directory.Packages.props": props})
    assert [(a.line, a.version, a.supports) for a in found] == [
        (6, "1.8.2", False),
        (7, "1.9.0", True),  # attribute names in any case
        (8, "1.11.4", True),  # Version as a child element
        (11, "1.8.2", False),  # $(AzureIdentityVersion)
        (12, "1.9.0", True),
        (13, "1.0.0", False),  # a floating version's lowest
        (14, "1.10.4", True),  # the central version
        (15, "1.12.0", True),
    ]
    assert "Directory.Packages.props:3" in found[6].reason and found[0].package == "Azure.Identity"
    without = assess_file("src/Api/Api.csproj", CSPROJ)[6]
    assert without.supports is None and "Directory.Packages.props" in without.reason


def test_packages_config() -> None:
    text = (
        '<?xml version="1.0"?>\n<packages>\n'
        '  <package id="Azure.Identity" version="1.8.2" targetFramework="net48" />\n</packages>'
    )
    found = one("packages.config", text)
    assert (found.line, found.supports, found.language) == (3, False, ".NET")


# --- MSAL, formats, modes -----------------------------------------------------------------------------------------


def test_msal_alone_is_noted_as_unknown() -> None:
    found = one("requirements.txt", "msal==1.28.0\n")
    assert found.supports is None and found.package == "msal" and "MSAL" in found.reason
    assert proposed_mode([found])[0] is None
    both = assess_file("requirements.txt", "msal==1.28.0\nazure-identity==1.15.0\n")
    assert [a.package for a in both] == ["azure-identity"]


def test_files_without_the_sdk_or_of_other_formats_give_nothing() -> None:
    assert assess_file("requirements.txt", "requests==2.0\n") == []
    assert assess_file("README.md", "azure-identity==1.0.0\n") == []


@pytest.mark.parametrize(
    "path, expected, application",
    [
        ("requirements.txt", "requirements", "."),
        ("svc/requirements-dev.txt", "requirements", "svc"),
        ("svc/requirements/base.txt", "requirements", "svc"),
        ("svc/notes.txt", None, "svc"),
        ("a/b/pyproject.toml", "pyproject", "a/b"),
        ("web/package.json", "package.json", "web"),
        ("web/package-lock.json", None, "web"),
        ("go.mod", "go.mod", "."),
        ("java/pom.xml", "pom", "java"),
        ("java/build.gradle.kts", "gradle", "java"),
        ("java/gradle/libs.versions.toml", "catalog", "java"),
        ("src/Api/Api.csproj", "msbuild", "src/Api"),
        ("src/Api/packages.config", "packages.config", "src/Api"),
        ("Directory.Packages.props", None, "."),
    ],
)
def test_formats_and_applications(path: str, expected: str | None, application: str) -> None:
    assert dependency_format(path) == expected
    assert application_of(path) == application


def _assessment(supports: bool | None, version: str | None = "1.10.0", declared: str = "==1.10.0") -> Assessment:
    return Assessment("Python", "azure-identity", declared, version, supports, "requirements.txt", 3, "reason")


def test_proposed_mode_sidecar_names_the_old_sdk() -> None:
    found = one("requirements.txt", "requests\n\nazure-identity==1.10.0\n")
    mode, reason = proposed_mode([found, _assessment(True)])
    assert mode == "sidecar"
    assert reason == (
        "azure-identity 1.10.0 (requirements.txt:3) is older than 1.13.0, the first version with workload identity: "
        "propose the proxy sidecar"
    )


def test_proposed_mode_label_none_and_unknowns() -> None:
    mode, reason = proposed_mode([_assessment(True), _assessment(None, None, "")])
    assert mode == "label" and "propose label mode" in reason and "not known: azure-identity (no version)" in reason
    assert proposed_mode([_assessment(None, None, "*")])[0] is None
    mode, reason = proposed_mode([])
    assert mode is None and "no Azure Identity SDK" in reason


def test_describe_for_ranges_and_unread_files() -> None:
    ranged = one("requirements.txt", "azure-identity>=1.10,<2\n")
    assert ranged.describe() == (
        "azure-identity >=1.10,<2 (requirements.txt:1) admits 1.10, older than 1.13.0, "
        "the first version with workload identity"
    )
    unread = sdk_detect.not_read("svc/pom.xml", "could not be read: Permission denied")
    assert unread.describe() == "svc/pom.xml (Java) could not be read: Permission denied"
    assert (unread.package, unread.supports, unread.line) == ("com.azure:azure-identity", None, 0)


FUZZ_PATHS = [
    "requirements.txt",
    "pyproject.toml",
    "setup.cfg",
    "Pipfile",
    "package.json",
    "go.mod",
    "pom.xml",
    "build.gradle.kts",
    "gradle/libs.versions.toml",
    "Api.csproj",
    "packages.config",
]
FUZZ_PIECES = [
    "azure-identity",
    "@azure/identity",
    "com.azure:azure-identity:",
    "github.com/Azure/azure-sdk-for-go/sdk/azidentity",
    "Azure.Identity",
    "msal",
    '<PackageReference Include="Azure.Identity" Version="',
    "<artifactId>azure-identity</artifactId><version>",
    "${",
    "$(",
    "[",
    "]",
    "{",
    "}",
    '"',
    "'",
    "=",
    "==",
    "^",
    "~",
    ",",
    "||",
    "1.9.0",
    "v1.3.0",
    "*",
    "\n",
    " ",
    "#",
    "//",
    "<",
    ">",
    "require (",
    ")",
    "\\",
]


@settings(max_examples=300, deadline=None)
@given(path=st.sampled_from(FUZZ_PATHS), pieces=st.lists(st.sampled_from(FUZZ_PIECES), max_size=40))
def test_any_text_gives_assessments_never_an_exception(path: str, pieces: list[str]) -> None:
    text = "".join(pieces)
    context = {"package-lock.json": text, "gradle.properties": text, "Directory.Packages.props": text}
    for found in assess_file(path, text, context):
        assert found.supports in (True, False, None) and found.file == path
        assert found.describe()

"""Walking trees and reading files: safety, templates, prefilter, odd bytes."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.sources.manifests.reader import (
    POD_IDENTITY_NEEDLES,
    may_declare_context,
    may_mention_pod_identity,
    parse_file,
    split_documents,
)
from migrator.sources.manifests.walk import FoundFile, walk
from tests.conftest import binding, codes, identity

OK = identity() + "---\n" + binding()


def test_hidden_folders_are_skipped_and_suffixes_filtered(tree):
    root = tree({".git/x.yaml": OK, "a/.hidden/y.yaml": OK, "a/b.yaml": OK, "a/c.txt": OK, "a/d.json": "{}"})
    found = sorted(os.path.relpath(f.path, root) for f in walk(str(root)) if isinstance(f, FoundFile))
    assert found == ["a/b.yaml", "a/d.json"]


def test_symlinked_directories_are_not_entered(tree, tmp_path):
    root = tree({"real/a.yaml": OK})
    (root / "loop").symlink_to(root, target_is_directory=True)
    found = [f for f in walk(str(root)) if isinstance(f, FoundFile)]
    assert len(found) == 1


def test_helm_template_is_reported_not_parsed(discover):
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    metadata:\n      labels:\n"
        "        aadpodidbinding: {{ .Values.binding }}\n"
    )
    inv, findings = discover({"templates/deploy.yaml": text})
    assert codes(findings) == ["template-not-yaml"]
    assert findings[0].source.endswith("deploy.yaml:7") and "line 7 (aadpodidbinding)" in findings[0].message
    assert inv.workloads == []


def test_terraform_directive_template_is_reported(discover):
    _, findings = discover({"values.yaml.tpl": "podLabels:\n%{ if azure }\n  aadpodidbinding: velero\n%{ endif }\n"})
    assert codes(findings) == ["template-not-yaml"]


def test_quoted_template_expressions_are_still_yaml(discover):
    inv, findings = discover({"a.yaml": OK.replace("selector: id1", 'selector: "{{ .Values.sel }}"')})
    assert "unresolved-variable" in codes(findings)
    assert len(inv.bindings) == 1


def test_prefilter_skips_unrelated_files_without_parsing(discover):
    inv, findings = discover({"cm.yaml": "kind: ConfigMap\ndata: [broken\n", "a.yaml": OK})
    assert inv.stats["files"] == 2 and inv.stats["filesRead"] == 1
    assert codes(findings) == ["unused-binding"]  # the broken unrelated file costs nothing and reports nothing


def test_crlf_and_missing_final_newline(discover):
    text = (identity() + "---\n" + binding()).replace("\n", "\r\n").rstrip("\r\n")
    inv, _ = discover({"crlf.yaml": text})
    assert len(inv.identities) == 1 and len(inv.bindings) == 1
    assert inv.bindings[0].selector == "id1"


def test_split_documents_keeps_line_numbers():
    chunks = split_documents("a: 1\n---\nb: 2\n--- # c\nc: 3\n")
    assert [line for line, _ in chunks] == [1, 2, 4]


def test_byte_prefilters():
    assert all(may_mention_pod_identity(needle) for needle in POD_IDENTITY_NEEDLES)
    assert may_mention_pod_identity(b"labels:\n  aadpodidbinding: x\n")
    assert not may_mention_pod_identity(b"kind: ConfigMap\n")
    assert may_declare_context(b"kind: ServiceAccount\nmetadata: {name: a}\n")
    assert may_declare_context(b"kind: List\nitems:\n  - apiVersion: v1\n    kind: ServiceAccount\n")
    assert may_declare_context(b"kind: List\nitems:\n- kind: ServiceAccount\n  metadata: {name: a}\n")
    assert not may_declare_context(b"kind: Role\nrules: []\n")
    assert not may_declare_context(b"kind: RoleBinding\nsubjects:\n- kind: ServiceAccount\n  name: a\n")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(data):
    result = parse_file("x.yaml", b"kind: AzureIdentity\n" + data)
    assert isinstance(result.findings, list)

"""The splicing editor: each edit changes only its own lines, in the document's own style."""

from __future__ import annotations

import difflib
import json

import pytest
import yaml

from migrator.rewrite.edits import AppendItem, DeleteItem, DeleteKey, EditError, SetKey, apply
from migrator.rewrite.yamledit import edit_document, render

LABELS = ("spec", "template", "metadata", "labels")
ANNOTATIONS = ("spec", "template", "metadata", "annotations")
USE = SetKey(LABELS, "azure.workload.identity/use", "true")

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web   # the shop front
spec:
  template:
    metadata:
      labels:
        app: web
        aadpodidbinding: web-id  # pod identity, until cleanup

    spec:
      containers:
      - name: web
        image: nginx
"""


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.ndiff(before.splitlines(keepends=True), after.splitlines(keepends=True))
        if line[:1] in "+-"
    ]


def test_added_label_is_the_only_new_line():
    after = edit_document(DEPLOYMENT, [USE])
    assert changed_lines(DEPLOYMENT, after) == ['+         azure.workload.identity/use: "true"\n']
    assert after.index("azure.workload") < after.index("\n\n    spec:")  # inside labels, before the blank line


def test_deleting_a_key_takes_its_trailing_comment_and_nothing_else():
    after = edit_document(DEPLOYMENT, [DeleteKey(LABELS, "aadpodidbinding", 2)])
    assert changed_lines(DEPLOYMENT, after) == ["-         aadpodidbinding: web-id  # pod identity, until cleanup\n"]


@pytest.mark.parametrize("indent", [2, 4])
@pytest.mark.parametrize("nl", ["\n", "\r\n"])
@pytest.mark.parametrize("final_newline", [True, False])
def test_indentation_line_endings_and_final_newline_are_kept(indent, nl, final_newline):
    pad = " " * indent
    lines = ["kind: Job", "spec:", f"{pad}template:", f"{pad * 2}spec:", f"{pad * 3}restartPolicy: Never"]
    text = nl.join(lines) + (nl if final_newline else "")
    after = edit_document(text, [USE, SetKey(("spec", "template", "spec"), "serviceAccountName", "job-sa")])
    assert after.count("\r\n") == (after.count("\n") if nl == "\r\n" else 0)
    assert after.endswith(nl) == final_newline
    assert f"\n{pad * 2}metadata:{nl}{pad * 3}labels:{nl}{pad * 4}azure.workload.identity/use:" in after
    assert f"{pad * 3}serviceAccountName: job-sa" in after
    added = ("metadata:", "labels:", "azure.workload", "serviceAccountName")
    assert [line for line in after.split(nl) if line and not any(a in line for a in added)] == lines
    assert yaml.safe_load(after)["spec"]["template"]["metadata"]["labels"] == {"azure.workload.identity/use": "true"}


def test_flow_mapping_gets_the_item_inline_with_its_spacing():
    text = "spec:\n  template:\n    metadata:\n      labels: { app: web,  aadpodidbinding: x }\n"
    after = edit_document(text, [USE])
    assert after == (
        "spec:\n  template:\n    metadata:\n"
        '      labels: { app: web,  aadpodidbinding: x, azure.workload.identity/use: "true" }\n'
    )
    assert edit_document(after, [DeleteKey(LABELS, "aadpodidbinding", 2)]) == (
        'spec:\n  template:\n    metadata:\n      labels: { app: web,  azure.workload.identity/use: "true" }\n'
    )


def test_quotes_follow_the_neighbours():
    text = "metadata:\n  labels:\n    app: 'web'\n"
    assert "    azure.workload.identity/use: 'true'\n" in edit_document(
        text, [SetKey(("metadata", "labels"), "azure.workload.identity/use", "true")]
    )
    plain = "metadata:\n  annotations:\n    team: shop\n"
    assert "    client: 0f1e2d3c\n" in edit_document(plain, [SetKey(("metadata", "annotations"), "client", "0f1e2d3c")])


def test_replacing_a_value_keeps_its_quote_style():
    text = 'spec:\n  parameters:\n    usePodIdentity: "true"   # managed by ops\n    keyvaultName: kv\n'
    after = edit_document(text, [SetKey(("spec", "parameters"), "usePodIdentity", "false")])
    assert changed_lines(text, after) == [
        '-     usePodIdentity: "true"   # managed by ops\n',
        '+     usePodIdentity: "false"  # managed by ops\n',  # the comment keeps its column
    ]


def test_a_plain_value_that_would_change_type_is_quoted():
    text = "spec:\n  parameters:\n    usePodIdentity: true\n"
    after = edit_document(text, [SetKey(("spec", "parameters"), "usePodIdentity", "false")])
    assert after == 'spec:\n  parameters:\n    usePodIdentity: "false"\n'


def test_missing_parents_are_created_at_the_documents_step():
    text = "kind: Pod\nmetadata:\n    name: p\nspec:\n    containers: []\n"
    after = edit_document(text, [SetKey(("metadata", "labels"), "azure.workload.identity/use", "true")])
    assert after == (
        'kind: Pod\nmetadata:\n    name: p\n    labels:\n        azure.workload.identity/use: "true"\n'
        "spec:\n    containers: []\n"
    )


def test_empty_and_null_parents():
    empty = "metadata:\n  labels:\n  name: x\n"
    assert (
        edit_document(empty, [SetKey(("metadata", "labels"), "k", "v")])
        == "metadata:\n  labels:\n    k: v\n  name: x\n"
    )
    explicit = "metadata:\n  labels: null\n"
    assert edit_document(explicit, [SetKey(("metadata", "labels"), "k", "v")]) == "metadata:\n  labels: {k: v}\n"
    braces = "metadata:\n  labels: {}\n"
    assert edit_document(braces, [SetKey(("metadata", "labels"), "k", "v")]) == "metadata:\n  labels: {k: v}\n"


def test_an_emptied_mapping_goes_up_to_the_kept_level():
    text = (
        "spec:\n  template:\n    metadata:\n      annotations:\n"
        '        azure.workload.identity/inject-proxy-sidecar: "true"\n'
        '        azure.workload.identity/proxy-sidecar-port: "8000"\n'
        "    spec: {}\n"
    )
    edits = [
        DeleteKey(ANNOTATIONS, "azure.workload.identity/inject-proxy-sidecar", 2),
        DeleteKey(ANNOTATIONS, "azure.workload.identity/proxy-sidecar-port", 2),
    ]
    assert edit_document(text, edits) == "spec:\n  template:\n    spec: {}\n"


def test_block_scalar_before_the_insertion_point_is_untouched():
    text = "metadata:\n  annotations:\n    note: |\n      line one\n      line two\n  name: x\n"
    after = edit_document(text, [SetKey(("metadata", "annotations"), "k", "v")])
    assert after == "metadata:\n  annotations:\n    note: |\n      line one\n      line two\n    k: v\n  name: x\n"


def test_sequences_append_and_remove_in_either_indentation():
    for text, item in (("resources:\n- a.yaml\n- b.yaml\n", "- "), ("resources:\n  - a.yaml\n  - b.yaml\n", "  - ")):
        added = edit_document(text, [AppendItem(("resources",), "sa.yaml")])
        assert added == text + f"{item}sa.yaml\n"
        assert edit_document(added, [DeleteItem(("resources",), 0)]) == text.replace(f"{item}a.yaml\n", "") + (
            f"{item}sa.yaml\n"
        )
    assert edit_document("kind: K\nresources: [a.yaml]\n", [DeleteItem(("resources",), 0)]) == "kind: K\n"
    assert edit_document("kind: K\n", [AppendItem(("resources",), "x.yaml")]) == "kind: K\nresources:\n- x.yaml\n"


def test_json_stays_json():
    doc = {"kind": "Pod", "metadata": {"name": "p", "labels": {"aadpodidbinding": "x"}}, "spec": {"containers": []}}
    for text in (json.dumps(doc), json.dumps(doc, indent=2)):
        after = edit_document(
            text,
            [
                SetKey(("metadata", "labels"), "azure.workload.identity/use", "true"),
                SetKey(("spec",), "serviceAccountName", "p-sa"),
                DeleteKey(("metadata", "labels"), "aadpodidbinding"),
            ],
        )
        data = json.loads(after)
        assert data["metadata"]["labels"] == {"azure.workload.identity/use": "true"}
        assert data["spec"]["serviceAccountName"] == "p-sa"


def test_an_alias_shared_with_another_field_is_refused():
    text = "labels: &l\n  app: web\nselector:\n  matchLabels: *l\n"
    with pytest.raises(EditError, match="by hand"):
        edit_document(text, [SetKey(("labels",), "k", "v")])


def test_a_key_sharing_its_line_is_refused():
    with pytest.raises(EditError, match="more than the entry"):
        edit_document("items:\n- a: 1\n  b: 2\n", [DeleteKey(("items", 0), "a")])


@pytest.mark.parametrize(
    "value", ["true", "8000", "", "a: b", "#x", "- x", "null", "0x1F", "yes", "it's", 'say "hi"', "1e3", "~"]
)
@pytest.mark.parametrize("style", [None, "'", '"'])
def test_render_reads_back_as_the_same_string(value, style):
    assert yaml.safe_load(f"k: {render(value, style)}") == {"k": value}
    assert yaml.safe_load(f"{{k: {render(value, style, flow=True)}}}") == {"k": value}


def test_structural_apply_matches_the_text():
    text = DEPLOYMENT
    edits = [USE, SetKey(ANNOTATIONS, "a", "1"), DeleteKey(LABELS, "aadpodidbinding", 2)]
    assert yaml.safe_load(edit_document(text, edits)) == apply(yaml.safe_load(text), edits)


def test_removing_the_last_line_keeps_a_block_scalars_newline():
    text = "data:\n  script: |\n    echo hi\n  other: 1"  # no final newline
    assert edit_document(text, [DeleteKey(("data",), "other")]) == "data:\n  script: |\n    echo hi\n"
    plain = "data:\n  a: 1\n  other: 1"
    assert edit_document(plain, [DeleteKey(("data",), "other")]) == "data:\n  a: 1"  # still no final newline


def test_a_block_scalar_ending_the_file_keeps_its_value():
    text = "metadata:\n  annotations:\n    description: |\n      line"  # no final newline: the value is "line"
    after = edit_document(text, [SetKey(("metadata", "annotations"), "k", "v")])
    assert after == "metadata:\n  annotations:\n    k: v\n    description: |\n      line"

"""The lab's label and field selectors: k8s parsing, validation, matching and printing."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.lab.kube.selectors import (
    FieldSelector,
    LabelSelector,
    SelectorError,
    label_selector_from_object,
    label_selector_to_string,
    parse_field_selector,
    parse_label_selector,
)

FAST = settings(max_examples=25, deadline=None)

LABELS = {"app": "web", "tier": "fe", "env": "", "n": "10", "example.com/team": "blue"}


def _match(text: str, labels: dict[str, str] | None = LABELS) -> bool:
    return parse_label_selector(text).matches(labels)


# --------------------------------------------------------------------------------------------------
# Label selectors: query-string form


class TestLabelMatching:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("app=web", True),
            ("app==web", True),
            ("app=api", False),
            ("app!=api", True),
            ("app!=web", False),
            ("missing!=x", True),  # != matches objects without the label
            ("missing=x", False),
            ("app in (api,web)", True),
            ("app in (api)", False),
            ("missing in (x)", False),  # in requires the label
            ("app notin (api)", True),
            ("app notin (web,api)", False),
            ("missing notin (x)", True),  # notin matches objects without the label
            ("app", True),
            ("missing", False),
            ("!missing", True),
            ("!app", False),
            ("env=", True),  # an empty value is a value
            ("env", True),
            ("env in ()", True),  # "()" is the set {""}
            ("app in ()", False),
            ("example.com/team=blue", True),
            ("n>9", True),
            ("n>10", False),
            ("n<11", True),
            ("app>1", False),  # not an integer label: never matches
            ("missing<1", False),
            ("app=web,tier=fe", True),
            ("app=web,tier=be", False),
            ("app=web,tier in (fe),!missing,env,n notin (1,2)", True),
        ],
    )
    def test_matches(self, text: str, expected: bool) -> None:
        assert _match(text) is expected

    def test_none_labels_are_no_labels(self) -> None:
        assert _match("app!=web", None)
        assert _match("!app", None)
        assert not _match("app", None)
        assert _match("", None)

    @pytest.mark.parametrize("text", [None, "", "   ", "\t\n"])
    def test_empty_selector_matches_everything(self, text: str | None) -> None:
        sel = parse_label_selector(text)
        assert sel.empty
        assert sel.matches({}) and sel.matches(LABELS) and sel.matches(None)
        assert str(sel) == ""

    def test_non_empty_selector_is_not_empty(self) -> None:
        assert not parse_label_selector("a").empty

    def test_selector_is_immutable(self) -> None:
        sel = parse_label_selector("a=b")
        with pytest.raises(dataclasses.FrozenInstanceError):
            sel.requirements = ()  # type: ignore[misc]
        with pytest.raises(dataclasses.FrozenInstanceError):
            sel.requirements[0].key = "z"  # type: ignore[misc]
        assert isinstance(sel.requirements, tuple)
        assert hash(sel) == hash(parse_label_selector("a = b"))


class TestLabelParsing:
    @pytest.mark.parametrize(
        ("text", "canonical"),
        [
            ("a=b,c!=d,e in (x,y),f notin (z),g,!h", "a=b,c!=d,e in (x,y),f notin (z),g,!h"),
            ("  a = b ,  c  ", "a=b,c"),
            ("a\t==\tb", "a==b"),
            ("tier in (b, a ,c),app=web", "app=web,tier in (a,b,c)"),  # sorted by key, values sorted
            ("x in (foo,,baz),y,z notin ()", "x in (,baz,foo),y,z notin ()"),
            ("x in (,a)", "x in (,a)"),
            ("x in (a,)", "x in (,a)"),
            ("a=", "a="),
            ("a!=,b", "a!=,b"),
            ("in in (in,notin)", "in in (in,notin)"),  # keywords are values where values are expected
            ("notin=in", "notin=in"),
            ("a>5,b<10", "a>5,b<10"),
            ("a in(x)", "a in (x)"),
            ("!a,!b", "!a,!b"),
            ("app.kubernetes.io/name=web", "app.kubernetes.io/name=web"),
            ("a=b,a=c", "a=b,a=c"),
        ],
    )
    def test_canonical_string(self, text: str, canonical: str) -> None:
        sel = parse_label_selector(text)
        assert str(sel) == canonical
        assert parse_label_selector(canonical) == sel

    def test_requirements_are_sorted_by_key_stably(self) -> None:
        sel = parse_label_selector("b=1,a=2,b=0")
        assert [(r.key, r.operator, r.values) for r in sel.requirements] == [
            ("a", "=", ("2",)),
            ("b", "=", ("1",)),
            ("b", "=", ("0",)),
        ]

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("a=b=c", "found '=', expected: ',' or 'end of string'"),
            ("a,", "found '', expected: identifier after ','"),
            (",a", "found ',', expected: !, identifier, or 'end of string'"),
            ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
            ("env IN (a)", "unable to parse requirement: found 'IN', expected: in, notin, =, ==, !=, gt, lt"),
            ("a in b", "unable to parse requirement: found 'b' expected: '('"),
            ("a in (b", "unable to parse requirement: found '', expected: ',' or ')'"),
            ("a in (b c)", "unable to parse requirement: found 'c', expected: ',' or ')'"),
            ("a in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"),
            ("a=(", "unable to parse requirement: found '(', expected: identifier"),
            ("!", "unable to parse requirement: found '', expected: identifier"),
            ("!a=b", "found '=', expected: ',' or 'end of string'"),
            ("a>x", "for 'Gt', 'Lt' operators, the value must be an integer"),
            ("a:=b", 'unable to parse requirement: <nil>: Invalid value: "a:": name part must consist of'),
            ("-a", 'unable to parse requirement: <nil>: Invalid value: "-a"'),
            ("a=-b", 'unable to parse requirement: values[0][a]: Invalid value: "-b": a valid label must be'),
        ],
    )
    def test_errors_read_like_the_apiserver(self, text: str, message: str) -> None:
        with pytest.raises(SelectorError) as info:
            parse_label_selector(text)
        assert message in str(info.value)
        assert info.value.status == 400

    @pytest.mark.parametrize(
        "key",
        [
            "a" * 63,
            "A.b-c_d9",
            "example.com/" + "a" * 63,
            "a.b.c/x",
            "1/2",
            "kubernetes.azure.com/managedby",
        ],
    )
    def test_valid_keys(self, key: str) -> None:
        assert parse_label_selector(f"{key}=v").requirements[0].key == key

    @pytest.mark.parametrize(
        "key",
        [
            "a" * 64,  # name part too long
            "Example.com/a",  # prefix must be lowercase
            "/a",  # empty prefix
            "a/",  # empty name
            "a/b/c",
            "-a.com/x",
            "a_b.com/x",
            "a" * 254 + "/x",  # prefix too long
            "_a",
            "a.",
            "é",
        ],
    )
    def test_invalid_keys(self, key: str) -> None:
        with pytest.raises(SelectorError, match="unable to parse requirement"):
            parse_label_selector(f"{key}=v")

    @pytest.mark.parametrize("value", ["", "a", "A-b_c.9", "x" * 63, "1"])
    def test_valid_values(self, value: str) -> None:
        assert parse_label_selector(f"k={value}").matches({"k": value})

    @pytest.mark.parametrize("value", ["x" * 64, "-a", "a-", ".a", "a/b", "é", "a:b"])
    def test_invalid_values(self, value: str) -> None:
        with pytest.raises(SelectorError, match=r"values\[0\]\[k\]"):
            parse_label_selector(f"k={value}")


# --------------------------------------------------------------------------------------------------
# Label selectors: object form


class TestLabelSelectorObject:
    def test_match_labels_and_expressions(self) -> None:
        sel = label_selector_from_object(
            {
                "matchLabels": {"app": "web"},
                "matchExpressions": [
                    {"key": "tier", "operator": "In", "values": ["fe", "be"]},
                    {"key": "env", "operator": "Exists"},
                    {"key": "old", "operator": "DoesNotExist"},
                    {"key": "zone", "operator": "NotIn", "values": ["z1"]},
                ],
            }
        )
        assert sel.matches(LABELS)
        assert not sel.matches({**LABELS, "old": "1"})
        assert not sel.matches({**LABELS, "tier": "db"})
        assert not sel.matches({**LABELS, "zone": "z1"})
        assert sel.matches({**LABELS, "zone": "z2"})
        assert not sel.matches({"app": "web", "tier": "fe"})  # env missing

    @pytest.mark.parametrize("obj", [None, {}, {"matchLabels": {}}, {"matchLabels": None, "matchExpressions": None}])
    def test_empty_matches_everything(self, obj: dict[str, Any] | None) -> None:
        sel = label_selector_from_object(obj)
        assert sel.empty and sel.matches(LABELS) and sel.matches(None)
        assert label_selector_to_string(obj) == ""

    @pytest.mark.parametrize(
        ("obj", "message"),
        [
            ({"matchExpressions": [{"key": "a", "operator": "Foo"}]}, '"Foo" is not a valid label selector operator'),
            ({"matchExpressions": [{"key": "a", "operator": "in", "values": ["x"]}]}, '"in" is not a valid'),
            ({"matchExpressions": [{"key": "a", "operator": "In"}]}, "values set can't be empty"),
            ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": []}]}, "values set can't be empty"),
            (
                {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]},
                "values set must be empty for exists and does not exist",
            ),
            ({"matchLabels": {"bad key": "v"}}, 'key: Invalid value: "bad key"'),
            ({"matchLabels": {"k": "bad value"}}, 'values[0][k]: Invalid value: "bad value"'),
            ({"matchLabels": {"k": 1}}, "must be a string"),
            ({"matchLabels": ["k"]}, "matchLabels"),
            ({"matchExpressions": {"key": "a"}}, "matchExpressions"),
            ("app=web", "expected an object"),
        ],
    )
    def test_invalid(self, obj: Any, message: str) -> None:
        with pytest.raises(SelectorError) as info:
            label_selector_from_object(obj)
        assert message in info.value.message

    @pytest.mark.parametrize(
        ("obj", "text"),
        [
            ({"matchLabels": {"app": "web"}}, "app=web"),
            (
                {
                    "matchLabels": {"app": "web"},
                    "matchExpressions": [{"key": "tier", "operator": "In", "values": ["b", "a"]}],
                },
                "app=web,tier in (a,b)",
            ),
            ({"matchLabels": {"z": "1", "a": "2"}}, "a=2,z=1"),
            (
                {
                    "matchExpressions": [
                        {"key": "x", "operator": "NotIn", "values": ["q"]},
                        {"key": "e", "operator": "Exists"},
                        {"key": "d", "operator": "DoesNotExist"},
                    ]
                },
                "!d,e,x notin (q)",
            ),
        ],
    )
    def test_to_string(self, obj: dict[str, Any], text: str) -> None:
        assert label_selector_to_string(obj) == text
        assert parse_label_selector(text) == label_selector_from_object(obj)

    def test_does_not_mutate(self) -> None:
        obj = {"matchExpressions": [{"key": "t", "operator": "In", "values": ["b", "a"]}]}
        label_selector_to_string(obj)
        assert obj == {"matchExpressions": [{"key": "t", "operator": "In", "values": ["b", "a"]}]}


label_keys = st.sampled_from(["app", "tier", "example.com/team", "a.b-c_d", "x"])
label_values = st.sampled_from(["", "web", "fe", "A.b-c_9", "1"])
label_maps = st.dictionaries(label_keys, label_values, max_size=4)
expressions = st.one_of(
    st.builds(
        lambda k, op, vs: {"key": k, "operator": op, "values": vs},
        label_keys,
        st.sampled_from(["In", "NotIn"]),
        st.lists(label_values, min_size=1, max_size=3, unique=True),
    ),
    st.builds(lambda k, op: {"key": k, "operator": op}, label_keys, st.sampled_from(["Exists", "DoesNotExist"])),
)
selector_objects = st.fixed_dictionaries(
    {}, optional={"matchLabels": label_maps, "matchExpressions": st.lists(expressions, max_size=3)}
)


def _reference_match(obj: dict[str, Any], labels: dict[str, str]) -> bool:
    """An independent reading of metav1.LabelSelector semantics."""
    for k, v in (obj.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in obj.get("matchExpressions") or []:
        present, value = e["key"] in labels, labels.get(e["key"])
        ok = {
            "In": present and value in e.get("values", []),
            "NotIn": not present or value not in e.get("values", []),
            "Exists": present,
            "DoesNotExist": not present,
        }[e["operator"]]
        if not ok:
            return False
    return True


class TestLabelProperties:
    @FAST
    @given(obj=selector_objects, labels=label_maps)
    def test_object_form_round_trips_through_the_string(self, obj: dict[str, Any], labels: dict[str, str]) -> None:
        from_obj = label_selector_from_object(obj)
        text = label_selector_to_string(obj)
        from_text = parse_label_selector(text)
        assert str(from_text) == text
        assert from_text.matches(labels) == from_obj.matches(labels) == _reference_match(obj, labels)

    @FAST
    @given(labels=label_maps)
    def test_a_label_set_selects_itself(self, labels: dict[str, str]) -> None:
        text = ",".join(f"{k}={v}" for k, v in labels.items())
        assert parse_label_selector(text).matches(labels)
        assert label_selector_from_object({"matchLabels": labels}).matches({**labels, "extra": "1"})

    @FAST
    @given(key=label_keys, value=label_values, labels=label_maps)
    def test_negations_are_complements(self, key: str, value: str, labels: dict[str, str]) -> None:
        assert _match(f"{key}={value}", labels) != _match(f"{key}!={value}", labels)
        assert _match(f"{key} in ({value})", labels) != _match(f"{key} notin ({value})", labels)
        assert _match(key, labels) != _match(f"!{key}", labels)


# --------------------------------------------------------------------------------------------------
# Field selectors


EVENT = {
    "metadata": {"name": "web.123", "namespace": "default"},
    "involvedObject": {"kind": "Pod", "name": "web-abc", "uid": "u1"},
    "reason": "Started",
    "count": 3,
    "status": {"phase": "Running", "ready": True},
    "spec": {"nodeName": None, "list": [1]},
}


class TestFieldSelector:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("metadata.name=web.123", True),
            ("metadata.name==web.123", True),
            ("metadata.name=web", False),
            ("metadata.name!=web", True),
            ("metadata.name=web.123,involvedObject.kind=Pod", True),
            ("involvedObject.kind=Pod,status.phase!=Running", False),
            ("metadata.name=web.123,involvedObject.kind=Pod,status.phase!=Pending", True),
            ("spec.nodeName=", True),  # null compares as ""
            ("spec.missing.deeper=", True),  # missing compares as ""
            ("spec.missing!=", False),
            ("spec.missing=x", False),
            ("spec.missing!=x", True),
            ("count=3", True),
            ("status.ready=true", True),
            ("spec.list=", False),  # a list is not a field value
            ("spec.list!=", True),
            ("metadata=", False),
            ("reason.sub=", True),  # cannot descend into a string: missing
        ],
    )
    def test_matches(self, text: str, expected: bool) -> None:
        assert parse_field_selector(text).matches(EVENT) is expected

    @pytest.mark.parametrize("text", [None, ""])
    def test_empty(self, text: str | None) -> None:
        sel = parse_field_selector(text)
        assert sel.empty and sel.matches({}) and sel == FieldSelector()

    def test_kubectl_rollout_status_selector(self) -> None:
        sel = parse_field_selector("metadata.name=web")
        assert sel.exact("metadata.name") == "web"
        assert sel.exact("metadata.namespace") is None
        assert parse_field_selector("metadata.name!=web").exact("metadata.name") is None
        assert sel.matches({"metadata": {"name": "web"}}) and not sel.matches({"metadata": {"name": "web2"}})

    def test_escaped_values(self) -> None:
        sel = parse_field_selector(r"metadata.name=a\,b\=c\\d,reason=x")
        assert [(r.field, r.operator, r.value) for r in sel.requirements] == [
            ("metadata.name", "=", "a,b=c\\d"),
            ("reason", "=", "x"),
        ]
        assert sel.matches({"metadata": {"name": "a,b=c\\d"}, "reason": "x"})
        assert parse_field_selector(str(sel)) == sel

    def test_split_on_first_operator(self) -> None:
        (req,) = parse_field_selector("a!=b").requirements
        assert (req.field, req.operator, req.value) == ("a", "!=", "b")
        (req,) = parse_field_selector("a==b").requirements
        assert (req.field, req.operator, req.value) == ("a", "=", "b")

    def test_empty_terms_are_skipped_and_spaces_kept(self) -> None:
        sel = parse_field_selector("a=b,,c=d,")
        assert [r.field for r in sel.requirements] == ["a", "c"]
        assert parse_field_selector("metadata.name= web").requirements[0].value == " web"  # k8s does not trim

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("metadata.name", "invalid selector: 'metadata.name'; can't understand 'metadata.name'"),
            ("a=b,c", "can't understand 'c'"),
            (r"a=b\x", "invalid field selector: invalid escape sequence: \\x"),
            ("a=b\\", "invalid field selector: invalid escape sequence: \\"),
            ("a=b=c", "invalid field selector: unescaped character in value: ="),
            ("a!=b=c", "unescaped character in value: ="),
        ],
    )
    def test_errors(self, text: str, message: str) -> None:
        with pytest.raises(SelectorError) as info:
            parse_field_selector(text)
        assert message in info.value.message

    @FAST
    @given(
        terms=st.lists(
            st.tuples(
                st.sampled_from(["metadata.name", "metadata.namespace", "involvedObject.kind", "status.phase"]),
                st.sampled_from(["=", "==", "!="]),
                st.text(alphabet="ab,=\\ .-", max_size=6),
            ),
            max_size=4,
        )
    )
    def test_escaping_round_trips(self, terms: list[tuple[str, str, str]]) -> None:
        def esc(v: str) -> str:
            return v.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")

        text = ",".join(f"{f}{op}{esc(v)}" for f, op, v in terms)
        sel = parse_field_selector(text)
        assert sorted((r.field, r.operator, r.value) for r in sel.requirements) == sorted(
            (f, "!=" if op == "!=" else "=", v) for f, op, v in terms
        )
        assert parse_field_selector(str(sel)) == sel
        obj = {"metadata": {"name": terms[0][2] if terms else ""}}
        expected = all(
            ((obj["metadata"]["name"] if f == "metadata.name" else "") == v) == (op != "!=") for f, op, v in terms
        )
        assert sel.matches(obj) is expected


def test_label_selector_type() -> None:
    assert isinstance(parse_label_selector("a"), LabelSelector)

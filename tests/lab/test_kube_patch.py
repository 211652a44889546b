"""The lab's PATCH semantics: RFC 6902, RFC 7386 and Kubernetes strategic merge patch."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.lab.kube.patch import PatchError, json_patch, merge_patch, strategic_merge

FAST = settings(max_examples=20, deadline=None)

scalars = st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from(["", "a", "b", "x/y", "m~n"])
keys = st.sampled_from(["a", "b", "c", "name", "image", "x/y", "m~n"])
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=8,
)
json_objects = st.dictionaries(keys, json_values, max_size=4)


def _directive_keys(value: Any) -> list[str]:
    """Every map key starting with "$", anywhere in a JSON value."""
    found: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k.startswith("$"):
                found.append(k)
            found.extend(_directive_keys(v))
    elif isinstance(value, list):
        for v in value:
            found.extend(_directive_keys(v))
    return found


def _deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}, "finalizers": ["a", "b"]},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}, "annotations": {"keep": "me"}},
                "spec": {
                    "serviceAccountName": "sa",
                    "containers": [
                        {
                            "name": "c",
                            "image": "nginx:1",
                            "args": ["--a", "--b"],
                            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                            "ports": [{"containerPort": 80, "name": "http"}],
                            "volumeMounts": [{"name": "v", "mountPath": "/data"}],
                        },
                        {"name": "sidecar", "image": "proxy:1"},
                    ],
                    "volumes": [{"name": "v", "emptyDir": {}}],
                    "tolerations": [{"key": "k", "operator": "Exists"}],
                },
            },
        },
    }


def _pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["spec"]["template"]["spec"]


# --------------------------------------------------------------------------------------------------
# JSON patch (RFC 6902)


class TestJsonPatch:
    def test_add_to_object_array_and_append(self) -> None:
        doc = {"a": {"b": 1}, "l": [1, 3]}
        out = json_patch(
            doc,
            [
                {"op": "add", "path": "/a/c", "value": 2},
                {"op": "add", "path": "/l/1", "value": 2},
                {"op": "add", "path": "/l/-", "value": 4},
                {"op": "add", "path": "/l/4", "value": 5},  # index == len is allowed
            ],
        )
        assert out == {"a": {"b": 1, "c": 2}, "l": [1, 2, 3, 4, 5]}

    def test_add_replaces_an_existing_member(self) -> None:
        assert json_patch({"a": 1}, [{"op": "add", "path": "/a", "value": None}]) == {"a": None}

    @pytest.mark.parametrize(
        "op",
        [
            {"op": "add", "path": "/l/3", "value": 0},  # past the end
            {"op": "add", "path": "/missing/x", "value": 0},  # parent absent
            {"op": "add", "path": "/s/x", "value": 0},  # parent is a scalar
            {"op": "add", "path": "/l/01", "value": 0},  # leading zero
            {"op": "add", "path": "/l/x", "value": 0},  # not a number
            {"op": "remove", "path": "/nope"},
            {"op": "remove", "path": "/l/2"},
            {"op": "remove", "path": "/l/-"},
            {"op": "remove", "path": ""},
            {"op": "replace", "path": "/nope", "value": 1},
            {"op": "replace", "path": "/l/5", "value": 1},
            {"op": "move", "from": "/nope", "path": "/x"},
            {"op": "move", "from": "/o", "path": "/o/inner"},  # into its own child
            {"op": "copy", "from": "/nope", "path": "/x"},
            {"op": "test", "path": "/s", "value": "other"},
            {"op": "test", "path": "/nope", "value": None},
        ],
    )
    def test_failures_are_422(self, op: dict[str, Any]) -> None:
        doc = {"l": [1, 2], "s": "str", "o": {"k": 1}}
        with pytest.raises(PatchError) as info:
            json_patch(doc, [op])
        assert info.value.status == 422
        assert info.value.message

    @pytest.mark.parametrize(
        "ops",
        [
            {"op": "add", "path": "/a", "value": 1},  # not a list
            "[]",
            None,
            [1],
            [{"path": "/a", "value": 1}],  # no op
            [{"op": "frob", "path": "/a"}],
            [{"op": "add", "path": "/a"}],  # no value
            [{"op": "replace", "path": "/a"}],
            [{"op": "test", "path": "/a"}],
            [{"op": "move", "path": "/a"}],  # no from
            [{"op": "copy", "path": "/a", "from": 3}],
            [{"op": "add", "path": "a", "value": 1}],  # pointer must start with /
            [{"op": "add", "value": 1}],
            [{"op": "add", "path": "/a~2", "value": 1}],  # bad escape
            [{"op": "add", "path": "/a~", "value": 1}],
        ],
    )
    def test_malformed_patches_are_400(self, ops: object) -> None:
        with pytest.raises(PatchError) as info:
            json_patch({"a": 0}, ops)
        assert info.value.status == 400

    def test_malformed_op_later_in_the_list_is_caught_before_applying(self) -> None:
        with pytest.raises(PatchError) as info:
            json_patch({}, [{"op": "remove", "path": "/missing"}, {"op": "nope", "path": "/"}])
        assert info.value.status == 400

    def test_pointer_escapes(self) -> None:
        doc = {"a/b": 1, "m~n": 2, "": 3, "~1": 4}
        out = json_patch(
            doc,
            [
                {"op": "replace", "path": "/a~1b", "value": 10},
                {"op": "replace", "path": "/m~0n", "value": 20},
                {"op": "replace", "path": "/", "value": 30},  # the key ""
                {"op": "replace", "path": "/~01", "value": 40},  # "~01" is "~1", not "/"
            ],
        )
        assert out == {"a/b": 10, "m~n": 20, "": 30, "~1": 40}

    def test_kubernetes_annotation_key_with_slash(self) -> None:
        doc = {"metadata": {"annotations": {}}}
        out = json_patch(
            doc,
            [{"op": "add", "path": "/metadata/annotations/azure.workload.identity~1client-id", "value": "cid"}],
        )
        assert out["metadata"]["annotations"] == {"azure.workload.identity/client-id": "cid"}

    def test_replace_and_remove_in_arrays(self) -> None:
        doc = {"l": ["a", "b", "c"]}
        out = json_patch(doc, [{"op": "replace", "path": "/l/1", "value": "B"}, {"op": "remove", "path": "/l/0"}])
        assert out == {"l": ["B", "c"]}

    def test_replace_root(self) -> None:
        assert json_patch({"a": 1}, [{"op": "replace", "path": "", "value": {"b": 2}}]) == {"b": 2}

    def test_result_must_be_an_object(self) -> None:
        with pytest.raises(PatchError) as info:
            json_patch({"a": 1}, [{"op": "replace", "path": "", "value": [1]}])
        assert info.value.status == 422

    def test_move_and_copy(self) -> None:
        doc = {"a": {"x": [1]}, "l": [1, 2, 3]}
        out = json_patch(
            doc,
            [
                {"op": "copy", "from": "/a", "path": "/b"},
                {"op": "add", "path": "/b/x/-", "value": 2},  # the copy is independent
                {"op": "move", "from": "/l/0", "path": "/l/-"},
                {"op": "move", "from": "/a/x", "path": "/moved"},
            ],
        )
        assert out == {"a": {}, "b": {"x": [1, 2]}, "l": [2, 3, 1], "moved": [1]}

    def test_move_onto_itself_is_a_no_op_but_source_must_exist(self) -> None:
        assert json_patch({"a": 1}, [{"op": "move", "from": "/a", "path": "/a"}]) == {"a": 1}
        with pytest.raises(PatchError):
            json_patch({"a": 1}, [{"op": "move", "from": "/b", "path": "/b"}])

    def test_test_op_uses_json_equality(self) -> None:
        doc = {"n": 1, "t": True, "o": {"a": [1, {"b": None}]}}
        json_patch(doc, [{"op": "test", "path": "/n", "value": 1.0}])
        json_patch(doc, [{"op": "test", "path": "/o", "value": {"a": [1, {"b": None}]}}])
        json_patch(doc, [{"op": "test", "path": "", "value": copy.deepcopy(doc)}])
        with pytest.raises(PatchError, match="test"):
            json_patch(doc, [{"op": "test", "path": "/t", "value": 1}])  # true is not 1 in JSON
        with pytest.raises(PatchError):
            json_patch(doc, [{"op": "test", "path": "/n", "value": True}])
        with pytest.raises(PatchError):
            json_patch(doc, [{"op": "test", "path": "/o", "value": {"a": [{"b": None}, 1]}}])

    def test_failed_test_aborts_the_whole_patch(self) -> None:
        doc = {"metadata": {"resourceVersion": "5"}, "spec": {"replicas": 1}}
        with pytest.raises(PatchError):
            json_patch(
                doc,
                [
                    {"op": "replace", "path": "/spec/replicas", "value": 3},
                    {"op": "test", "path": "/metadata/resourceVersion", "value": "4"},
                ],
            )
        assert doc == {"metadata": {"resourceVersion": "5"}, "spec": {"replicas": 1}}

    def test_inputs_are_not_mutated_and_values_not_aliased(self) -> None:
        doc = {"a": {"b": [1]}}
        value = {"deep": [1]}
        ops = [{"op": "add", "path": "/v", "value": value}, {"op": "add", "path": "/a/b/-", "value": 2}]
        before_doc, before_ops = copy.deepcopy(doc), copy.deepcopy(ops)
        out = json_patch(doc, ops)
        assert doc == before_doc and ops == before_ops
        out["v"]["deep"].append(99)
        out["a"]["b"].append(99)
        assert value == {"deep": [1]} and doc == before_doc

    @FAST
    @given(doc=json_objects)
    def test_empty_patches_are_identities(self, doc: dict[str, Any]) -> None:
        for out in (json_patch(doc, []), merge_patch(doc, {}), strategic_merge(doc, {})):
            assert out == doc and out is not doc

    @FAST
    @given(
        doc=json_objects,
        ops=st.lists(
            st.fixed_dictionaries(
                {
                    "op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test"]),
                    "path": st.sampled_from(["", "/a", "/b", "/a/0", "/a/-", "/a/name", "/x~1y", "/m~0n/a"]),
                    "from": st.sampled_from(["/a", "/b", "/c", "/a/0"]),
                    "value": json_values,
                }
            ),
            max_size=4,
        ),
    )
    def test_never_mutates_inputs(self, doc: dict[str, Any], ops: list[dict[str, Any]]) -> None:
        before_doc, before_ops = copy.deepcopy(doc), copy.deepcopy(ops)
        try:
            out = json_patch(doc, ops)
        except PatchError as exc:
            assert exc.status == 422  # the ops are well-formed, so any failure is semantic
        else:
            assert isinstance(out, dict)
        assert doc == before_doc
        assert ops == before_ops

    @FAST
    @given(doc=json_objects, key=keys, value=json_values)
    def test_add_then_test_then_remove(self, doc: dict[str, Any], key: str, value: Any) -> None:
        pointer = "/" + key.replace("~", "~0").replace("/", "~1")
        out = json_patch(
            doc, [{"op": "add", "path": pointer, "value": value}, {"op": "test", "path": pointer, "value": value}]
        )
        assert out[key] == value
        removed = json_patch(out, [{"op": "remove", "path": pointer}])
        assert key not in removed
        assert {k: v for k, v in doc.items() if k != key} == removed


# --------------------------------------------------------------------------------------------------
# JSON merge patch (RFC 7386)

# RFC 7386 Appendix A, verbatim
RFC7386_CASES = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


class TestMergePatch:
    @pytest.mark.parametrize(("doc", "patch", "expected"), RFC7386_CASES)
    def test_rfc7386_examples(self, doc: object, patch: object, expected: object) -> None:
        assert merge_patch(doc, patch) == expected

    def test_lists_are_replaced_wholesale(self) -> None:
        doc = {"spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "2"}]}}
        out = merge_patch(doc, {"spec": {"containers": [{"name": "a", "image": "3"}]}})
        assert out == {"spec": {"containers": [{"name": "a", "image": "3"}]}}

    def test_kubectl_label_and_scale(self) -> None:
        doc = {"metadata": {"labels": {"app": "web", "old": "x"}}, "spec": {"replicas": 1}}
        out = merge_patch(doc, {"metadata": {"labels": {"new": "y", "old": None}}, "spec": {"replicas": 3}})
        assert out == {"metadata": {"labels": {"app": "web", "new": "y"}}, "spec": {"replicas": 3}}

    def test_nulls_inside_lists_are_kept(self) -> None:
        assert merge_patch({}, {"a": [None, {"b": None}]}) == {"a": [None, {"b": None}]}

    def test_no_aliasing(self) -> None:
        doc = {"a": {"b": [1]}, "keep": {"x": 1}}
        patch = {"c": {"d": [2]}}
        out = merge_patch(doc, patch)
        assert isinstance(out, dict)
        out["a"]["b"].append(9)
        out["keep"]["x"] = 2
        out["c"]["d"].append(9)
        assert doc == {"a": {"b": [1]}, "keep": {"x": 1}}
        assert patch == {"c": {"d": [2]}}

    @FAST
    @given(doc=json_values, patch=json_values)
    def test_idempotent_and_pure(self, doc: Any, patch: Any) -> None:
        before_doc, before_patch = copy.deepcopy(doc), copy.deepcopy(patch)
        once = merge_patch(doc, patch)
        assert merge_patch(once, patch) == once
        assert doc == before_doc and patch == before_patch

    @FAST
    @given(doc=json_objects, patch=st.dictionaries(keys, json_values, max_size=4))
    def test_patched_keys_and_untouched_keys(self, doc: dict[str, Any], patch: dict[str, Any]) -> None:
        out = merge_patch(doc, patch)
        assert isinstance(out, dict)
        for k, v in patch.items():
            if v is None:
                assert k not in out
            elif not isinstance(v, dict):
                assert out[k] == v
        for k, v in doc.items():
            if k not in patch:
                assert out[k] == v


# --------------------------------------------------------------------------------------------------
# Strategic merge patch


class TestStrategicMergeMaps:
    def test_rollout_restart(self) -> None:
        doc = _deployment()
        patch = {
            "spec": {
                "template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "2026-11-22T12:10:48Z"}}}
            }
        }
        out = strategic_merge(doc, patch)
        assert out["spec"]["template"]["metadata"]["annotations"] == {
            "keep": "me",
            "kubectl.kubernetes.io/restartedAt": "2026-11-22T12:10:48Z",
        }
        expected = _deployment()
        expected["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] = (
            "2026-11-22T12:10:48Z"
        )
        assert out == expected

    def test_rollout_restart_without_existing_annotations(self) -> None:
        doc = _deployment()
        del doc["spec"]["template"]["metadata"]["annotations"]
        out = strategic_merge(doc, {"spec": {"template": {"metadata": {"annotations": {"r": "1"}}}}})
        assert out["spec"]["template"]["metadata"] == {"labels": {"app": "web"}, "annotations": {"r": "1"}}

    def test_null_deletes_and_unmatched_null_is_dropped(self) -> None:
        doc = {"metadata": {"labels": {"a": "1", "b": "2"}}}
        out = strategic_merge(doc, {"metadata": {"labels": {"a": None, "zzz": None}, "annotations": {"x": None}}})
        assert out == {"metadata": {"labels": {"b": "2"}, "annotations": {}}}

    def test_null_removes_a_whole_list(self) -> None:
        out = strategic_merge(_deployment(), {"metadata": {"finalizers": None}})
        assert "finalizers" not in out["metadata"]

    def test_scalar_and_type_changes_replace(self) -> None:
        doc = {"spec": {"replicas": 1, "strategy": {"type": "Recreate"}, "x": [1]}}
        out = strategic_merge(doc, {"spec": {"replicas": 5, "strategy": "gone", "x": {"now": "map"}}})
        assert out == {"spec": {"replicas": 5, "strategy": "gone", "x": {"now": "map"}}}

    def test_patch_replace_directive_in_map(self) -> None:
        doc = {"spec": {"selector": {"matchLabels": {"app": "web", "tier": "fe"}}}}
        out = strategic_merge(doc, {"spec": {"selector": {"$patch": "replace", "matchLabels": {"app": "api"}}}})
        assert out == {"spec": {"selector": {"matchLabels": {"app": "api"}}}}

    def test_patch_replace_at_root(self) -> None:
        out = strategic_merge({"a": 1, "b": {"c": 2}}, {"$patch": "replace", "b": {"d": 3}})
        assert out == {"b": {"d": 3}}

    def test_patch_delete_directive_in_map_empties_it(self) -> None:
        doc = {"metadata": {"labels": {"a": "1"}, "name": "x"}}
        out = strategic_merge(doc, {"metadata": {"labels": {"$patch": "delete"}}})
        assert out == {"metadata": {"labels": {}, "name": "x"}}

    def test_retain_keys_drops_other_keys_of_the_map(self) -> None:
        doc = {"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}}
        out = strategic_merge(doc, {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}})
        assert out == {"spec": {"strategy": {"type": "Recreate"}}}

    def test_retain_keys_must_cover_the_patch(self) -> None:
        doc = {"spec": {"strategy": {"type": "RollingUpdate"}}}
        with pytest.raises(PatchError) as info:
            strategic_merge(doc, {"spec": {"strategy": {"$retainKeys": ["type"], "other": 1}}})
        assert info.value.status == 400
        with pytest.raises(PatchError) as info:
            strategic_merge(doc, {"spec": {"strategy": {"$retainKeys": "type"}}})
        assert info.value.status == 400

    @pytest.mark.parametrize(
        "patch",
        [
            {"spec": {"$bogus": 1}},
            {"metadata": {"$patch": "merge"}},
            {"metadata": {"$patch": "explode"}},
            {"spec": {"$setElementOrder/containers": "c"}},
            {"spec": {"$deleteFromPrimitiveList/finalizers": "a"}},
            {"spec": {"$setElementOrder/": []}},
        ],
    )
    def test_unknown_or_malformed_directives_are_400(self, patch: dict[str, Any]) -> None:
        with pytest.raises(PatchError) as info:
            strategic_merge({"spec": {}, "metadata": {}}, patch)
        assert info.value.status == 400

    @pytest.mark.parametrize("patch", [[{"op": "add"}], "x", None, 3])
    def test_patch_must_be_an_object(self, patch: Any) -> None:
        with pytest.raises(PatchError) as info:
            strategic_merge({}, patch)
        assert info.value.status == 400


class TestStrategicMergeLists:
    def test_kubectl_apply_body_with_set_element_order(self) -> None:
        doc = _deployment()
        patch = json.loads(
            '{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"c"}],'
            '"containers":[{"image":"nginx:2","name":"c"}]}}}}'
        )
        out = strategic_merge(doc, patch)
        containers = _pod_spec(out)["containers"]
        assert [c["name"] for c in containers] == ["c", "sidecar"]
        assert containers[0]["image"] == "nginx:2"
        expected_c = dict(_pod_spec(_deployment())["containers"][0], image="nginx:2")
        assert containers[0] == expected_c
        assert containers[1] == {"name": "sidecar", "image": "proxy:1"}
        assert _directive_keys(out) == []

    def test_set_element_order_is_never_stored_even_for_new_fields(self) -> None:
        doc = {"spec": {}}
        patch = {
            "spec": {
                "template": {
                    "spec": {
                        "$setElementOrder/containers": [{"name": "b"}, {"name": "a"}],
                        "containers": [
                            {
                                "name": "a",
                                "$setElementOrder/env": [{"name": "X"}],
                                "env": [{"name": "X", "value": "1"}],
                            },
                            {"name": "b", "image": "i"},
                        ],
                    }
                }
            }
        }
        out = strategic_merge(doc, patch)
        assert _directive_keys(out) == []
        assert [c["name"] for c in out["spec"]["template"]["spec"]["containers"]] == ["b", "a"]

    def test_set_element_order_reorders(self) -> None:
        doc = {"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}, {"name": "d"}]}
        out = strategic_merge(doc, {"$setElementOrder/containers": [{"name": "c"}, {"name": "a"}, {"name": "zz"}]})
        assert [c["name"] for c in out["containers"]] == ["c", "a", "b", "d"]

    def test_set_element_order_needs_the_merge_key(self) -> None:
        with pytest.raises(PatchError) as info:
            strategic_merge({"containers": [{"name": "a"}]}, {"$setElementOrder/containers": [{"image": "a"}]})
        assert info.value.status == 400

    def test_set_element_order_for_primitive_and_atomic_lists(self) -> None:
        doc = {"metadata": {"finalizers": ["x", "y", "z"]}, "args": ["1", "2"]}
        out = strategic_merge(
            doc, {"metadata": {"$setElementOrder/finalizers": ["z", "x"]}, "$setElementOrder/args": ["2"]}
        )
        assert out == {"metadata": {"finalizers": ["z", "x", "y"]}, "args": ["1", "2"]}

    def test_containers_merge_by_name_and_new_ones_append_in_patch_order(self) -> None:
        doc = _deployment()
        patch = {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {"name": "new2", "image": "n2"},
                            {"name": "c", "image": "nginx:3"},
                            {"name": "new1"},
                        ]
                    }
                }
            }
        }
        out = strategic_merge(doc, patch)
        containers = _pod_spec(out)["containers"]
        assert [c["name"] for c in containers] == ["c", "sidecar", "new2", "new1"]
        assert containers[0]["image"] == "nginx:3"
        assert containers[0]["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]

    def test_empty_merge_list_changes_nothing(self) -> None:
        doc = _deployment()
        out = strategic_merge(doc, {"metadata": {"finalizers": []}, "spec": {"template": {"spec": {"containers": []}}}})
        assert out == _deployment()

    def test_set_env_adds_updates_and_deletes(self) -> None:
        patch = {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {
                                "name": "c",
                                "env": [
                                    {"name": "AZURE_CLIENT_ID", "value": "cid"},
                                    {"name": "B", "value": "22"},
                                    {"$patch": "delete", "name": "A"},
                                ],
                            }
                        ]
                    }
                }
            }
        }
        out = strategic_merge(_deployment(), patch)
        assert _pod_spec(out)["containers"][0]["env"] == [
            {"name": "B", "value": "22"},
            {"name": "AZURE_CLIENT_ID", "value": "cid"},
        ]

    def test_delete_directive_removes_a_container(self) -> None:
        out = strategic_merge(
            _deployment(), {"spec": {"template": {"spec": {"containers": [{"$patch": "delete", "name": "sidecar"}]}}}}
        )
        assert [c["name"] for c in _pod_spec(out)["containers"]] == ["c"]

    def test_delete_directive_for_absent_element_is_harmless(self) -> None:
        out = strategic_merge(
            _deployment(), {"spec": {"template": {"spec": {"containers": [{"$patch": "delete", "name": "nope"}]}}}}
        )
        assert out == _deployment()

    def test_delete_directive_needs_the_merge_key(self) -> None:
        with pytest.raises(PatchError) as info:
            strategic_merge(_deployment(), {"spec": {"template": {"spec": {"containers": [{"$patch": "delete"}]}}}})
        assert info.value.status == 422

    def test_replace_directive_in_a_list(self) -> None:
        patch = {
            "spec": {"template": {"spec": {"containers": [{"$patch": "replace"}, {"name": "only", "image": "i"}]}}}
        }
        out = strategic_merge(_deployment(), patch)
        assert _pod_spec(out)["containers"] == [{"name": "only", "image": "i"}]

    @pytest.mark.parametrize("directive", ["merge", "frob"])
    def test_other_list_directives_are_400(self, directive: str) -> None:
        patch = {"spec": {"template": {"spec": {"containers": [{"$patch": directive, "name": "c"}]}}}}
        with pytest.raises(PatchError) as info:
            strategic_merge(_deployment(), patch)
        assert info.value.status == 400

    def test_missing_merge_key_is_422(self) -> None:
        with pytest.raises(PatchError) as info:
            strategic_merge(_deployment(), {"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}})
        assert info.value.status == 422
        assert "name" in info.value.message

    def test_atomic_lists_are_replaced(self) -> None:
        patch = {
            "spec": {
                "template": {
                    "spec": {"tolerations": [{"key": "other"}], "containers": [{"name": "c", "args": ["--z"]}]}
                }
            }
        }
        out = strategic_merge(_deployment(), patch)
        assert _pod_spec(out)["tolerations"] == [{"key": "other"}]
        assert _pod_spec(out)["containers"][0]["args"] == ["--z"]

    def test_volume_mounts_by_mount_path_and_ports_by_container_port(self) -> None:
        patch = {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {
                                "name": "c",
                                "volumeMounts": [
                                    {"name": "v2", "mountPath": "/data"},
                                    {"name": "token", "mountPath": "/var/run/secrets/azure/tokens", "readOnly": True},
                                ],
                                "ports": [{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 443}],
                            }
                        ]
                    }
                }
            }
        }
        c = _pod_spec(strategic_merge(_deployment(), patch))["containers"][0]
        assert c["volumeMounts"] == [
            {"name": "v2", "mountPath": "/data"},
            {"name": "token", "mountPath": "/var/run/secrets/azure/tokens", "readOnly": True},
        ]
        assert c["ports"] == [{"containerPort": 80, "name": "http", "protocol": "TCP"}, {"containerPort": 443}]

    def test_service_ports_merge_by_port(self) -> None:
        svc = {"spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}, {"name": "https", "port": 443}]}}
        out = strategic_merge(svc, {"spec": {"ports": [{"port": 80, "targetPort": 9090}, {"port": 9000}]}})
        assert out["spec"]["ports"] == [
            {"name": "http", "port": 80, "targetPort": 9090},
            {"name": "https", "port": 443},
            {"port": 9000},
        ]

    def test_volumes_with_retain_keys_as_kubectl_apply_sends_them(self) -> None:
        patch = {
            "spec": {
                "template": {
                    "spec": {
                        "volumes": [{"$retainKeys": ["configMap", "name"], "name": "v", "configMap": {"name": "cm"}}]
                    }
                }
            }
        }
        out = strategic_merge(_deployment(), patch)
        assert _pod_spec(out)["volumes"] == [{"name": "v", "configMap": {"name": "cm"}}]

    @pytest.mark.parametrize(
        ("field", "key", "old", "new"),
        [
            ("initContainers", "name", {"name": "i", "image": "1"}, {"name": "i", "image": "2"}),
            ("ephemeralContainers", "name", {"name": "e", "image": "1"}, {"name": "e", "image": "2"}),
            ("imagePullSecrets", "name", {"name": "s"}, {"name": "s"}),
            ("hostAliases", "ip", {"ip": "1.2.3.4", "hostnames": ["a"]}, {"ip": "1.2.3.4", "hostnames": ["b"]}),
            ("ownerReferences", "uid", {"uid": "u1", "name": "rs1"}, {"uid": "u1", "name": "rs2"}),
            ("conditions", "type", {"type": "Available", "status": "False"}, {"type": "Available", "status": "True"}),
            (
                "volumeDevices",
                "devicePath",
                {"devicePath": "/dev/x", "name": "a"},
                {"devicePath": "/dev/x", "name": "b"},
            ),
            (
                "topologySpreadConstraints",
                "topologyKey",
                {"topologyKey": "zone", "maxSkew": 1},
                {"topologyKey": "zone", "maxSkew": 2},
            ),
        ],
    )
    def test_merge_keys(self, field: str, key: str, old: dict[str, Any], new: dict[str, Any]) -> None:
        other = {key: "other-" + key}
        doc = {"deep": {"er": {field: [copy.deepcopy(old), other]}}}
        out = strategic_merge(doc, {"deep": {"er": {field: [new]}}})
        assert out["deep"]["er"][field] == [{**old, **new}, other]

    def test_finalizers_are_a_set_of_strings(self) -> None:
        out = strategic_merge(_deployment(), {"metadata": {"finalizers": ["c", "a", "c", "d"]}})
        assert out["metadata"]["finalizers"] == ["a", "b", "c", "d"]

    def test_delete_from_primitive_list(self) -> None:
        out = strategic_merge(
            _deployment(), {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a", "zzz"], "finalizers": ["e"]}}
        )
        assert out["metadata"]["finalizers"] == ["b", "e"]
        assert _directive_keys(out) == []

    def test_delete_from_primitive_list_on_absent_field(self) -> None:
        out = strategic_merge({"metadata": {}}, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}})
        assert out == {"metadata": {}}

    def test_new_element_has_its_directives_resolved(self) -> None:
        patch = {
            "containers": [
                {"name": "n", "env": [{"name": "X", "value": "1"}, {"$patch": "delete", "name": "Y"}], "tty": None}
            ]
        }
        out = strategic_merge({"containers": []}, patch)
        assert out == {"containers": [{"name": "n", "env": [{"name": "X", "value": "1"}]}]}

    def test_merge_key_uses_json_equality(self) -> None:
        doc = {"ports": [{"containerPort": 80, "name": "a"}]}
        out = strategic_merge(doc, {"ports": [{"containerPort": 80.0, "protocol": "TCP"}]})
        assert out == {"ports": [{"containerPort": 80.0, "name": "a", "protocol": "TCP"}]}

    def test_lists_of_lists_are_rejected_in_merging_lists(self) -> None:
        with pytest.raises(PatchError):
            strategic_merge({"finalizers": ["a"]}, {"finalizers": [["b"]]})

    def test_inputs_not_mutated_and_result_not_aliased(self) -> None:
        doc = _deployment()
        patch = {
            "spec": {
                "template": {
                    "spec": {
                        "$setElementOrder/containers": [{"name": "c"}, {"name": "sidecar"}],
                        "containers": [{"name": "c", "env": [{"$patch": "delete", "name": "A"}]}],
                        "volumes": [{"name": "new", "secret": {"secretName": "s"}}],
                    }
                }
            }
        }
        before_doc, before_patch = copy.deepcopy(doc), copy.deepcopy(patch)
        out = strategic_merge(doc, patch)
        assert doc == before_doc and patch == before_patch
        _pod_spec(out)["containers"][1]["image"] = "changed"
        _pod_spec(out)["volumes"][1]["secret"]["secretName"] = "changed"
        assert doc == before_doc and patch == before_patch


container_names = st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f"]), min_size=1, max_size=5, unique=True)


@st.composite
def containers_and_patch(draw: st.DrawFn) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    names = draw(container_names)
    containers = [
        {
            "name": n,
            "image": draw(st.sampled_from(["nginx:1", "redis", "x"])),
            "env": [
                {"name": e, "value": draw(st.sampled_from(["1", "2"]))}
                for e in draw(st.lists(st.sampled_from("XYZ"), unique=True, max_size=2))
            ],
            **draw(st.dictionaries(st.sampled_from(["tty", "stdin", "workingDir"]), scalars, max_size=2)),
        }
        for n in names
    ]
    target = draw(st.sampled_from(names))
    patch = {"name": target, "image": draw(st.sampled_from(["new:1", "new:2"]))}
    return containers, patch


class TestStrategicMergeProperties:
    @FAST
    @given(case=containers_and_patch())
    def test_untouched_containers_are_unchanged(self, case: tuple[list[dict[str, Any]], dict[str, Any]]) -> None:
        containers, patch = case
        doc = {"spec": {"template": {"spec": {"containers": containers}}}}
        out = strategic_merge(doc, {"spec": {"template": {"spec": {"containers": [patch]}}}})
        merged = out["spec"]["template"]["spec"]["containers"]
        assert [c["name"] for c in merged] == [c["name"] for c in containers]
        for before, after in zip(containers, merged, strict=True):
            if before["name"] == patch["name"]:
                assert after == {**before, "image": patch["image"]}
            else:
                assert json.dumps(after) == json.dumps(before)  # byte-equal, key order too

    @FAST
    @given(doc=json_objects, patch=json_objects)
    def test_without_merging_lists_it_is_a_merge_patch(self, doc: dict[str, Any], patch: dict[str, Any]) -> None:
        before_doc, before_patch = copy.deepcopy(doc), copy.deepcopy(patch)
        out = strategic_merge(doc, patch)
        # no key here names a merging list and none is a directive: it must agree with RFC 7386
        assert out == merge_patch(doc, patch)
        assert doc == before_doc and patch == before_patch

    @FAST
    @given(
        base=st.lists(st.sampled_from(["a", "b", "c", "d"]), unique=True, max_size=4),
        add=st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), max_size=4),
    )
    def test_finalizers_union(self, base: list[str], add: list[str]) -> None:
        out = strategic_merge({"metadata": {"finalizers": base}}, {"metadata": {"finalizers": add}})
        got = out["metadata"]["finalizers"]
        assert got[: len(base)] == base
        assert sorted(set(got)) == sorted(set(base) | set(add)) and len(got) == len(set(got))

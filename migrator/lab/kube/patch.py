"""The three PATCH flavours of the kube-apiserver, on plain JSON values.

- :func:`json_patch`: RFC 6902 (``application/json-patch+json``);
- :func:`merge_patch`: RFC 7386 (``application/merge-patch+json``);
- :func:`strategic_merge`: Kubernetes strategic merge patch (``application/strategic-merge-patch+json``)
  for built-in types. kubectl's default ``patch``, ``apply``, ``set env`` and ``rollout restart`` send it.

The real server reads list merge keys from struct tags in ``k8s.io/api``; the lab has no Go
types, so the strategy is chosen by the list's field name (the tags are the same at any depth).
All functions are pure: inputs are never mutated and the result shares no structure with them.
"""

from __future__ import annotations

import copy
from collections.abc import Hashable
from typing import Any

__all__ = ["PatchError", "json_patch", "merge_patch", "strategic_merge"]


class PatchError(Exception):
    """A patch the API server would reject; .message is shown to the client (HTTP 422, or 400 for malformed)."""

    def __init__(self, message: str, *, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


# --------------------------------------------------------------------------------------------------
# JSON value helpers


def _canon(value: Any) -> Hashable:
    """A hashable key with JSON equality: 1 == 1.0, but true != 1 (Python says True == 1)."""
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int | float):
        return ("n", value)
    if isinstance(value, str):
        return ("s", value)
    if value is None:
        return ("z",)
    if isinstance(value, dict):
        return ("o", frozenset((k, _canon(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return ("a", tuple(_canon(v) for v in value))
    return ("?", repr(value))


def _json_equal(a: Any, b: Any) -> bool:
    return _canon(a) == _canon(b)


# --------------------------------------------------------------------------------------------------
# RFC 6902 JSON patch

_OPS = ("add", "remove", "replace", "move", "copy", "test")


def _parse_pointer(pointer: object, what: str = "path") -> list[str]:
    """RFC 6901: "" is the whole document; "~1" is "/" and "~0" is "~" (in that order)."""
    if not isinstance(pointer, str):
        raise PatchError(f"invalid JSON patch: {what!r} must be a string, got {pointer!r}", status=400)
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchError(f"invalid JSON pointer {pointer!r}: must be empty or start with '/'", status=400)
    tokens = pointer[1:].split("/")
    for token in tokens:
        rest = token.replace("~0", "").replace("~1", "")
        if "~" in rest:
            raise PatchError(f"invalid JSON pointer {pointer!r}: bad escape in {token!r}", status=400)
    return [t.replace("~1", "/").replace("~0", "~") for t in tokens]


def _index(token: str, size: int, *, allow_end: bool, pointer: str, op: str) -> int:
    """An array index per RFC 6901: decimal digits without leading zeros; "-" is one past the end."""
    if token == "-" and allow_end:
        return size
    if not token.isdigit() or not token.isascii() or (len(token) > 1 and token[0] == "0"):
        raise PatchError(f"{op} operation does not apply: invalid array index {token!r} in {pointer!r}")
    idx = int(token)
    limit = size if allow_end else size - 1
    if idx > limit:
        raise PatchError(f"{op} operation does not apply: index {idx} out of range in {pointer!r}")
    return idx


def _parent(doc: Any, tokens: list[str], pointer: str, op: str) -> Any:
    """The container that holds the last token's target; every step before it must exist."""
    node = doc
    for token in tokens[:-1]:
        if isinstance(node, dict):
            if token not in node:
                raise PatchError(f"{op} operation does not apply: doc is missing path: {pointer!r}")
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(token, len(node), allow_end=False, pointer=pointer, op=op)]
        else:
            raise PatchError(f"{op} operation does not apply: doc is missing path: {pointer!r}")
    return node


def _get(doc: Any, tokens: list[str], pointer: str, op: str) -> Any:
    if not tokens:
        return doc
    parent = _parent(doc, tokens, pointer, op)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"{op} operation does not apply: doc is missing path: {pointer!r}")
        return parent[last]
    if isinstance(parent, list):
        return parent[_index(last, len(parent), allow_end=False, pointer=pointer, op=op)]
    raise PatchError(f"{op} operation does not apply: doc is missing path: {pointer!r}")


def _add(doc: Any, tokens: list[str], value: Any, pointer: str, op: str) -> Any:
    if not tokens:
        return value
    parent = _parent(doc, tokens, pointer, op)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(last, len(parent), allow_end=True, pointer=pointer, op=op), value)
    else:
        raise PatchError(f"{op} operation does not apply: doc is missing path: {pointer!r}")
    return doc


def _remove(doc: Any, tokens: list[str], pointer: str, op: str) -> Any:
    if not tokens:
        raise PatchError(f"{op} operation does not apply: cannot remove the whole document")
    parent = _parent(doc, tokens, pointer, op)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"{op} operation does not apply: doc is missing path: {pointer!r}")
        return parent.pop(last)
    if isinstance(parent, list):
        return parent.pop(_index(last, len(parent), allow_end=False, pointer=pointer, op=op))
    raise PatchError(f"{op} operation does not apply: doc is missing path: {pointer!r}")


def _validate_ops(ops: object) -> list[dict[str, Any]]:
    """Reject a malformed operation list before touching the document (the server's 400)."""
    if not isinstance(ops, list):
        raise PatchError("invalid JSON patch: expected a list of operations", status=400)
    for i, op in enumerate(ops):
        if not isinstance(op, dict):
            raise PatchError(f"invalid JSON patch: operation {i} is not an object", status=400)
        kind = op.get("op")
        if kind not in _OPS:
            raise PatchError(f"invalid JSON patch: operation {i}: unexpected kind {kind!r}", status=400)
        _parse_pointer(op.get("path"), "path")
        if kind in ("add", "replace", "test") and "value" not in op:
            raise PatchError(f"invalid JSON patch: operation {i} ({kind}) has no 'value'", status=400)
        if kind in ("move", "copy"):
            _parse_pointer(op.get("from"), "from")
    return ops


def json_patch(doc: dict, ops: object) -> dict:
    """Apply an RFC 6902 operation list; all or nothing, as the apiserver does (422 on failure)."""
    checked = _validate_ops(ops)
    result: Any = copy.deepcopy(doc)
    for op in checked:
        kind: str = op["op"]
        pointer: str = op["path"]
        path = _parse_pointer(pointer)
        if kind == "add":
            result = _add(result, path, copy.deepcopy(op["value"]), pointer, kind)
        elif kind == "remove":
            _remove(result, path, pointer, kind)
        elif kind == "replace":
            _get(result, path, pointer, kind)  # RFC 6902: the target must exist
            if path:
                _remove(result, path, pointer, kind)
            result = _add(result, path, copy.deepcopy(op["value"]), pointer, kind)
        elif kind == "test":
            try:
                current = _get(result, path, pointer, kind)
            except PatchError as exc:
                raise PatchError(f"testing value {pointer} failed: {exc.message}") from None
            if not _json_equal(current, op["value"]):
                raise PatchError(f"testing value {pointer} failed: test failed")
        else:  # move, copy
            source: str = op["from"]
            from_path = _parse_pointer(source)
            if kind == "move":
                if path[: len(from_path)] == from_path and len(path) > len(from_path):
                    raise PatchError(f"move operation does not apply: {source!r} is a prefix of {pointer!r}")
                if from_path == path:
                    _get(result, from_path, source, kind)
                    continue
                value = _remove(result, from_path, source, kind)
            else:
                value = copy.deepcopy(_get(result, from_path, source, kind))
            result = _add(result, path, value, pointer, kind)
    if not isinstance(result, dict):
        raise PatchError("the patched document is not a JSON object")
    return result


# --------------------------------------------------------------------------------------------------
# RFC 7386 JSON merge patch


def merge_patch(doc: object, patch: object) -> object:
    """RFC 7386: objects merge per key, null deletes, anything else (lists too) replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    target: dict[str, Any] = copy.deepcopy(doc) if isinstance(doc, dict) else {}
    _merge_patch_into(target, patch)
    return target


def _merge_patch_into(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict):
            sub = target.get(key)
            if not isinstance(sub, dict):
                sub = {}
            _merge_patch_into(sub, value)
            target[key] = sub
        else:
            target[key] = copy.deepcopy(value)


# --------------------------------------------------------------------------------------------------
# Strategic merge patch

# patchMergeKey tags from k8s.io/api (core/v1, meta/v1, apps/v1); lists not named here are atomic.
_MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "imagePullSecrets": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "hostAliases": "ip",
    "ownerReferences": "uid",
    "conditions": "type",
    "topologySpreadConstraints": "topologyKey",
}
_SET_LISTS = frozenset({"finalizers"})  # patchStrategy:"merge" without a key: a set of strings
_PORTS = "ports"  # ContainerPort merges by containerPort, ServicePort by port

_DIRECTIVE = "$patch"
_RETAIN_KEYS = "$retainKeys"
_DELETE_PRIMITIVE = "$deleteFromPrimitiveList/"
_SET_ORDER = "$setElementOrder/"

_SET = object()  # strategy marker for set-like primitive lists


def _list_strategy(field: str, *lists: list[Any]) -> str | object | None:
    """The merge key of a list field, _SET for a set of scalars, or None when the list is atomic."""
    if field in _SET_LISTS:
        return _SET
    if field == _PORTS:
        has_container_port = any(isinstance(e, dict) and "containerPort" in e for lst in lists for e in lst)
        return "containerPort" if has_container_port else "port"
    return _MERGE_KEYS.get(field)


def strategic_merge(doc: dict, patch: dict) -> dict:
    """Apply a strategic merge patch to a built-in object, as the apiserver does for kubectl."""
    if not isinstance(patch, dict):
        raise PatchError("strategic merge patch must be a JSON object", status=400)
    original = copy.deepcopy(doc) if isinstance(doc, dict) else {}
    return _merge_map(original, copy.deepcopy(patch))


def _merge_map(original: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Merge `patch` into `original`; both are private copies and may be consumed."""
    if _DIRECTIVE in patch:
        directive = patch.pop(_DIRECTIVE)
        if directive == "replace":
            return _merge_map({}, patch)  # the rest of the map, with its own directives resolved
        if directive == "delete":
            return {}
        raise PatchError(f"unknown patch type: {directive!r} in map", status=400)

    if _RETAIN_KEYS in patch:
        retain = patch.pop(_RETAIN_KEYS)
        if not isinstance(retain, list) or not all(isinstance(k, str) for k in retain):
            raise PatchError("invalid patch format of retainKeys", status=400)
        for key, value in patch.items():
            if value is None or key.startswith((_DELETE_PRIMITIVE, _SET_ORDER)):
                continue
            if key not in retain:
                raise PatchError("invalid patch format of retainKeys", status=400)
        original = {k: v for k, v in original.items() if k in retain}

    orders: dict[str, list[Any]] = {}
    deletions: dict[str, list[Any]] = {}
    fields: dict[str, Any] = {}
    for key, value in patch.items():
        if key.startswith(_SET_ORDER):
            name = key[len(_SET_ORDER) :]
            if not name or not isinstance(value, list):
                raise PatchError("invalid patch format of setElementOrder list", status=400)
            orders[name] = value
        elif key.startswith(_DELETE_PRIMITIVE):
            name = key[len(_DELETE_PRIMITIVE) :]
            if not name or not isinstance(value, list):
                raise PatchError("invalid patch format of primitive list", status=400)
            deletions[name] = value
        elif key.startswith("$"):
            raise PatchError(f"unknown strategic merge patch directive {key!r}", status=400)
        else:
            fields[key] = value

    for name, values in deletions.items():
        current = original.get(name)
        if isinstance(current, list):
            gone = {_canon(v) for v in values}
            original[name] = [v for v in current if _canon(v) not in gone]

    for key, value in fields.items():
        if value is None:
            original.pop(key, None)
        elif isinstance(value, dict):
            current = original.get(key)
            original[key] = _merge_map(current if isinstance(current, dict) else {}, value)
        elif isinstance(value, list):
            current = original.get(key)
            original[key] = _merge_list(key, current if isinstance(current, list) else [], value)
        else:
            original[key] = value

    for name, order in orders.items():
        current = original.get(name)
        if isinstance(current, list):
            original[name] = _apply_order(name, current, order)
    return original


def _merge_list(field: str, original: list[Any], patch: list[Any]) -> list[Any]:
    strategy = _list_strategy(field, original, patch)
    if strategy is None:
        return patch
    if any(isinstance(e, list) for e in (*original, *patch)):
        raise PatchError("lists of lists are not supported")
    maps = [isinstance(e, dict) for e in (*original, *patch)]
    if not any(maps):  # scalars: union, first occurrence wins
        seen: set[Hashable] = set()
        merged = []
        for element in (*original, *patch):
            key = _canon(element)
            if key not in seen:
                seen.add(key)
                merged.append(element)
        return merged
    if not all(maps):
        raise PatchError(f"list element types are not identical in {field!r}")
    if strategy is _SET:
        raise PatchError(f"cannot merge lists without merge key for {field!r}")
    assert isinstance(strategy, str)
    return _merge_keyed_list(original, patch, strategy)


def _find(items: list[dict[str, Any]], key: str, value: Any) -> int | None:
    wanted = _canon(value)
    for i, item in enumerate(items):
        if key in item and _canon(item[key]) == wanted:
            return i
    return None


def _merge_keyed_list(original: list[dict[str, Any]], patch: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    replace = False
    plain: list[dict[str, Any]] = []
    for element in patch:
        if _DIRECTIVE not in element:
            plain.append(element)
            continue
        directive = element[_DIRECTIVE]
        if directive == "delete":
            if key not in element:
                raise PatchError(f"map: {element} does not contain declared merge key: {key}")
            original = [o for o in original if not (key in o and _json_equal(o[key], element[key]))]
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise PatchError("merging lists cannot yet be specified in the patch", status=400)
        else:
            raise PatchError(f"unknown patch type: {directive!r} in list element", status=400)
    if replace:
        return [_merge_map({}, element) for element in plain]
    merged = list(original)
    for element in plain:
        if key not in element:
            raise PatchError(f"map: {element} does not contain declared merge key: {key}")
        at = _find(merged, key, element[key])
        if at is None:
            merged.append(_merge_map({}, element))
        else:
            merged[at] = _merge_map(merged[at], element)
    return merged


def _apply_order(field: str, items: list[Any], order: list[Any]) -> list[Any]:
    """$setElementOrder: the named elements first, in that order, then the others as they were."""
    strategy = _list_strategy(field, items, order)
    if strategy is None or not items:
        return items  # kubectl only sends it for merging lists; nothing to order by
    by_key = isinstance(strategy, str) and all(isinstance(e, dict) for e in items)
    remaining = list(items)
    ordered: list[Any] = []
    for entry in order:
        if by_key:
            if not isinstance(entry, dict) or strategy not in entry:
                raise PatchError("invalid patch format of setElementOrder list", status=400)
            at = _find(remaining, str(strategy), entry[str(strategy)])
        else:
            wanted = _canon(entry)
            at = next((i for i, e in enumerate(remaining) if _canon(e) == wanted), None)
        if at is not None:
            ordered.append(remaining.pop(at))
    return ordered + remaining

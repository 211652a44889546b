"""Small pure helpers for reading Kubernetes objects as plain data."""

from __future__ import annotations

import re
from typing import Any

_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
_PLACEHOLDER = re.compile(r"\$\(|\$\{|%\{|\{\{|\$[A-Za-z_]")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_MI_RESOURCE_ID = re.compile(
    r"^/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.managedidentity/"
    r"userassignedidentities/[^/]+$",
    re.I,
)


def mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def dig(data: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
            data = data[key]
        else:
            return None
    return data


def ci_item(data: Any, name: str) -> tuple[str | None, Any]:
    """(key, value) of ``name`` matched case-insensitively, as Go's encoding/json does.

    aad-pod-identity decodes its CRDs with Go's json package, so ``ClientId``
    and ``clientID`` are the same field. An exact match wins.
    """
    if not isinstance(data, dict):
        return None, None
    if name in data:
        return name, data[name]
    lower = name.lower()
    for key, value in data.items():
        if isinstance(key, str) and key.lower() == lower:
            return key, value
    return None, None


def is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and bool(_PLACEHOLDER.search(value))


def is_valid_label_value(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 63 and bool(_LABEL_VALUE.match(value))


def is_guid(value: Any) -> bool:
    return isinstance(value, str) and bool(_GUID.match(value))


def is_managed_identity_id(value: Any) -> bool:
    return isinstance(value, str) and bool(_MI_RESOURCE_ID.match(value))


def text(value: Any) -> str | None:
    """A scalar as the API server would hold it in a string field."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")

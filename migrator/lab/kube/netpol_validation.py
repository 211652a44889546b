"""NetworkPolicy decoding, defaulting and validation as kube-apiserver v1.30 applies them.

Ported from k8s ``pkg/apis/networking/validation`` (ValidateNetworkPolicySpec, ValidateNetworkPolicyPort,
ValidateNetworkPolicyPeer, ValidateIPBlock with ``net.ParseCIDR``'s sloppy IPv4 and ``IPNet.Contains``),
apimachinery's ``ValidateLabelSelector`` and ``pkg/apis/networking/v1`` defaults. Messages are
``field.Error``'s, so the Status reads like the apiserver's (HTTP 422). Not ported: the update-time
leniency for selectors that were already invalid (AllowInvalidLabelValueInSelector), and strict
field validation (the lab has no ``fieldValidation``). The apiserver does not reject duplicate
policyTypes, so neither does this.
"""

from __future__ import annotations

import ipaddress
import json
import re

from migrator.lab.kube import errors
from migrator.lab.kube.errors import Cause
from migrator.lab.kube.selectors import _label_value_errors, _qualified_name_errors

__all__ = ["admit", "validate"]

_PROTOCOLS = ("TCP", "UDP", "SCTP")
_POLICY_TYPES = ("Ingress", "Egress")
_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
_PORT_NAME_CHARSET = re.compile(r"[-a-z0-9]+")
_DIGITS = re.compile(r"[0-9]+")
_V4_IN_V6 = bytes(10) + b"\xff\xff"


# --------------------------------------------------------------------------------------------------
# Decoding: the JSON types the Go structs accept (anything else is a 400 before validation)

_SELECTOR = (
    "LabelSelector",
    {"matchLabels": ("map", "map[string]string"), "matchExpressions": ("list", "[]v1.LabelSelectorRequirement")},
)
_EXPRESSION = (
    "LabelSelectorRequirement",
    {"key": ("str", "string"), "operator": ("str", "v1.LabelSelectorOperator"), "values": ("strs", "[]string")},
)
_IP_BLOCK = ("IPBlock", {"cidr": ("str", "string"), "except": ("strs", "[]string")})
_PEER = (
    "NetworkPolicyPeer",
    {"podSelector": ("obj", _SELECTOR), "namespaceSelector": ("obj", _SELECTOR), "ipBlock": ("obj", _IP_BLOCK)},
)
_PORT = (
    "NetworkPolicyPort",
    {"protocol": ("str", "v1.Protocol"), "port": ("intstr", "int32"), "endPort": ("int", "int32")},
)
_RULES = {
    "ingress": ("NetworkPolicyIngressRule", "from", "[]v1.NetworkPolicyIngressRule"),
    "egress": ("NetworkPolicyEgressRule", "to", "[]v1.NetworkPolicyEgressRule"),
}


def _json_type(value: object) -> str:
    return {bool: "bool", int: "number", float: "number", str: "string", dict: "object", list: "array"}.get(
        type(value), "null"
    )


def _decode_error(struct: str, path: str, value: object, go_type: str) -> errors.ApiError:
    return errors.bad_request(
        'NetworkPolicy in version "v1" cannot be handled as a NetworkPolicy: json: cannot unmarshal '
        f"{_json_type(value)} into Go struct field {struct}.{path} of type {go_type}"
    )


def _check_fields(obj: dict, schema: tuple[str, dict], path: str) -> None:
    struct, fields = schema
    for name, (kind, sub) in fields.items():
        value, where = obj.get(name), f"{path}.{name}"
        if value is None:
            continue
        if kind == "obj":
            _check_object(value, sub, where, struct)
        elif kind == "list":  # matchExpressions
            _check_list(value, _EXPRESSION, where, struct)
        elif not _scalar_ok(kind, value):
            # a list or map of the right shape is refused for its element: Go names the element's type
            items = value if kind == "strs" and isinstance(value, list) else None
            if kind == "map" and isinstance(value, dict):
                items = list(value.values())
            if items is not None:
                bad = next(v for v in items if not isinstance(v, str))
                raise _decode_error(struct, where, bad, "string")
            raise _decode_error(struct, where, value, sub)


def _scalar_ok(kind: str, value: object) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31
    if kind == "intstr":
        return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
    if kind == "strs":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())  # map


def _check_object(value: object, schema: tuple[str, dict], path: str, parent: str) -> None:
    if not isinstance(value, dict):
        raise _decode_error(parent, path, value, f"v1.{schema[0]}")
    _check_fields(value, schema, path)


def _check_list(items: object, schema: tuple[str, dict], path: str, parent: str) -> None:
    if items is None:
        return
    if not isinstance(items, list):
        raise _decode_error(parent, path, items, f"[]v1.{schema[0]}")
    for item in items:
        _check_object(item, schema, path, parent)


def _decode(obj: dict) -> None:
    spec = obj.get("spec")
    if spec is None:
        return
    if not isinstance(spec, dict):
        raise _decode_error("NetworkPolicy", "spec", spec, "v1.NetworkPolicySpec")
    if spec.get("podSelector") is not None:
        _check_object(spec["podSelector"], _SELECTOR, "spec.podSelector", "NetworkPolicySpec")
    types = spec.get("policyTypes")
    if types is not None and not _scalar_ok("strs", types):
        if isinstance(types, list):
            bad = next(t for t in types if not isinstance(t, str))
            raise _decode_error("NetworkPolicySpec", "spec.policyTypes", bad, "v1.PolicyType")
        raise _decode_error("NetworkPolicySpec", "spec.policyTypes", types, "[]v1.PolicyType")
    for key, (struct, peers_key, go_type) in _RULES.items():
        rules = spec.get(key)
        if rules is None:
            continue
        if not isinstance(rules, list):
            raise _decode_error("NetworkPolicySpec", f"spec.{key}", rules, go_type)
        for rule in rules:
            if not isinstance(rule, dict):
                raise _decode_error("NetworkPolicySpec", f"spec.{key}", rule, go_type[2:])
            for field_name, schema in ((peers_key, _PEER), ("ports", _PORT)):
                _check_list(rule.get(field_name), schema, f"spec.{key}.{field_name}", struct)


# --------------------------------------------------------------------------------------------------
# Defaulting (SetDefaults_NetworkPolicy, SetDefaults_NetworkPolicyPort) and omitempty


def admit(obj: dict) -> None:
    """Decode (400 on a JSON type the Go types refuse), then default, as before admission and validation."""
    _decode(obj)
    spec = obj["spec"] = obj.get("spec") or {}
    if spec.get("podSelector") is None:
        spec["podSelector"] = {}  # a struct, not a pointer: always served
    for key in ("ingress", "egress", "policyTypes"):
        if not spec.get(key):
            spec.pop(key, None)  # omitempty
    for key, (_, peers_key, _) in _RULES.items():
        for rule in spec.get(key) or []:
            for name in (peers_key, "ports"):
                if not rule.get(name):
                    rule.pop(name, None)
            for port in rule.get("ports") or []:
                port.setdefault("protocol", "TCP")
    if not spec.get("policyTypes"):
        spec["policyTypes"] = ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]


# --------------------------------------------------------------------------------------------------
# Validation


def _quote(value: object) -> str:
    """How field.Error prints a bad value: %q for strings, %v for numbers."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)


def _invalid(path: str, value: object, detail: str) -> Cause:
    return Cause(path, "FieldValueInvalid", f"Invalid value: {_quote(value)}: {detail}")


def _required(path: str, detail: str = "") -> Cause:
    return Cause(path, "FieldValueRequired", "Required value" + (f": {detail}" if detail else ""))


def _forbidden(path: str, detail: str) -> Cause:
    return Cause(path, "FieldValueForbidden", f"Forbidden: {detail}")


def _not_supported(path: str, value: str, supported: tuple[str, ...]) -> Cause:
    shown = ", ".join(json.dumps(s) for s in supported)
    return Cause(path, "FieldValueNotSupported", f"Unsupported value: {_quote(value)}: supported values: {shown}")


def validate(obj: dict) -> list[Cause]:
    """ValidateNetworkPolicySpec (the name and labels are checked with every kind's metadata)."""
    spec = obj.get("spec") or {}
    causes = label_selector(spec.get("podSelector"), "spec.podSelector")
    for key, (_, peers_key, _) in _RULES.items():
        for i, rule in enumerate(spec.get(key) or []):
            where = f"spec.{key}[{i}]"
            for j, port in enumerate(rule.get("ports") or []):
                causes += _port(port, f"{where}.ports[{j}]")
            for j, peer in enumerate(rule.get(peers_key) or []):
                causes += _peer(peer, f"{where}.{peers_key}[{j}]")
    types = spec.get("policyTypes") or []
    if len(types) > len(_POLICY_TYPES):
        shown = "[]networking.PolicyType{" + ", ".join(json.dumps(t) for t in types) + "}"
        return [
            *causes,
            Cause(
                "spec.policyTypes",
                "FieldValueInvalid",
                f"Invalid value: {shown}: may not specify more than two policyTypes",
            ),
        ]
    for i, kind in enumerate(types):
        if kind not in _POLICY_TYPES:
            causes.append(_not_supported(f"spec.policyTypes[{i}]", kind, _POLICY_TYPES))
    return causes


def label_selector(selector: dict | None, path: str) -> list[Cause]:
    """unversionedvalidation.ValidateLabelSelector: label keys and values, operators and their values."""
    if selector is None:
        return []
    causes: list[Cause] = []
    for key, value in (selector.get("matchLabels") or {}).items():
        causes += [_invalid(f"{path}.matchLabels", key, msg) for msg in _qualified_name_errors(key)]
        causes += [_invalid(f"{path}.matchLabels", value, msg) for msg in _label_value_errors(value)]
    for i, expr in enumerate(selector.get("matchExpressions") or []):
        where = f"{path}.matchExpressions[{i}]"
        operator, values = expr.get("operator") or "", expr.get("values") or []
        if operator in ("In", "NotIn") and not values:
            causes.append(_required(f"{where}.values", "must be specified when `operator` is 'In' or 'NotIn'"))
        elif operator in ("Exists", "DoesNotExist") and values:
            causes.append(
                _forbidden(f"{where}.values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")
            )
        elif operator not in _OPERATORS:
            causes.append(_invalid(f"{where}.operator", operator, "not a valid selector operator"))
        key = expr.get("key") or ""
        causes += [_invalid(f"{where}.key", key, msg) for msg in _qualified_name_errors(key)]
        for j, value in enumerate(values):
            causes += [_invalid(f"{where}.values[{j}]", value, msg) for msg in _label_value_errors(value)]
    return causes


def _port(port: dict, path: str) -> list[Cause]:
    causes: list[Cause] = []
    protocol = port.get("protocol")
    if protocol is not None and protocol not in _PROTOCOLS:
        causes.append(_not_supported(f"{path}.protocol", protocol, _PROTOCOLS))
    number, end = port.get("port"), port.get("endPort")
    if number is None:
        if end is not None:
            causes.append(_invalid(f"{path}.endPort", end, "may not be specified when `port` is not specified"))
    elif isinstance(number, int):
        causes += [_invalid(f"{path}.port", number, msg) for msg in _port_number_errors(number)]
        if end is not None:
            if end < number:  # the apiserver shows `port` as the bad value here
                causes.append(_invalid(f"{path}.endPort", number, "must be greater than or equal to `port`"))
            causes += [_invalid(f"{path}.endPort", end, msg) for msg in _port_number_errors(end)]
    else:
        if end is not None:
            causes.append(_invalid(f"{path}.endPort", end, "may not be specified when `port` is non-numeric"))
        causes += [_invalid(f"{path}.port", number, msg) for msg in _port_name_errors(number)]
    return causes


def _port_number_errors(number: int) -> list[str]:
    return [] if 1 <= number <= 65535 else ["must be between 1 and 65535, inclusive"]


def _port_name_errors(name: str) -> list[str]:
    """validation.IsValidPortName (an IANA_SVC_NAME)."""
    errs: list[str] = []
    if len(name) > 15:
        errs.append("must be no more than 15 characters")
    if not _PORT_NAME_CHARSET.fullmatch(name):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search("[a-z]", name):
        errs.append("must contain at least one letter (a-z)")
    if "--" in name:
        errs.append("must not contain consecutive hyphens")
    if name and (name[0] == "-" or name[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def _peer(peer: dict, path: str) -> list[Cause]:
    causes: list[Cause] = []
    count = 0
    for key in ("podSelector", "namespaceSelector"):
        if peer.get(key) is not None:
            count += 1
            causes += label_selector(peer[key], f"{path}.{key}")
    block = peer.get("ipBlock")
    if block is not None:
        count += 1
        causes += _ip_block(block, f"{path}.ipBlock")
    if count == 0:
        causes.append(_required(path, "must specify a peer"))
    elif count > 1 and block is not None:
        causes.append(_forbidden(path, "may not specify both ipBlock and another peer"))
    return causes


def _ip_block(block: dict, path: str) -> list[Cause]:
    """ValidateIPBlock (v1.30): the first unreadable ``except`` entry ends the checks, as upstream."""
    cidr = block.get("cidr") or ""
    if not cidr:
        return [_required(f"{path}.cidr")]
    net = parse_cidr(cidr)
    if net is None:
        return [_invalid(f"{path}.cidr", cidr, "not a valid CIDR")]
    causes: list[Cause] = []
    for i, text in enumerate(block.get("except") or []):
        where = f"{path}.except[{i}]"
        sub = parse_cidr(text)
        if sub is None:
            causes.append(_invalid(where, text, "not a valid CIDR"))
            return causes
        if not _contains(net, sub[0]) or _ones(net[1]) >= _ones(sub[1]):
            causes.append(_invalid(where, text, "must be a strict subset of `cidr`"))
    return causes


# --------------------------------------------------------------------------------------------------
# Go's net.ParseCIDR (k8s.io/utils/net sloppy fork: IPv4 octets may have leading zeros) and IPNet


def parse_cidr(text: str) -> tuple[bytes, bytes] | None:
    """(network IP, mask) as Go holds them: 4 bytes each for IPv4, 16 for IPv6; None if unparseable."""
    addr, slash, prefix = text.partition("/")
    if not slash:
        return None
    ip, bits = _parse_ipv4(addr), 32
    if ip is None:
        ip, bits = _parse_ipv6(addr), 128
    if ip is None or not _DIGITS.fullmatch(prefix) or int(prefix) > bits:
        return None
    ones = int(prefix)
    mask = ((1 << bits) - (1 << (bits - ones))).to_bytes(bits // 8, "big")
    if bits == 32:  # IP.Mask of the 16-byte IPv4 form with a 4-byte mask: the 4-byte network
        ip = ip[12:]
    return bytes(a & m for a, m in zip(ip, mask, strict=True)), mask


def _parse_ipv4(text: str) -> bytes | None:
    parts = text.split(".")
    if len(parts) != 4 or not all(_DIGITS.fullmatch(p) and int(p) <= 255 for p in parts):
        return None
    return _V4_IN_V6 + bytes(int(p) for p in parts)


def _parse_ipv6(text: str) -> bytes | None:
    if "%" in text or ":" not in text:
        return None
    try:
        return ipaddress.IPv6Address(text).packed
    except ValueError:
        return None


def _to4(ip: bytes) -> bytes | None:
    if len(ip) == 4:
        return ip
    return ip[12:] if len(ip) == 16 and ip[:12] == _V4_IN_V6 else None


def _contains(net: tuple[bytes, bytes], ip: bytes) -> bool:
    """IPNet.Contains, with networkNumberAndMask's IPv4-mapped handling."""
    number, mask = net
    number = _to4(number) or number
    if len(mask) == 16 and len(number) == 4:
        mask = mask[12:]
    ip = _to4(ip) or ip
    if len(ip) != len(number) or len(mask) != len(number):
        return False
    return all(n & m == a & m for n, m, a in zip(number, mask, ip, strict=True))


def _ones(mask: bytes) -> int:
    return bin(int.from_bytes(mask, "big")).count("1")

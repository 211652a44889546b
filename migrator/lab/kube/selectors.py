"""Label and field selectors as the kube-apiserver parses and matches them.

Ported from k8s.io/apimachinery ``pkg/labels/selector.go`` (lexer, parser, validation and
matching), ``pkg/apis/meta/v1/helpers.go`` (the LabelSelector object) and ``pkg/fields``.
Error messages follow the apiserver's, because kubectl prints them verbatim (HTTP 400).

Two k8s rules that surprise: ``a!=b`` and ``a notin (b)`` also match objects WITHOUT label ``a``,
and a field selector compares a missing field as the empty string.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "FieldRequirement",
    "FieldSelector",
    "LabelSelector",
    "Requirement",
    "SelectorError",
    "label_selector_from_object",
    "label_selector_to_string",
    "parse_field_selector",
    "parse_label_selector",
]


class SelectorError(Exception):
    """A selector the apiserver would refuse with 400 BadRequest; str() is the server's message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.status = 400


# --------------------------------------------------------------------------------------------------
# Validation (k8s.io/apimachinery/pkg/util/validation)

_QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QUALIFIED_NAME = re.compile(_QUALIFIED_NAME_FMT)
_LABEL_VALUE_FMT = f"({_QUALIFIED_NAME_FMT})?"
_LABEL_VALUE = re.compile(_LABEL_VALUE_FMT)
_DNS1123_SUBDOMAIN_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_DNS1123_SUBDOMAIN = re.compile(_DNS1123_SUBDOMAIN_FMT)
_QUALIFIED_NAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
)
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
_DNS1123_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character"
)


def _regex_error(msg: str, fmt: str, *examples: str) -> str:
    shown = ",  or ".join(f"'{e}'" for e in examples)
    return f"{msg} (e.g. {shown}, regex used for validation is '{fmt}')"


def _qualified_name_errors(value: str) -> list[str]:
    """validation.IsQualifiedName: [DNS-subdomain prefix "/"] name, the name at most 63 characters."""
    errors: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            if len(prefix) > 253:
                errors.append("prefix part must be no more than 253 characters")
            if not _DNS1123_SUBDOMAIN.fullmatch(prefix):
                errors.append("prefix part " + _regex_error(_DNS1123_MSG, _DNS1123_SUBDOMAIN_FMT, "example.com"))
    else:
        return [
            "a qualified name "
            + _regex_error(_QUALIFIED_NAME_MSG, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > 63:
        errors.append("name part must be no more than 63 characters")
    if not _QUALIFIED_NAME.fullmatch(name):
        detail = _regex_error(_QUALIFIED_NAME_MSG, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
        errors.append("name part " + detail)
    return errors


def _label_value_errors(value: str) -> list[str]:
    errors: list[str] = []
    if len(value) > 63:
        errors.append("must be no more than 63 characters")
    if not _LABEL_VALUE.fullmatch(value):
        errors.append(_regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errors


def _quote(value: object) -> str:
    """Go's %q for a string; []string{...} for a list (as field.Invalid prints them)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[]string{" + ", ".join(_quote(v) for v in value) + "}"
    return repr(value)


def _invalid(path: str, value: object, detail: str) -> str:
    return f"{path}: Invalid value: {_quote(value)}: {detail}"


def _aggregate(errors: list[str]) -> str:
    return errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"


# --------------------------------------------------------------------------------------------------
# Label selectors

# selection.Operator spellings, as Requirement.operator carries them
EQUALS, DOUBLE_EQUALS, NOT_EQUALS = "=", "==", "!="
IN, NOT_IN, EXISTS, DOES_NOT_EXIST, GREATER_THAN, LESS_THAN = "in", "notin", "exists", "!", "gt", "lt"
_INT64 = re.compile(r"[+-]?[0-9]+")


def _parse_int64(text: str) -> int | None:
    """strconv.ParseInt(text, 10, 64): optional sign, ASCII digits, within int64."""
    if not _INT64.fullmatch(text):
        return None
    number = int(text)
    return number if -(2**63) <= number < 2**63 else None


@dataclass(frozen=True)
class Requirement:
    """One term of a label selector: key, operator (a selection.Operator string) and values."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        op = self.operator
        if op in (EQUALS, DOUBLE_EQUALS, IN):
            return self.key in labels and labels[self.key] in self.values
        if op in (NOT_EQUALS, NOT_IN):
            return self.key not in labels or labels[self.key] not in self.values
        if op == EXISTS:
            return self.key in labels
        if op == DOES_NOT_EXIST:
            return self.key not in labels
        # gt / lt: both sides must be integers
        if self.key not in labels or len(self.values) != 1:
            return False
        have, want = _parse_int64(labels[self.key]), _parse_int64(self.values[0])
        if have is None or want is None:
            return False
        return have > want if op == GREATER_THAN else have < want

    def __str__(self) -> str:
        op = self.operator
        if op == DOES_NOT_EXIST:
            return "!" + self.key
        if op == EXISTS:
            return self.key
        symbol = {IN: " in ", NOT_IN: " notin ", GREATER_THAN: ">", LESS_THAN: "<"}.get(op, op)
        values = sorted(self.values)
        if op in (IN, NOT_IN):
            return f"{self.key}{symbol}({','.join(values)})"
        return f"{self.key}{symbol}{values[0] if values else ''}"


def _new_requirement(key: str, operator: str, values: list[str] | tuple[str, ...], path: str = "") -> Requirement:
    """labels.NewRequirement: validate the key, the value count for the operator, and every value."""
    errors: list[str] = []
    key_errors = _qualified_name_errors(key)
    if key_errors:
        errors.append(_invalid(f"{path}key", key, "; ".join(key_errors)))
    values_path = f"{path}values"
    if operator in (IN, NOT_IN):
        if not values:
            errors.append(_invalid(values_path, list(values), "for 'in', 'notin' operators, values set can't be empty"))
    elif operator in (EQUALS, DOUBLE_EQUALS, NOT_EQUALS):
        if len(values) != 1:
            errors.append(_invalid(values_path, list(values), "exact-match compatibility requires one single value"))
    elif operator in (EXISTS, DOES_NOT_EXIST):
        if values:
            errors.append(_invalid(values_path, list(values), "values set must be empty for exists and does not exist"))
    elif operator in (GREATER_THAN, LESS_THAN):
        if len(values) != 1:
            errors.append(
                _invalid(values_path, list(values), "for 'Gt', 'Lt' operators, exactly one value is required")
            )
        for i, value in enumerate(values):
            if _parse_int64(value) is None:
                errors.append(
                    _invalid(f"{values_path}[{i}]", value, "for 'Gt', 'Lt' operators, the value must be an integer")
                )
    else:
        errors.append(f'{path}operator: Unsupported value: "{operator}"')
    for i, value in enumerate(values):
        value_errors = _label_value_errors(value)
        if value_errors:
            errors.append(_invalid(f"{values_path}[{i}][{key}]", value, "; ".join(value_errors)))
    if errors:
        raise SelectorError(_aggregate(errors))
    return Requirement(key, operator, tuple(values))


@dataclass(frozen=True)
class LabelSelector:
    """A parsed label selector: the AND of its requirements, kept sorted by key like labels.Parse does."""

    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        have = labels or {}
        return all(r.matches(have) for r in self.requirements)

    @property
    def empty(self) -> bool:
        """True when the selector matches everything."""
        return not self.requirements

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


def _sorted(requirements: list[Requirement]) -> LabelSelector:
    return LabelSelector(tuple(sorted(requirements, key=lambda r: r.key)))


# The lexer: identifiers run until whitespace or one of these; operators are 1 or 2 of them.
_WHITESPACE = " \t\r\n"
_SPECIAL = "=!(),><"
_SYMBOLS = {"(": "(", ")": ")", ",": ",", "!": "!", "!=": "!=", "=": "=", "==": "==", ">": ">", "<": "<"}
_IDENT, _END, _IN_KW, _NOTIN_KW = "identifier", "end", "in", "notin"
_BINARY_OPERATORS = "in, notin, =, ==, !=, gt, lt"


def _lex(text: str) -> list[tuple[str, str]]:
    """Tokens as (kind, literal); kind is an operator symbol, a keyword, identifier or end."""
    tokens: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in _WHITESPACE:
            i += 1
        if i >= n:
            tokens.append((_END, ""))
            return tokens
        if text[i] in _SPECIAL:
            # longest run of special characters that is still a known symbol (">=" is ">" then "=")
            j, best = i, ""
            while j < n and text[j] in _SPECIAL and text[i : j + 1] in _SYMBOLS:
                best = text[i : j + 1]
                j += 1
            tokens.append((_SYMBOLS[best], best))
            i = j
            continue
        j = i
        while j < n and text[j] not in _WHITESPACE and text[j] not in _SPECIAL:
            j += 1
        word = text[i:j]
        tokens.append((word if word in (_IN_KW, _NOTIN_KW) else _IDENT, word))
        i = j


class _Parser:
    """labels.Parser: `in`/`notin` are keywords only where an operator is expected."""

    def __init__(self, text: str) -> None:
        self.tokens = _lex(text)
        self.pos = 0

    def _kind(self, values: bool, tok: tuple[str, str]) -> str:
        kind = tok[0]
        return _IDENT if values and kind in (_IN_KW, _NOTIN_KW) else kind

    def lookahead(self, values: bool = True) -> tuple[str, str]:
        tok = self.tokens[self.pos]
        return self._kind(values, tok), tok[1]

    def consume(self, values: bool = True) -> tuple[str, str]:
        tok = self.tokens[self.pos]
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
        return self._kind(values, tok), tok[1]

    def parse(self) -> list[Requirement]:
        requirements: list[Requirement] = []
        while True:
            kind, literal = self.lookahead()
            if kind in (_IDENT, "!"):
                try:
                    requirements.append(self.requirement())
                except SelectorError as exc:
                    raise SelectorError(f"unable to parse requirement: {exc.message}") from None
                kind, literal = self.consume()
                if kind == _END:
                    return requirements
                if kind != ",":
                    raise SelectorError(f"found '{literal}', expected: ',' or 'end of string'")
                kind, literal = self.lookahead()
                if kind not in (_IDENT, "!"):
                    raise SelectorError(f"found '{literal}', expected: identifier after ','")
            elif kind == _END:
                return requirements
            else:
                raise SelectorError(f"found '{literal}', expected: !, identifier, or 'end of string'")

    def requirement(self) -> Requirement:
        operator = ""
        kind, key = self.consume()
        if kind == "!":
            operator = DOES_NOT_EXIST
            kind, key = self.consume()
        if kind != _IDENT:
            raise SelectorError(f"found '{key}', expected: identifier")
        key_errors = _qualified_name_errors(key)
        if key_errors:
            raise SelectorError(_invalid("<nil>", key, "; ".join(key_errors)))
        if self.lookahead()[0] in (_END, ","):
            operator = operator or EXISTS
        if operator in (EXISTS, DOES_NOT_EXIST):
            return _new_requirement(key, operator, [])
        kind, literal = self.consume(values=False)
        operator = {"=": EQUALS, "==": DOUBLE_EQUALS, "!=": NOT_EQUALS, ">": GREATER_THAN, "<": LESS_THAN}.get(
            kind, kind if kind in (_IN_KW, _NOTIN_KW) else ""
        )
        if not operator:
            raise SelectorError(f"found '{literal}', expected: {_BINARY_OPERATORS}")
        values = self.value_set() if operator in (IN, NOT_IN) else self.exact_value()
        return _new_requirement(key, operator, sorted(values))

    def exact_value(self) -> set[str]:
        if self.lookahead()[0] in (_END, ","):
            return {""}
        kind, literal = self.consume()
        if kind == _IDENT:
            return {literal}
        raise SelectorError(f"found '{literal}', expected: identifier")

    def value_set(self) -> set[str]:
        kind, literal = self.consume()
        if kind != "(":
            raise SelectorError(f"found '{literal}' expected: '('")
        kind, literal = self.lookahead()
        if kind == ")":  # "()" is the set {""}
            self.consume()
            return {""}
        if kind not in (_IDENT, ","):
            raise SelectorError(f"found '{literal}', expected: ',', ')' or identifier")
        values = self.identifiers()
        closing, _ = self.consume()
        if closing != ")":
            raise SelectorError(f"found '{literal}', expected: ')'")
        return values

    def identifiers(self) -> set[str]:
        """A comma-separated list in which empty entries stand for the empty value: "(a,,b)", "(,a)"."""
        values: set[str] = set()
        while True:
            kind, literal = self.consume()
            if kind == _IDENT:
                values.add(literal)
                nxt, nxt_literal = self.lookahead()
                if nxt == ",":
                    continue
                if nxt == ")":
                    return values
                raise SelectorError(f"found '{nxt_literal}', expected: ',' or ')'")
            if kind == ",":
                if not values:
                    values.add("")
                nxt, _ = self.lookahead()
                if nxt == ")":
                    values.add("")
                    return values
                if nxt == ",":
                    self.consume()
                    values.add("")
                continue
            raise SelectorError(f"found '{literal}', expected: ',', or identifier")


def parse_label_selector(text: str | None) -> LabelSelector:
    """The ``labelSelector`` query form, e.g. ``a=b,c!=d,e in (x,y),f notin (z),g,!h``; None or "" is everything."""
    if not text:
        return LabelSelector()
    return _sorted(_Parser(text).parse())


_OBJECT_OPERATORS = {"In": IN, "NotIn": NOT_IN, "Exists": EXISTS, "DoesNotExist": DOES_NOT_EXIST}


def label_selector_from_object(sel: Mapping | None) -> LabelSelector:
    """A metav1.LabelSelector (matchLabels AND matchExpressions); None or {} matches everything.

    Real k8s reads a nil selector as "nothing" and an empty one as "everything"; callers that
    care (a Deployment's selector must be non-empty) check before asking.
    """
    if sel is None:
        return LabelSelector()
    if not isinstance(sel, Mapping):
        raise SelectorError(f"invalid label selector: expected an object, got {type(sel).__name__}")
    requirements: list[Requirement] = []
    match_labels = sel.get("matchLabels") or {}
    if not isinstance(match_labels, Mapping):
        raise SelectorError("invalid label selector: matchLabels must be an object")
    for key, value in match_labels.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise SelectorError(f"invalid label selector: matchLabels[{key!r}] must be a string")
        requirements.append(_new_requirement(key, EQUALS, [value]))
    expressions = sel.get("matchExpressions") or []
    if not isinstance(expressions, list):
        raise SelectorError("invalid label selector: matchExpressions must be a list")
    for expr in expressions:
        if not isinstance(expr, Mapping):
            raise SelectorError("invalid label selector: a matchExpressions entry must be an object")
        operator = expr.get("operator")
        if operator not in _OBJECT_OPERATORS:
            shown = operator if isinstance(operator, str) else ("" if operator is None else str(operator))
            raise SelectorError(f"{_quote(shown)} is not a valid label selector operator")
        key = expr.get("key")
        values = expr.get("values") or []
        if not isinstance(key, str) or not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise SelectorError("invalid label selector: key must be a string and values a list of strings")
        # values form a set: sorted and deduplicated, so equal selectors compare equal
        requirements.append(_new_requirement(key, _OBJECT_OPERATORS[operator], sorted(set(values))))
    return _sorted(requirements)


def label_selector_to_string(sel: Mapping | None) -> str:
    """metav1.LabelSelector -> "app=web,tier in (a,b)" (Selector.String(): sorted by key, values sorted).

    An empty selector gives "" (kubectl describe prints that as "<none>"); an invalid one raises.
    """
    return str(label_selector_from_object(sel))


# --------------------------------------------------------------------------------------------------
# Field selectors (k8s.io/apimachinery/pkg/fields)


@dataclass(frozen=True)
class FieldRequirement:
    """``field=value`` or ``field!=value``; "==" is read as "="."""

    field: str
    operator: str  # "=" or "!="
    value: str

    def matches(self, obj: Mapping) -> bool:
        have = _field_value(obj, self.field)
        equal = have is not None and have == self.value
        return equal if self.operator == "=" else not equal

    def __str__(self) -> str:
        return f"{self.field}{self.operator}{_escape(self.value)}"


def _field_value(obj: Mapping, path: str) -> str | None:
    """The value at a dotted path, as a field label string: a missing field is ""; an object or list is None."""
    node: object = obj
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return ""
        node = node[part]
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    if isinstance(node, float) and node.is_integer():
        return str(int(node))
    if isinstance(node, str | int | float):
        return str(node)
    return None


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def _unescape(value: str) -> str:
    """fields.UnescapeValue: "\\\\", "\\," and "\\=" are data; a bare "," or "=" is an error."""
    if not any(c in value for c in "\\,="):
        return value
    out: list[str] = []
    in_slash = False
    for c in value:
        if in_slash:
            if c not in "\\,=":
                raise SelectorError(f"invalid field selector: invalid escape sequence: \\{c}")
            out.append(c)
            in_slash = False
        elif c == "\\":
            in_slash = True
        elif c in ",=":
            raise SelectorError(f"invalid field selector: unescaped character in value: {c}")
        else:
            out.append(c)
    if in_slash:
        raise SelectorError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not backslash-escaped; the escapes stay in the terms."""
    terms: list[str] = []
    start, in_slash = 0, False
    for i, c in enumerate(text):
        if in_slash:
            in_slash = False
        elif c == "\\":
            in_slash = True
        elif c == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


@dataclass(frozen=True)
class FieldSelector:
    """The AND of ``field=value`` / ``field!=value`` terms over dotted paths into the object."""

    requirements: tuple[FieldRequirement, ...] = ()

    def matches(self, obj: Mapping) -> bool:
        return all(r.matches(obj) for r in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements

    def exact(self, field: str) -> str | None:
        """The value `field` must equal, if the selector pins it (fields.Selector.RequiresExactMatch)."""
        for r in self.requirements:
            if r.field == field and r.operator == "=":
                return r.value
        return None

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


def parse_field_selector(text: str | None) -> FieldSelector:
    """fields.ParseSelector: ``metadata.name=web,status.phase!=Running``; terms are not trimmed, as in k8s."""
    if not text:
        return FieldSelector()
    requirements: list[FieldRequirement] = []
    for term in sorted(_split_terms(text)):
        if term == "":
            continue
        for i in range(len(term)):
            rest = term[i:]
            op = next((o for o in ("!=", "==", "=") if rest.startswith(o)), None)
            if op is not None:
                field, raw = term[:i], term[i + len(op) :]
                break
        else:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{term}'")
        requirements.append(FieldRequirement(field, "!=" if op == "!=" else "=", _unescape(raw)))
    # k8s sorts the raw terms; sorting the parsed ones instead makes equal selectors compare equal
    return FieldSelector(tuple(sorted(requirements, key=lambda r: (r.field, r.operator, r.value))))

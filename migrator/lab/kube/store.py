"""The object store behind the emulated API server: what etcd plus the generic registry do.

Every write gets a new cluster-wide ``resourceVersion``; updates carrying a stale one fail
with 409 Conflict; spec changes bump ``metadata.generation``; objects with finalizers are only
marked for deletion; every change is an event that watches and controllers see in order.

Stored objects are never mutated: a write stores a new dict. Readers may hold references.
"""

from __future__ import annotations

import base64
import bisect
import copy
import datetime as dt
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from migrator.lab.kube import errors
from migrator.lab.kube.errors import ApiError, Cause
from migrator.lab.kube.resources import Registry, ResourceType
from migrator.lab.kube.selectors import FieldSelector, LabelSelector

HISTORY = 50_000
CONTINUE_TTL = 300.0  # seconds a continue token stays valid (the apiserver's compaction window)
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # generateName suffixes: no vowels, no look-alikes
RETURNS_DELETED_OBJECT = {("", "pods"), ("", "serviceaccounts")}

Key = tuple[str, str]  # (namespace, name)
Admit = Callable[[str, ResourceType, dict, dict | None], dict]

EMPTY_STATUS_KINDS = ("Deployment", "Job", "CronJob")
"""Kinds whose status has no field without omitempty: a new object reads back ``status: {}``."""


def now_rfc3339() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Event:
    rv: int
    type: str  # ADDED | MODIFIED | DELETED
    rt: ResourceType
    obj: dict
    old: dict | None = None


@dataclass(frozen=True)
class ListResult:
    items: list[dict]
    resource_version: str
    continue_token: str | None
    remaining: int | None


def _meta(obj: dict) -> dict:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _spec_part(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "kind", "apiVersion")}


class Store:
    def __init__(self, registry: Registry, uid: Callable[[], str]) -> None:
        self.registry = registry
        self._uid = uid
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self._rv = 1
        self._data: dict[tuple[str, str], dict[Key, dict]] = {}
        self._sorted: dict[tuple[str, str], list[Key]] = {}
        self._history: list[Event] = []
        self._history_rvs: list[int] = []
        self._closed = False
        self.admit: Admit = lambda op, rt, new, old: new
        self.listeners: list[Callable[[Event], None]] = []

    # -- reading ------------------------------------------------------------------------
    @property
    def resource_version(self) -> str:
        return str(self._rv)

    def _bucket(self, rt: ResourceType) -> dict[Key, dict]:
        return self._data.setdefault((rt.group, rt.plural), {})

    def _keys(self, rt: ResourceType) -> list[Key]:
        """Keys in etcd order, kept sorted as objects come and go (lists and controllers read them constantly)."""
        keys = self._sorted.get((rt.group, rt.plural))
        if keys is None:
            keys = self._sorted[(rt.group, rt.plural)] = sorted(self._bucket(rt))
        return keys

    def _namespace_range(self, keys: list[Key], namespace: str) -> tuple[int, int]:
        return bisect.bisect_left(keys, (namespace, "")), bisect.bisect_left(keys, (namespace + "\0", ""))

    def find(self, rt: ResourceType, namespace: str | None, name: str) -> dict | None:
        with self.lock:
            return self._bucket(rt).get((namespace or "" if rt.namespaced else "", name))

    def get(self, rt: ResourceType, namespace: str | None, name: str) -> dict:
        obj = self.find(rt, namespace, name)
        if obj is None:
            raise errors.not_found(rt, name)
        return obj

    def objects(self, rt: ResourceType, namespace: str | None = None) -> list[dict]:
        """Every object of a type (in one namespace), for the lab's controllers."""
        with self.lock:
            bucket, keys = self._bucket(rt), self._keys(rt)
            lo, hi = self._namespace_range(keys, namespace) if namespace and rt.namespaced else (0, len(keys))
            return [bucket[key] for key in keys[lo:hi]]

    def list(
        self,
        rt: ResourceType,
        namespace: str | None = None,
        labels: LabelSelector | None = None,
        fields: FieldSelector | None = None,
        limit: int = 0,
        continue_token: str | None = None,
    ) -> ListResult:
        with self.lock:
            list_rv, after = self._rv, None
            bucket, keys = self._bucket(rt), self._keys(rt)
            if continue_token:
                list_rv, after = _decode_continue(continue_token)
                bucket, keys = self._snapshot(rt, list_rv)
            lo, hi = 0, len(keys)
            if namespace and rt.namespaced:
                lo, hi = self._namespace_range(keys, namespace)
            if after is not None:
                lo = max(lo, bisect.bisect_right(keys, after))
            items: list[dict] = []
            index, more = lo, False
            for index in range(lo, hi):
                obj = bucket[keys[index]]
                if labels is not None and not labels.matches(_meta(obj).get("labels")):
                    continue
                if fields is not None and not fields.matches(obj):
                    continue
                if limit and len(items) == limit:
                    more = True
                    break
                items.append(obj)
            token = remaining = None
            if more:
                last = _meta(items[-1])
                token = _encode_continue(list_rv, (last.get("namespace", "") if rt.namespaced else "", last["name"]))
                if not ((labels and not labels.empty) or fields is not None):
                    remaining = hi - index
            return ListResult(items, str(list_rv), token, remaining)

    def _snapshot(self, rt: ResourceType, rv: int) -> tuple[dict[Key, dict], list[Key]]:
        """The type's objects as they were at ``rv``, so that the pages of one chunked list stay one
        consistent list: the current objects with every later event undone."""
        if rv >= self._rv:
            return self._bucket(rt), self._keys(rt)
        if self._history_rvs and rv < self._history_rvs[0] - 1:
            raise errors.expired(f"The resourceVersion for the provided list is too old: {rv}")  # compacted away
        later = [event for event in self.events_since(rv) if event.rt == rt]
        if not later:
            return self._bucket(rt), self._keys(rt)
        bucket = dict(self._bucket(rt))
        for event in reversed(later):
            meta = _meta(event.obj)
            key = (meta.get("namespace", "") if rt.namespaced else "", meta["name"])
            if event.old is None:
                bucket.pop(key, None)
            else:
                bucket[key] = event.old
        return bucket, sorted(bucket)

    # -- writing ------------------------------------------------------------------------
    def create(self, rt: ResourceType, namespace: str | None, body: dict, *, dry_run: bool = False) -> dict:
        with self.lock:
            obj = copy.deepcopy(body)
            meta = obj.setdefault("metadata", {})
            if not isinstance(meta, dict):
                raise errors.bad_request("metadata must be an object")
            self._check_type(rt, obj)
            ns = self._namespace_for(rt, namespace, meta)
            prefix = None if meta.get("name") else meta.get("generateName")
            if not prefix:
                _check_name(rt, meta.get("name") or "")
                if (ns, meta["name"]) in self._bucket(rt):
                    raise errors.already_exists(rt, meta["name"])
            if "status" in rt.subresources:
                # PrepareForCreate resets a built-in type's status: a struct whose fields are all omitempty
                # for these kinds is written as {}; a custom resource's is dropped
                obj.pop("status", None)
                if rt.builtin and rt.kind in EMPTY_STATUS_KINDS:
                    obj["status"] = {}
            for key in (
                "resourceVersion",
                "uid",
                "creationTimestamp",
                "deletionTimestamp",
                "generation",
                "managedFields",
            ):
                meta.pop(key, None)
            meta["uid"] = self._uid()
            meta["creationTimestamp"] = now_rfc3339()
            obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
            obj = self.admit("CREATE", rt, obj, None)
            meta = obj["metadata"]
            if prefix:  # as in BeforeCreate: after mutating admission, which saw only the prefix
                meta["name"] = self._generated_name(rt, ns, prefix)
                _check_name(rt, meta["name"])
            name = meta["name"]
            if _spec_part(obj) and rt.kind not in ("Pod",):
                meta["generation"] = 1
            obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
            if dry_run:
                meta["resourceVersion"] = str(self._rv)
                return obj
            self._commit(rt, (ns, name), obj, "ADDED", None)
            return obj

    def replace(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        body: dict,
        *,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> dict:
        with self.lock:
            old = self.get(rt, namespace, name)
            new = copy.deepcopy(body)
            self._check_type(rt, new)
            meta = new.setdefault("metadata", {})
            if meta.get("name", name) != name:
                raise errors.bad_request(
                    f"the name of the object ({meta.get('name')}) does not match the name on the URL ({name})"
                )
            sent_rv = meta.get("resourceVersion")
            if sent_rv not in (None, "") and str(sent_rv) != _meta(old).get("resourceVersion"):
                raise errors.conflict(rt, name)
            return self._update(rt, old, new, subresource, dry_run)

    def patch(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        apply: Callable[[dict], dict],
        *,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> dict:
        """``apply`` computes the patched object from the current one (any patch type)."""
        with self.lock:
            old = self.get(rt, namespace, name)
            new = apply(copy.deepcopy(old))
            if not isinstance(new, dict):
                raise errors.bad_request("the patched object must be a JSON object")
            meta = new.get("metadata") if isinstance(new.get("metadata"), dict) else {}
            if str(meta.get("resourceVersion", "")) != str(_meta(old).get("resourceVersion")):
                raise errors.conflict(rt, name)
            return self._update(rt, old, new, subresource, dry_run)

    def _update(self, rt: ResourceType, old: dict, new: dict, subresource: str | None, dry_run: bool) -> dict:
        old_meta = _meta(old)
        if subresource == "status":
            merged = copy.deepcopy(old)
            merged["status"] = new.get("status", {})
            new = merged
        else:
            if "status" in rt.subresources:
                if "status" in old:
                    new["status"] = copy.deepcopy(old["status"])
                else:
                    new.pop("status", None)
            meta = new.setdefault("metadata", {})
            for key in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"):
                if key in old_meta:
                    meta[key] = old_meta[key]
                else:
                    meta.pop(key, None)
            meta["name"] = old_meta["name"]
            if rt.namespaced:
                meta["namespace"] = old_meta.get("namespace")
            added = _added_finalizers(old_meta, meta)
            if old_meta.get("deletionTimestamp") and added:
                quoted = ", ".join(json.dumps(f) for f in added)
                raise errors.invalid(
                    rt,
                    old_meta["name"],
                    [
                        Cause(
                            "metadata.finalizers",
                            "FieldValueForbidden",
                            "Forbidden: no new finalizers can be added if the object is being deleted, "
                            f"found new finalizers []string{{{quoted}}}",
                        )
                    ],
                )
            new["apiVersion"], new["kind"] = rt.api_version, rt.kind
            new = self.admit("UPDATE", rt, new, old)
        new["apiVersion"], new["kind"] = rt.api_version, rt.kind
        meta = new["metadata"]
        meta["resourceVersion"] = old_meta.get("resourceVersion")
        if subresource != "status" and "generation" in old_meta and _spec_part(new) != _spec_part(old):
            meta["generation"] = old_meta["generation"] + 1
        if new == old:
            return old  # a no-op write keeps its resourceVersion, as on a real server
        if dry_run:
            return new
        key = (meta.get("namespace", "") if rt.namespaced else "", meta["name"])
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            self._commit(rt, key, new, "DELETED", old)
        else:
            self._commit(rt, key, new, "MODIFIED", old)
        return new

    def delete(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        *,
        preconditions: dict | None = None,
        dry_run: bool = False,
        foreground: bool = False,
    ) -> tuple[dict, bool]:
        """Delete, or mark for deletion when finalizers remain. Returns (object, gone)."""
        with self.lock:
            old = self.get(rt, namespace, name)
            meta = _meta(old)
            for field, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
                wanted = (preconditions or {}).get(field)
                if wanted and wanted != meta.get(field):
                    raise errors.precondition_failed(
                        rt,
                        name,
                        f"Precondition failed: {label} in precondition: {wanted}, "
                        f"{label} in object meta: {meta.get(field)}",
                    )
            finalizers = list(meta.get("finalizers") or [])
            if foreground and "foregroundDeletion" not in finalizers:
                finalizers.append("foregroundDeletion")
            if rt.kind == "Namespace" and not meta.get("deletionTimestamp"):
                pending = copy.deepcopy(old)
                pending["metadata"]["deletionTimestamp"] = now_rfc3339()
                pending.setdefault("status", {})["phase"] = "Terminating"
                return (pending if dry_run else self._mark(rt, old, pending)), False
            key = (meta.get("namespace", "") if rt.namespaced else "", name)
            if finalizers:
                if meta.get("deletionTimestamp"):
                    return old, False
                pending = copy.deepcopy(old)
                pending["metadata"].update(
                    deletionTimestamp=now_rfc3339(), deletionGracePeriodSeconds=0, finalizers=finalizers
                )
                return (pending if dry_run else self._mark(rt, old, pending)), False
            if not dry_run:
                gone = copy.deepcopy(old)
                self._commit(rt, key, gone, "DELETED", old)
                return gone, True
            return old, True

    def remove(self, rt: ResourceType, namespace: str | None, name: str) -> None:
        """Delete regardless of finalizers: for the controllers that own the finalizing step."""
        with self.lock:
            old = self.find(rt, namespace, name)
            if old is not None:
                self._commit(rt, (namespace or "" if rt.namespaced else "", name), copy.deepcopy(old), "DELETED", old)

    def _mark(self, rt: ResourceType, old: dict, pending: dict) -> dict:
        meta = _meta(pending)
        self._commit(rt, (meta.get("namespace", "") if rt.namespaced else "", meta["name"]), pending, "MODIFIED", old)
        return pending

    def _commit(self, rt: ResourceType, key: Key, obj: dict, kind: str, old: dict | None) -> None:
        self._rv += 1
        obj["metadata"]["resourceVersion"] = str(self._rv)
        bucket = self._bucket(rt)
        if kind == "DELETED":
            bucket.pop(key, None)
            keys = self._keys(rt)
            index = bisect.bisect_left(keys, key)
            if index < len(keys) and keys[index] == key:
                del keys[index]
        else:
            if key not in bucket:
                bisect.insort(self._keys(rt), key)
            bucket[key] = obj
        event = Event(self._rv, kind, rt, obj, old)
        self._history.append(event)
        self._history_rvs.append(self._rv)
        if len(self._history) > 2 * HISTORY:
            del self._history[:HISTORY]
            del self._history_rvs[:HISTORY]
        for listener in self.listeners:
            listener(event)
        self.changed.notify_all()

    # -- watching -----------------------------------------------------------------------
    def close(self) -> None:
        with self.lock:
            self._closed = True
            self.changed.notify_all()

    def events_since(self, rv: int) -> list[Event]:
        with self.lock:
            return self._history[bisect.bisect_right(self._history_rvs, rv) :]

    def watch(
        self,
        rt: ResourceType,
        namespace: str | None,
        labels: LabelSelector | None,
        fields: FieldSelector | None,
        since: str | None,
        timeout: float,
    ) -> Iterator[tuple[str, dict]]:
        """(type, object) pairs: the current objects first unless ``since`` names a version, then changes."""
        deadline = time.monotonic() + timeout

        def wanted(obj: dict) -> bool:
            meta = _meta(obj)
            if namespace and rt.namespaced and meta.get("namespace") != namespace:
                return False
            if labels is not None and not labels.matches(meta.get("labels")):
                return False
            return fields is None or fields.matches(obj)

        with self.lock:
            if since in (None, "", "0"):
                cursor = self._rv
                initial = [obj for obj in self.objects(rt, namespace if rt.namespaced else None) if wanted(obj)]
            else:
                try:
                    cursor = int(since)
                except ValueError:
                    raise errors.bad_request(f"invalid resource version: {since}") from None
                initial = []
                oldest = self._history_rvs[0] - 1 if self._history_rvs else self._rv
                if cursor < oldest:
                    yield "ERROR", errors.expired(f"too old resource version: {cursor} ({oldest})").status()
                    return
        for obj in initial:
            yield "ADDED", obj
        while True:
            with self.lock:
                pending = [e for e in self.events_since(cursor) if e.rt == rt]
                if not pending and not self._closed:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return
                    self.changed.wait(min(remaining, 1.0))
                    pending = [e for e in self.events_since(cursor) if e.rt == rt]
                if self._closed:
                    return
                if self._history_rvs:
                    cursor = max(cursor, self._history_rvs[-1])
            for event in pending:
                now_in = event.type != "DELETED" and wanted(event.obj)
                was_in = event.old is not None and wanted(event.old)
                if event.type == "DELETED":
                    if was_in or wanted(event.obj):
                        yield "DELETED", event.obj
                elif now_in:
                    yield ("MODIFIED" if was_in else "ADDED"), event.obj
                elif was_in:
                    yield "DELETED", event.obj  # it left the selection
            if time.monotonic() >= deadline:
                return

    # -- helpers ------------------------------------------------------------------------
    def _check_type(self, rt: ResourceType, obj: dict) -> None:
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if api_version and api_version != rt.api_version:
            raise errors.bad_request(
                f"the API version in the data ({api_version}) does not match the expected API version "
                f"({rt.api_version})"
            )
        if kind and kind != rt.kind:
            raise errors.bad_request(f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})")

    def _namespace_for(self, rt: ResourceType, namespace: str | None, meta: dict) -> str:
        if not rt.namespaced:
            meta.pop("namespace", None)
            return ""
        ns = namespace or meta.get("namespace") or "default"
        if meta.get("namespace") not in (None, "", ns):
            raise errors.bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        meta["namespace"] = ns
        namespace_obj = self._bucket(self.registry.get("namespaces")).get(("", ns))
        if namespace_obj is None:
            raise errors.namespace_not_found(ns)
        if _meta(namespace_obj).get("deletionTimestamp"):
            raise ApiError(
                403,
                "Forbidden",
                f'{rt.group_resource} "{meta.get("name") or meta.get("generateName", "")}" is forbidden: '
                f"unable to create new content in namespace {ns} because it is being terminated",
            )
        return ns

    def _generated_name(self, rt: ResourceType, ns: str, prefix: str) -> str:
        counter = 0
        while True:
            counter += 1
            n, base = int(self._uid().replace("-", ""), 16), len(SUFFIX_ALPHABET)  # seeded: same names each run
            name = prefix + "".join(SUFFIX_ALPHABET[n // base**i % base] for i in range(5))
            if (ns, name) not in self._bucket(rt) or counter > 20:
                return name


def _added_finalizers(old_meta: dict, meta: dict) -> list[str]:
    return sorted(set(meta.get("finalizers") or []) - set(old_meta.get("finalizers") or []))


def _check_name(rt: ResourceType, name: str) -> None:
    if not name:
        raise errors.invalid(
            rt, name, [Cause("metadata.name", "FieldValueRequired", "Required value: name or generateName is required")]
        )
    if len(name) > 253 or not DNS_SUBDOMAIN.match(name):
        raise errors.invalid(
            rt,
            name,
            [
                Cause(
                    "metadata.name",
                    "FieldValueInvalid",
                    f'Invalid value: "{name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric '
                    "characters, '-' or '.', and must start and end with an alphanumeric character",
                )
            ],
        )


def _encode_continue(rv: int, after: Key) -> str:
    raw = json.dumps({"rv": rv, "after": list(after), "at": time.time()}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_continue(token: str) -> tuple[int, Key]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        rv, after, at = int(raw["rv"]), (str(raw["after"][0]), str(raw["after"][1])), float(raw["at"])
    except (ValueError, KeyError, IndexError, TypeError):
        raise errors.bad_request("continue key is not valid: illegal base64 data") from None
    if time.time() - at > CONTINUE_TTL:
        raise errors.expired(
            "The provided continue parameter is too old to display a consistent list result. You can start a new "
            "list without the continue parameter, or use the continue token in this response to retrieve the "
            "remainder of the results. Continuing with the provided token results in an inconsistent list - objects "
            "that were created, modified, or deleted between the time the first chunk was returned and now may show "
            "up in the list."
        )
    return rv, after

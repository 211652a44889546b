"""HTTP routes of the emulated Kubernetes API: discovery, CRUD, patch, watch, and the
``status``, ``scale``, ``log``, ``token`` and ``eviction`` subresources, answering errors as
``Status`` objects. Behaviour lives in the store, admission and controllers; this module only
translates between HTTP and them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from migrator.lab.httpd import Request, Response, json_response, text_response
from migrator.lab.kube import discovery, errors, patch, tables, tokens
from migrator.lab.kube.errors import ApiError
from migrator.lab.kube.resources import ResourceType
from migrator.lab.kube.selectors import FieldSelector, SelectorError, parse_field_selector, parse_label_selector

if TYPE_CHECKING:
    from migrator.lab.kube.cluster import KubeCluster

ANONYMOUS = ("/version", "/healthz", "/livez", "/readyz")
MAX_WATCH_SECONDS = 1800
# The field labels each type's conversion functions accept besides metadata.name and metadata.namespace;
# anything else is a 400 on a real server, so a client relying on it fails here too.
FIELD_LABELS: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "pods"): (
        "metadata.annotations", "metadata.labels", "metadata.uid", "spec.nodeName", "spec.restartPolicy",
        "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP",
        "status.podIPs", "status.nominatedNodeName",
    ),
    ("", "events"): (
        "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
        "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
        "reportingComponent", "source", "type",
    ),
    ("", "namespaces"): ("status.phase",),
    ("", "nodes"): ("spec.unschedulable",),
    ("", "secrets"): ("type",),
    ("apps", "replicasets"): ("status.replicas",),
    ("batch", "jobs"): ("status.successful",),
}  # fmt: skip
FIELD_PATHS = {("", "events", "source"): "source.component", ("batch", "jobs", "status.successful"): "status.succeeded"}
PATCH_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
)


@dataclass(frozen=True)
class Target:
    rt: ResourceType
    namespace: str | None
    name: str | None
    subresource: str | None
    watch: bool = False


class KubeService:
    name = "kube"

    def __init__(self, cluster: KubeCluster) -> None:
        self.cluster = cluster
        self._json_cache: dict[tuple, bytes] = {}

    # -- Service protocol ---------------------------------------------------------------------
    def classify(self, request: Request) -> tuple[str, str]:
        try:
            target = self._target(request.path)
        except ApiError:
            return request.method.lower(), ""
        if target is None:
            return request.method.lower(), "discovery"
        resource = target.rt.plural + (f"/{target.subresource}" if target.subresource else "")
        return _verb(request, target), resource

    def error(self, status: int, message: str, retry_after: float | None = None) -> Response:
        reasons = {
            403: "Forbidden",
            404: "NotFound",
            409: "Conflict",
            429: "TooManyRequests",
            500: "InternalError",
            503: "ServiceUnavailable",
        }
        failure = ApiError(status, reasons.get(status, "InternalError"), message)
        headers = {}
        if retry_after is not None:
            failure.details = {"retryAfterSeconds": max(1, round(retry_after))}
            headers["Retry-After"] = str(max(1, round(retry_after)))
        return json_response(status, failure.status(), headers)

    def handle(self, request: Request) -> Response:
        try:
            return self._handle(request)
        except ApiError as exc:
            return json_response(exc.code, exc.status())

    # -- routing ------------------------------------------------------------------------------
    def _handle(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        if not path.startswith(ANONYMOUS) and request.bearer() != self.cluster.token:
            raise ApiError(401, "Unauthorized", "Unauthorized")
        fixed = self._fixed(path)
        if fixed is not None:
            return fixed
        target = self._target(path)
        if target is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        verb = _verb(request, target)
        handler = getattr(self, f"_{verb}", None)
        if handler is None:
            raise errors.method_not_allowed()
        return handler(request, target)

    def _fixed(self, path: str) -> Response | None:
        reg = self.cluster.registry
        if path == "/version":
            return json_response(200, discovery.version_info())
        if path in ("/healthz", "/livez", "/readyz"):
            return text_response(200, "ok")
        if path == "/api":
            return json_response(200, discovery.api_versions(self.cluster.server_address()))
        if path == "/apis":
            return json_response(200, discovery.api_group_list(reg))
        if path == "/openapi/v3":
            return json_response(200, discovery.openapi_v3_index(reg))
        if path.startswith("/openapi/"):
            parts = path.split("/")[3:]
            doc = None
            if parts[:2] == ["api", "v1"] and len(parts) == 2:
                doc = discovery.openapi_v3_document(reg, "", "v1")
            elif len(parts) == 3 and parts[0] == "apis":
                doc = discovery.openapi_v3_document(reg, parts[1], parts[2])
            if doc is None:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            return json_response(200, doc)
        parts = path.strip("/").split("/")
        if parts == ["api", "v1"]:
            return json_response(200, discovery.resource_list(reg, "", "v1"))
        if len(parts) == 2 and parts[0] == "apis":
            group = discovery.api_group(reg, parts[1])
            if group is None:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            return json_response(200, group)
        if len(parts) == 3 and parts[0] == "apis":
            listing = discovery.resource_list(reg, parts[1], parts[2])
            if listing is None:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            return json_response(200, listing)
        return None

    def _target(self, path: str) -> Target | None:
        parts = [p for p in path.split("/") if p]
        if len(parts) >= 2 and parts[0] == "api" and parts[1] == "v1":
            group, version, rest = "", "v1", parts[2:]
        elif len(parts) >= 3 and parts[0] == "apis":
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            return None
        watch = bool(rest) and rest[0] == "watch"
        if watch:
            rest = rest[1:]
        if not rest:
            return None
        reg = self.cluster.registry
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3 and reg.lookup(group, version, rest[2]) is not None:
            namespace, rest = rest[1], rest[2:]
        rt = reg.lookup(group, version, rest[0])
        if rt is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if namespace is not None and not rt.namespaced:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if len(rest) > 3 or (sub is not None and sub not in rt.subresources):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return Target(rt, namespace, name, sub, watch)

    # -- verbs --------------------------------------------------------------------------------
    def _get(self, request: Request, t: Target) -> Response:
        store = self.cluster.store
        obj = store.get(t.rt, t.namespace, t.name or "")
        if t.subresource == "log":
            return self._log(request, obj)
        if t.subresource == "scale":
            return json_response(200, _scale(t.rt, obj))
        if tables.wants_table(request.header("Accept")):
            return json_response(200, _table(request, t.rt, [obj], None))
        return json_response(200, obj)

    def _list(self, request: Request, t: Target) -> Response:
        labels, fields = _selectors(request, t.rt)
        limit = _int(request.arg("limit"), "limit")
        result = self.cluster.store.list(t.rt, t.namespace, labels, fields, limit, request.arg("continue"))
        meta: dict = {"resourceVersion": result.resource_version}
        if result.continue_token:
            meta["continue"] = result.continue_token
        if result.remaining is not None:
            meta["remainingItemCount"] = result.remaining
        if tables.wants_table(request.header("Accept")):
            return json_response(200, _table(request, t.rt, result.items, meta))
        head = json.dumps({"kind": t.rt.list_kind, "apiVersion": t.rt.api_version, "metadata": meta}).encode()
        items = b",".join(self._item_json(t.rt, obj) for obj in result.items)
        return Response(200, head[:-1] + b',"items":[' + items + b"]}")

    def _item_json(self, rt: ResourceType, obj: dict) -> bytes:
        """A list item's JSON, cached per resourceVersion: stored objects never change, and big lists
        (20,000 pods) would otherwise spend their time re-encoding the same objects."""
        meta = obj["metadata"]
        key = (rt.group, rt.plural, meta.get("uid"), meta.get("resourceVersion"))
        cached = self._json_cache.get(key)
        if cached is None:
            item = {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")} if rt.builtin else obj
            cached = json.dumps(item, separators=(",", ":")).encode()
            if len(self._json_cache) > 200_000:
                self._json_cache.clear()
            self._json_cache[key] = cached
        return cached

    def _watch(self, request: Request, t: Target) -> Response:
        labels, fields = _selectors(request, t.rt)
        if t.name:  # the legacy /watch/.../name form
            fields = parse_field_selector(f"metadata.name={t.name}")
        timeout = min(
            float(_int(request.arg("timeoutSeconds"), "timeoutSeconds") or MAX_WATCH_SECONDS), MAX_WATCH_SECONDS
        )
        events = self.cluster.store.watch(t.rt, t.namespace, labels, fields, request.arg("resourceVersion"), timeout)
        return Response(200, _stream(events))

    def _create(self, request: Request, t: Target) -> Response:
        if t.subresource == "token":
            return self._token(request, t)
        body = _json_body(request)
        if t.subresource == "eviction":
            self.cluster.store.delete(t.rt, t.namespace, t.name or "")
            return json_response(201, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"})
        if t.name:
            raise errors.method_not_allowed()
        obj = self.cluster.store.create(t.rt, t.namespace, _object(body), dry_run=_dry_run(request))
        return json_response(201, obj)

    def _update(self, request: Request, t: Target) -> Response:
        body = _object(_json_body(request))
        store = self.cluster.store
        if t.subresource == "scale":
            replicas = (body.get("spec") or {}).get("replicas")
            return self._set_replicas(request, t, replicas, (body.get("metadata") or {}).get("resourceVersion"))
        obj = store.replace(t.rt, t.namespace, t.name or "", body, subresource=t.subresource, dry_run=_dry_run(request))
        return json_response(200, obj)

    def _patch(self, request: Request, t: Target) -> Response:
        content_type = request.content_type
        if content_type not in PATCH_TYPES:
            raise errors.unsupported_media_type(content_type)
        if content_type == "application/strategic-merge-patch+json" and not t.rt.builtin:
            raise errors.unsupported_media_type(content_type)
        store = self.cluster.store
        if content_type == "application/apply-patch+yaml":
            return self._apply(request, t)
        document = _json_body(request)
        if t.subresource == "scale":
            current = _scale(t.rt, store.get(t.rt, t.namespace, t.name or ""))
            scaled = _apply_patch(content_type, current, document)
            return self._set_replicas(request, t, (scaled.get("spec") or {}).get("replicas"), None)
        obj = store.patch(
            t.rt,
            t.namespace,
            t.name or "",
            lambda cur: _apply_patch(content_type, cur, document),
            subresource=t.subresource,
            dry_run=_dry_run(request),
        )
        return json_response(200, obj)

    def _apply(self, request: Request, t: Target) -> Response:
        """Server-side apply, approximated: create when absent, else a strategic (or JSON) merge."""
        if not request.arg("fieldManager"):
            raise errors.invalid(
                t.rt,
                t.name or "",
                [errors.Cause("fieldManager", "FieldValueRequired", "Required value: is required for apply patch")],
            )
        try:
            import yaml

            document = yaml.safe_load(request.body.decode("utf-8"))
        except Exception as exc:  # noqa: BLE001 - any parse failure is the client's bad request
            raise errors.bad_request(f"error decoding YAML: {exc}") from None
        document = _object(document)
        store = self.cluster.store
        if store.find(t.rt, t.namespace, t.name or "") is None:
            return json_response(201, store.create(t.rt, t.namespace, document, dry_run=_dry_run(request)))
        kind = "application/strategic-merge-patch+json" if t.rt.builtin else "application/merge-patch+json"
        obj = store.patch(
            t.rt, t.namespace, t.name or "", lambda cur: _apply_patch(kind, cur, document), dry_run=_dry_run(request)
        )
        return json_response(200, obj)

    def _delete(self, request: Request, t: Target) -> Response:
        options = _json_body(request) if request.body else {}
        options = options if isinstance(options, dict) else {}
        policy = request.arg("propagationPolicy") or options.get("propagationPolicy") or "Background"
        store = self.cluster.store
        obj, gone = store.delete(
            t.rt,
            t.namespace,
            t.name or "",
            preconditions=options.get("preconditions"),
            dry_run=_dry_run(request),
            foreground=policy == "Foreground",
        )
        if gone and policy == "Orphan":
            self.cluster.orphan(obj)
        if not gone or (t.rt.group, t.rt.plural) in (("", "pods"), ("", "serviceaccounts")) or not t.rt.builtin:
            return json_response(200, obj)
        meta = obj["metadata"]
        details = {"name": meta["name"], "kind": t.rt.plural, "uid": meta.get("uid")}
        if t.rt.group:
            details["group"] = t.rt.group
        return json_response(
            200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}
        )

    def _deletecollection(self, request: Request, t: Target) -> Response:
        labels, fields = _selectors(request, t.rt)
        store = self.cluster.store
        for obj in store.list(t.rt, t.namespace, labels, fields).items:
            meta = obj["metadata"]
            try:
                store.delete(t.rt, meta.get("namespace"), meta["name"], dry_run=_dry_run(request))
            except ApiError as exc:
                if exc.code != 404:
                    raise
        return json_response(200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"})

    # -- subresources -------------------------------------------------------------------------
    def _set_replicas(self, request: Request, t: Target, replicas: object, rv: str | None) -> Response:
        if not isinstance(replicas, int) or replicas < 0:
            raise errors.invalid(
                t.rt,
                t.name or "",
                [
                    errors.Cause(
                        "spec.replicas",
                        "FieldValueInvalid",
                        f"Invalid value: {replicas}: must be greater than or equal to 0",
                    )
                ],
            )

        def scale(cur: dict) -> dict:
            if rv and rv != cur["metadata"].get("resourceVersion"):
                raise errors.conflict(t.rt, t.name or "")
            cur.setdefault("spec", {})["replicas"] = replicas
            return cur

        obj = self.cluster.store.patch(t.rt, t.namespace, t.name or "", scale, dry_run=_dry_run(request))
        return json_response(200, _scale(t.rt, obj))

    def _log(self, request: Request, pod: dict) -> Response:
        spec = pod.get("spec") or {}
        names = [c.get("name") for c in spec.get("containers") or []]
        init_names = [c.get("name") for c in spec.get("initContainers") or []]
        container = request.arg("container")
        pod_name = pod["metadata"]["name"]
        if not container:
            if len(names) != 1:
                raise errors.bad_request(
                    f"a container name must be specified for pod {pod_name}, choose one of: [{' '.join(names)}]"
                    + (f" or one of the init containers: [{' '.join(init_names)}]" if init_names else "")
                )
            container = names[0]
        if container not in names + init_names:
            raise errors.bad_request(f"container {container} is not valid for pod {pod_name}")
        lines = self.cluster.logs(pod["metadata"].get("namespace", ""), pod_name, container)
        tail = request.arg("tailLines")
        if tail is not None:
            count = _int(tail, "tailLines")
            lines = lines[-count:] if count else []
        if request.arg("timestamps") in ("true", "1"):
            lines = [f"{stamp} {text}" for stamp, text in lines]
        else:
            lines = [text for _, text in lines]
        return text_response(200, "".join(f"{line}\n" for line in lines))

    def _token(self, request: Request, t: Target) -> Response:
        store = self.cluster.store
        sa = store.get(t.rt, t.namespace, t.name or "")
        body = _token_request(request)
        spec = body.get("spec") or {}
        expiration = spec.get("expirationSeconds") or 3600
        if not isinstance(expiration, int) or expiration < tokens.MIN_EXPIRATION:
            raise ApiError(
                422,
                "Invalid",
                f'TokenRequest.authentication.k8s.io "{t.name}" is invalid: '
                f"spec.expirationSeconds: Invalid value: {expiration}: may not specify a duration less than 10 minutes",
                {"name": t.name, "group": "authentication.k8s.io", "kind": "TokenRequest"},
            )
        audiences = list(spec.get("audiences") or []) or [self.cluster.default_audience]
        pod = None
        bound = spec.get("boundObjectRef") or None
        if bound and bound.get("kind") == "Pod":
            pod = store.find(self.cluster.registry.get("pods"), t.namespace, bound.get("name", ""))
            if pod is None or (bound.get("uid") and bound["uid"] != pod["metadata"]["uid"]):
                raise errors.not_found(self.cluster.registry.get("pods"), bound.get("name", ""))
        token, expiry = tokens.mint(
            self.cluster.issuer_key,
            issuer=self.cluster.issuer_url(),
            namespace=t.namespace or "",
            service_account=sa,
            audiences=audiences,
            expiration=expiration,
            jti=self.cluster.ids.uuid(),
            pod=pod,
            node=(pod or {}).get("spec", {}).get("nodeName"),
            clock_offset=self.cluster.clock_offset,
        )
        return json_response(
            201,
            {
                "kind": "TokenRequest",
                "apiVersion": "authentication.k8s.io/v1",
                "metadata": {"name": t.name, "namespace": t.namespace, "creationTimestamp": None},
                "spec": {
                    "audiences": audiences,
                    "expirationSeconds": min(expiration, tokens.MAX_EXPIRATION),
                    "boundObjectRef": bound,
                },
                "status": {
                    "token": token,
                    "expirationTimestamp": dt.datetime.fromtimestamp(expiry, dt.timezone.utc).strftime(
                        "%Y-%m-%dT%H:%M:%SZ"
                    ),
                },
            },
        )


# -- helpers --------------------------------------------------------------------------------------
def _verb(request: Request, t: Target) -> str:
    method = request.method
    if method == "GET":
        if t.name is None:
            return "watch" if t.watch or request.arg("watch") in ("true", "1") else "list"
        return "watch" if t.watch else "get"
    if method == "POST":
        return "create"
    if method == "PUT":
        return "update"
    if method == "PATCH":
        return "patch"
    if method == "DELETE":
        return "delete" if t.name else "deletecollection"
    return method.lower()


def _table(request: Request, rt: ResourceType, objects: list[dict], list_meta: dict | None) -> dict:
    try:
        return tables.table(rt, objects, list_meta=list_meta, include_object=request.arg("includeObject") or "Metadata")
    except ValueError as exc:
        raise errors.bad_request(f"includeObject: {exc}") from None


def _selectors(request: Request, rt: ResourceType) -> tuple:
    try:
        labels = parse_label_selector(request.arg("labelSelector")) if request.arg("labelSelector") else None
        fields = parse_field_selector(request.arg("fieldSelector")) if request.arg("fieldSelector") else None
    except SelectorError as exc:
        raise errors.bad_request(str(exc)) from None
    if fields is not None:
        supported = FIELD_LABELS.get((rt.group, rt.plural), ()) + ("metadata.name", "metadata.namespace")
        for requirement in fields.requirements:
            if requirement.field not in supported:
                raise errors.bad_request(f"field label not supported: {requirement.field}")
        fields = FieldSelector(
            tuple(
                dataclasses.replace(r, field=FIELD_PATHS.get((rt.group, rt.plural, r.field), r.field))
                for r in fields.requirements
            )
        )
    return labels, fields


def _int(value: str | None, name: str) -> int:
    if value in (None, ""):
        return 0
    try:
        number = int(value)
    except ValueError:
        raise errors.bad_request(f'invalid value for {name}: "{value}"') from None
    if number < 0:
        raise errors.bad_request(f"{name} must not be negative")
    return number


def _json_body(request: Request) -> object:
    if request.content_type == "application/vnd.kubernetes.protobuf":
        raise errors.unsupported_media_type(request.content_type)
    try:
        return request.json()
    except ValueError as exc:
        raise errors.bad_request(f"the body of the request is not valid JSON: {exc}") from None


def _object(body: object) -> dict:
    if not isinstance(body, dict):
        raise errors.bad_request("the body of the request must be a JSON object")
    return body


def _dry_run(request: Request) -> bool:
    values = request.query.get("dryRun", [])
    if any(v not in ("All", "") for v in values):
        raise errors.bad_request(f"Invalid dry run value: {values}; only All is supported")
    return "All" in values


def _apply_patch(content_type: str, current: dict, document: object) -> dict:
    try:
        if content_type == "application/json-patch+json":
            result = patch.json_patch(current, document)
        elif content_type == "application/merge-patch+json":
            result = patch.merge_patch(current, document)
        else:
            if not isinstance(document, dict):
                raise patch.PatchError("a strategic merge patch must be a JSON object", status=400)
            result = patch.strategic_merge(current, document)
    except patch.PatchError as exc:
        if exc.status == 400:
            raise errors.bad_request(exc.message) from None
        raise ApiError(
            422, "Invalid", f"the server rejected our request due to an error in our request: {exc.message}"
        ) from None
    if not isinstance(result, dict):
        raise errors.bad_request("the patched object must be a JSON object")
    return result


def _scale(rt: ResourceType, obj: dict) -> dict:
    meta = obj["metadata"]
    status = obj.get("status") or {}
    selector = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta["name"],
            "namespace": meta.get("namespace"),
            "uid": meta.get("uid"),
            "resourceVersion": meta.get("resourceVersion"),
            "creationTimestamp": meta.get("creationTimestamp"),
        },
        "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 0)},
        "status": {
            "replicas": status.get("replicas", 0),
            "selector": ",".join(f"{k}={v}" for k, v in selector.items()),
        },
    }


def _stream(events: Iterator[tuple[str, dict]]) -> Iterator[bytes]:
    for kind, obj in events:
        yield json.dumps({"type": kind, "object": obj}, separators=(",", ":")).encode() + b"\n"


def _token_request(request: Request) -> dict:
    """A TokenRequest from JSON, or from the protobuf kubectl >= 1.32 sends for ``create token``."""
    if request.content_type == "application/vnd.kubernetes.protobuf":
        return _token_request_protobuf(request.body)
    return _object(_json_body(request))


def _token_request_protobuf(body: bytes) -> dict:
    if not body.startswith(b"k8s\x00"):
        raise errors.bad_request("the protobuf body lacks the k8s magic prefix")
    unknown = dict(_fields_all(body[4:]))
    raw = unknown.get(2, b"")
    request = dict(_fields_all(raw if isinstance(raw, bytes) else b""))
    spec_raw = request.get(2, b"")
    audiences: list[str] = []
    expiration = 3600
    for number, value in _fields_all(spec_raw if isinstance(spec_raw, bytes) else b""):
        if number == 1 and isinstance(value, bytes):
            audiences.append(value.decode())
        elif number == 4 and isinstance(value, int):
            expiration = value
    return {"spec": {"audiences": audiences, "expirationSeconds": expiration}}


def _fields_all(data: bytes) -> Iterator[tuple[int, bytes | int]]:
    """Protobuf wire format: (field number, varint or length-delimited bytes)."""
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(data, i)
            yield number, value
        elif wire == 2:
            length, i = _varint(data, i)
            yield number, data[i : i + length]
            i += length
        else:
            raise errors.bad_request("unsupported protobuf wire type in the request body")


def _varint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if i >= len(data):
            raise errors.bad_request("truncated protobuf body")
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, i

"""Turn a plan's federated identity credentials into infrastructure as code.

``render(plan, fmt)`` is pure (text out, no I/O) so the CLI decides where the
text goes and tests can compare it byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable

from migrator.core.plan import Plan
from migrator.export import az, bicep, json_format, terraform
from migrator.export.common import IdentityRef, parse_identity_id

FORMATS = ("az", "terraform", "bicep", "json")

_RENDERERS: dict[str, Callable[[Plan], str]] = {
    "az": az.render,
    "terraform": terraform.render,
    "bicep": bicep.render,
    "json": json_format.render,
}

__all__ = ["FORMATS", "IdentityRef", "parse_identity_id", "render"]


def render(plan: Plan, fmt: str) -> str:
    """The plan's federated credentials in format ``fmt`` (one of ``FORMATS``).

    Raises ValueError for an unknown format or a credential that cannot be
    exported (a managed identity without a valid resource id, an application
    without a client id).
    """
    renderer = _RENDERERS.get(fmt)
    if renderer is None:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return renderer(plan)

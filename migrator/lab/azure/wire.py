"""Small wire-format helpers shared by the ARM and Entra services."""

from __future__ import annotations

import datetime as dt

from migrator.lab.httpd import Request


def iso_time(timestamp: float) -> str:
    """ARM's timestamps: ISO 8601, UTC, with a ``Z``."""
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entra_time(timestamp: float) -> str:
    """Entra's error timestamps: ``YYYY-MM-DD HH:MM:SSZ`` (a space, no ``T``)."""
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


def base_url(request: Request) -> str:
    """``https://{Host}``: absolute links (nextLink, Azure-AsyncOperation, discovery) must name
    the lab as the client reached it."""
    return f"https://{request.header('Host', '127.0.0.1')}"

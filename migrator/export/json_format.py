"""Export as JSON, for tools of one's own (pipelines, reviews, diffs).

Same credentials and order as the other formats, every plan field kept as it
is, so a consumer never has to re-derive what the other exports used.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from migrator.core.plan import Plan
from migrator.export.common import group_credentials


def render(plan: Plan) -> str:
    """``{"issuer": ..., "federatedCredentials": [...]}``, indented, with a final newline."""
    credentials = [asdict(c) for group in group_credentials(plan) for c in group.credentials]
    document = {"issuer": plan.issuer, "federatedCredentials": credentials}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

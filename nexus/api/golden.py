"""Golden record, covenants and connectors (api.md §3.7): `/api/v1/golden-records/...`."""

from __future__ import annotations

from litestar import Controller


class GoldenRecordController(Controller):
    path = "/golden-records"
    tags = ["golden-record"]  # noqa: RUF012

"""Reconciliation routes (api.md §3.6): `/api/v1/reconciliations/...`. Envelope `{success:true, ...}`."""

from __future__ import annotations

from litestar import Controller


class ReconciliationController(Controller):
    path = "/reconciliations"
    tags = ["reconciliation"]  # noqa: RUF012

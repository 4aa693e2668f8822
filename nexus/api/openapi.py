"""OpenAPI helpers: every operation documents its error responses with the shared envelope (api.md §1.14)."""

from __future__ import annotations

from litestar.openapi.datastructures import ResponseSpec

from nexus.api.errors import ERROR_CODES
from nexus.api.schemas import ErrorEnvelope

_TITLES = {
    400: "Validation error",
    401: "Not authenticated",
    403: "Permission denied",
    404: "Not found (also: not an active member of the workspace)",
    405: "Method not allowed",
    409: "Conflict with the current state",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Publish blocked",
    429: "Too many login attempts (Retry-After header)",
    500: "Unexpected error",
    503: "Database unavailable (Retry-After header)",
}


def errors_for(*statuses: int) -> dict[int, ResponseSpec]:
    """Response entries for `statuses` plus the ones any route can answer (400 malformed body, 413, 415, 500, 503)."""
    wanted = sorted({*statuses, 400, 413, 415, 500, 503})
    return {
        status: ResponseSpec(
            data_container=ErrorEnvelope,
            description=f"{_TITLES[status]}. Codes: {', '.join(ERROR_CODES[status])}",
            generate_examples=False,
        )
        for status in wanted
    }

"""Page/limit arithmetic shared by every paged list (api.md §1.7)."""

from __future__ import annotations

# Beyond any offset worth scanning (deep pages use the keyset cursor), and within PostgreSQL's integer range even
# after a query adds the page size, since some queries type the offset as integer.
MAX_OFFSET = 2_000_000_000


def page_offset(page: int, limit: int) -> int:
    """Rows to skip for a 1-based page; a page far past the end still yields [] (never an integer overflow)."""
    return min((page - 1) * limit, MAX_OFFSET)

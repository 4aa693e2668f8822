"""Domain errors raised by services; `nexus/api/errors.py` turns them into the error envelope (api.md §1.3)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base: an HTTP status, a stable code, a human message and optional details."""

    status = 400
    code = "VALIDATION_ERROR"

    def __init__(self, message: str, details: Any = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}


class ValidationFailed(DomainError):
    """400: `details` is a list of `{field, message}`."""

    def __init__(self, message: str, field: str | None = None, details: Any = None) -> None:
        if details is None and field is not None:
            details = [{"field": field, "message": message}]
        super().__init__(message, details)


class Unauthorized(DomainError):
    status = 401
    code = "UNAUTHORIZED"


class InvalidToken(DomainError):
    status = 401
    code = "INVALID_TOKEN"

    def __init__(self, message: str = "Invalid or expired token") -> None:
        super().__init__(message)


class PermissionDenied(DomainError):
    status = 403
    code = "PERMISSION_DENIED"


class NotFound(DomainError):
    status = 404
    code = "NOT_FOUND"


class Conflict(DomainError):
    status = 409
    code = "CONFLICT"


class AlreadyMember(Conflict):
    code = "ALREADY_MEMBER"


class AlreadyDecided(Conflict):
    code = "ALREADY_DECIDED"


class StaleWrite(Conflict):
    code = "STALE_WRITE"


class Locked(Conflict):
    code = "LOCKED"


class PayloadTooLarge(DomainError):
    status = 413
    code = "PAYLOAD_TOO_LARGE"


class UnsupportedMediaType(DomainError):
    status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"


class PublishBlocked(DomainError):
    status = 422
    code = "PUBLISH_BLOCKED"


class RateLimited(DomainError):
    status = 429
    code = "RATE_LIMITED"

    def __init__(self, retry_after: int) -> None:
        retry_after = max(1, retry_after)
        super().__init__(
            f"Too many login attempts. Try again in {retry_after} seconds.",
            {"retryAfter": retry_after},
            {"Retry-After": str(retry_after)},
        )


class DatabaseUnavailable(DomainError):
    status = 503
    code = "DATABASE_UNAVAILABLE"

    def __init__(self, message: str = "Database unavailable", details: Any = None) -> None:
        super().__init__(message, details, {"Retry-After": "5"})

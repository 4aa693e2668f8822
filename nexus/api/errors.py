"""The one error path: every failure becomes `{success:false, error:{code, message, details?}}` (api.md §1.3).

Domain errors carry their status and code; framework errors and database errors are mapped here. Nothing else
formats an error response, and no response ever carries a stack trace.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import psycopg
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.types import ExceptionHandlersMap
from psycopg import errors as pg_errors
from psycopg_pool import PoolTimeout

from nexus.domain.errors import DomainError

log = logging.getLogger("nexus.api")

ERROR_CODES: dict[int, tuple[str, ...]] = {
    400: ("VALIDATION_ERROR",),
    401: ("UNAUTHORIZED", "INVALID_TOKEN"),
    403: ("PERMISSION_DENIED",),
    404: ("NOT_FOUND",),
    405: ("METHOD_NOT_ALLOWED",),
    409: ("CONFLICT", "ALREADY_DECIDED", "ALREADY_MEMBER", "STALE_WRITE", "LOCKED"),
    413: ("PAYLOAD_TOO_LARGE",),
    415: ("UNSUPPORTED_MEDIA_TYPE",),
    422: ("PUBLISH_BLOCKED",),
    429: ("RATE_LIMITED",),
    500: ("INTERNAL_ERROR",),
    503: ("DATABASE_UNAVAILABLE",),
}


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> Response[dict[str, Any]]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return Response(
        {"success": False, "error": error}, status_code=status, headers=headers or {}, media_type=MediaType.JSON
    )


def request_id(request: Request[Any, Any, Any]) -> str:
    rid = request.scope.get("state", {}).get("request_id")
    return rid if isinstance(rid, str) else secrets.token_hex(8)


def _validation_details(exc: ValidationException) -> list[dict[str, str]]:
    details: list[dict[str, str]] = []
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if isinstance(item, dict):
            field = str(item.get("key") or item.get("source") or "body")
            details.append({"field": field, "message": str(item.get("message", "invalid value"))})
    return details or [{"field": "body", "message": str(exc.detail)}]


def handle_domain(_request: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)


def handle_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    if isinstance(exc, ValidationException):
        return error_response(400, "VALIDATION_ERROR", "Invalid request", _validation_details(exc))
    if isinstance(exc, NotFoundException):
        return error_response(404, "NOT_FOUND", "Not found")
    if isinstance(exc, MethodNotAllowedException):
        return error_response(405, "METHOD_NOT_ALLOWED", "Method not allowed", headers=exc.headers or {})
    if isinstance(exc, RequestEntityTooLarge):
        return error_response(413, "PAYLOAD_TOO_LARGE", "Request body is too large")
    if isinstance(exc, NotAuthorizedException):
        return error_response(401, "UNAUTHORIZED", "Authentication required")
    if isinstance(exc, PermissionDeniedException):
        return error_response(403, "PERMISSION_DENIED", exc.detail or "Permission denied")
    status = exc.status_code
    if status == 415:
        return error_response(415, "UNSUPPORTED_MEDIA_TYPE", exc.detail or "Unsupported media type")
    if 400 <= status < 500:
        return error_response(400, "VALIDATION_ERROR", exc.detail or "Invalid request", [])
    return handle_unexpected(request, exc)


def handle_database(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """Lost connections, an exhausted pool and statement timeouts are 503s; constraint violations are 409s."""
    if isinstance(exc, pg_errors.UniqueViolation):
        return error_response(409, "CONFLICT", "The change conflicts with existing data")
    if isinstance(exc, pg_errors.ForeignKeyViolation | pg_errors.RestrictViolation | pg_errors.CheckViolation):
        return error_response(409, "CONFLICT", "The change conflicts with the current state")
    if isinstance(exc, pg_errors.SerializationFailure | pg_errors.DeadlockDetected):
        return error_response(409, "CONFLICT", "A concurrent change won; retry")
    if isinstance(exc, pg_errors.InvalidSqlStatementName | pg_errors.DuplicatePreparedStatement):
        # Prepared statements do not survive transaction pooling: the URL lacks `pgbouncer=true`.
        log.error("prepared statement lost behind a connection pooler; add pgbouncer=true to DATABASE_URL: %s", exc)
        return error_response(503, "DATABASE_UNAVAILABLE", "Database unavailable", headers={"Retry-After": "5"})
    if isinstance(exc, PoolTimeout | psycopg.OperationalError | pg_errors.QueryCanceled | OSError):
        log.warning("database unavailable: %s", exc)
        return error_response(503, "DATABASE_UNAVAILABLE", "Database unavailable", headers={"Retry-After": "5"})
    return handle_unexpected(request, exc)


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    rid = request_id(request)
    log.exception("unexpected error (request %s)", rid, exc_info=exc)
    return error_response(500, "INTERNAL_ERROR", "An unexpected error occurred", {"requestId": rid})


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    DomainError: handle_domain,
    HTTPException: handle_http,
    psycopg.Error: handle_database,
    PoolTimeout: handle_database,
    Exception: handle_unexpected,
}

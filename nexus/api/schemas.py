"""Request and response shapes shared by the controllers (api.md §2). JSON keys are camelCase as the client reads
them, so response models use camelCase attribute names directly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints

from nexus.domain.errors import ValidationFailed

ReasonCategory = Literal["borrower_request", "market_conditions", "credit_update", "legal_requirement", "other"]


def iso(ts: datetime) -> str:
    """ISO-8601 UTC with milliseconds and `Z` (api.md §1.6)."""
    ts = ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def iso_or_none(ts: datetime | None) -> str | None:
    return None if ts is None else iso(ts)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


# Shared field validators: trim surrounding whitespace first, refuse U+0000 last (PostgreSQL text cannot hold it).
STRIP = BeforeValidator(_strip)
NO_NUL = AfterValidator(_no_nul)

# Trimmed, NUL-free strings of 1..N code points (api.md §1.5).
Text50 = Annotated[str, STRIP, StringConstraints(min_length=1, max_length=50, strict=True), NO_NUL]
Text255 = Annotated[str, STRIP, StringConstraints(min_length=1, max_length=255, strict=True), NO_NUL]
# Kept exactly as sent (passwords): only lengths are checked.
Password1024 = Annotated[str, StringConstraints(min_length=1, max_length=1024, strict=True), NO_NUL]
Password256 = Annotated[str, StringConstraints(min_length=8, max_length=256, strict=True), NO_NUL]
Token = Annotated[str, STRIP, StringConstraints(min_length=1, max_length=512, strict=True), NO_NUL]


class RequestModel(BaseModel):
    """Unknown fields are ignored (api.md §1.5); types are strict (no "1" → 1 coercion)."""

    model_config = ConfigDict(extra="ignore", strict=True)


class OptionalFieldsModel(RequestModel):
    """A body whose fields may be left out but not sent as `null`, except those in `NULLABLE` (where null clears
    the value). `reject_nulls()` enforces it (400) and the OpenAPI document says it (`nullable_schemas`)."""

    NULLABLE: ClassVar[tuple[str, ...]] = ()

    def reject_nulls(self) -> None:
        for name in sorted(self.model_fields_set):
            if getattr(self, name) is None and name not in self.NULLABLE:
                raise ValidationFailed(f"{name} must not be null", field=name)


def _without_null(prop: dict[str, Any]) -> None:
    for key in ("oneOf", "anyOf"):
        if isinstance(prop.get(key), list):
            kept = [v for v in prop[key] if v != {"type": "null"}]
            del prop[key]
            if len(kept) == 1:
                prop.update(kept[0])
            else:
                prop[key] = kept
    if isinstance(prop.get("type"), list):
        types = [t for t in prop["type"] if t != "null"]
        prop["type"] = types[0] if len(types) == 1 else types
    if isinstance(prop.get("enum"), list):
        prop["enum"] = [v for v in prop["enum"] if v is not None]


def fix_nullable_schemas(components: dict[str, Any]) -> None:
    """Litestar documents every `X | None` field as nullable; make the document match `reject_nulls`."""
    stack: list[type[OptionalFieldsModel]] = list(OptionalFieldsModel.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        schema = components.get(cls.__name__)
        if not isinstance(schema, dict):
            continue
        for name, prop in schema.get("properties", {}).items():
            if name not in cls.NULLABLE and isinstance(prop, dict):
                _without_null(prop)


class ResponseModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(ResponseModel):
    code: str
    message: str
    details: Any = None


class ErrorEnvelope(ResponseModel):
    success: Literal[False] = False
    error: ErrorBody


# -- users and sessions ---------------------------------------------------------------------------------------
class UserOut(ResponseModel):
    id: str
    email: str
    name: str
    avatarUrl: str | None
    createdAt: str


class SessionOut(ResponseModel):
    id: str
    userId: str
    createdAt: str
    expiresAt: str
    revokedAt: str | None
    userAgent: str | None
    ip: str | None
    current: bool

"""Multipart uploads (api.md §1.12): one `document` file part plus text fields, with the contract's limits.

The whole request is capped by the route's `request_max_body_size` (15 MiB → 413 before parsing); here: the file
≤ 10 MiB (413), each text field ≤ 4 MiB (413), exactly one file part (a second one → 400), text fields valid UTF-8
without NUL (400), and the stored file name is the base name of the sent one (path components removed, ≤ 255).
The client's MIME type is never trusted; the document's type is decided from its name and bytes by `nexus.recon`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.exceptions import ClientException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge

from nexus.api.request import UnsupportedMediaTypeError
from nexus.domain.errors import PayloadTooLarge, ValidationFailed

MAX_FILE: Final = 10 * 1024 * 1024
MAX_FIELD: Final = 4 * 1024 * 1024
MAX_REQUEST: Final = 15 * 1024 * 1024
MAX_FILE_NAME: Final = 255
FILE_FIELD: Final = "document"


@dataclass(frozen=True)
class Multipart:
    fields: dict[str, str]
    file_name: str | None
    data: bytes | None


def is_multipart(request: Request[Any, Any, Any]) -> bool:
    return request.content_type[0] == "multipart/form-data"


def base_name(raw: str) -> str:
    """The file's own name: everything after the last `/` or `\\` (a client may send a full path), trimmed."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or name in (".", ".."):
        raise ValidationFailed("The document needs a file name", field=FILE_FIELD)
    if "\x00" in name or any(ord(c) < 0x20 for c in name):
        raise ValidationFailed("The file name contains control characters", field=FILE_FIELD)
    if len(name) > MAX_FILE_NAME:
        raise ValidationFailed(f"The file name is longer than {MAX_FILE_NAME} characters", field=FILE_FIELD)
    return name


async def _read_file(upload: UploadFile) -> bytes:
    data = await upload.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise PayloadTooLarge("The document is larger than 10 MiB", {"limit": MAX_FILE})
    return data


async def read_multipart(request: Request[Any, Any, Any], field_names: tuple[str, ...]) -> Multipart:
    """Parse the body; unknown text fields are ignored, unknown file parts are refused (400)."""
    if not is_multipart(request):
        raise UnsupportedMediaTypeError(detail="Request body must be multipart/form-data")
    try:
        form = await request.form()
    except RequestEntityTooLarge:
        raise
    except UnicodeDecodeError:
        raise ValidationFailed("Form fields must be UTF-8 text", field="body") from None
    except ClientException as exc:
        if "Too Large" in str(exc.detail):
            raise PayloadTooLarge("Request body is too large") from None
        raise ValidationFailed("Malformed multipart/form-data body", field="body") from None
    try:
        fields: dict[str, str] = {}
        files: list[UploadFile] = []
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                if name != FILE_FIELD:
                    raise ValidationFailed(f"Unexpected file part '{name}' (only '{FILE_FIELD}')", field=name)
                files.append(value)
            elif name == FILE_FIELD:
                raise ValidationFailed(f"'{FILE_FIELD}' must be a file", field=FILE_FIELD)
            elif name in field_names:
                if name in fields:
                    raise ValidationFailed(f"'{name}' is given more than once", field=name)
                if len(value.encode()) > MAX_FIELD:
                    raise PayloadTooLarge(f"The field '{name}' is larger than 4 MiB")
                if "\x00" in value:
                    raise ValidationFailed(f"'{name}' must not contain NUL characters", field=name)
                fields[name] = value
        if len(files) > 1:
            raise ValidationFailed(f"Exactly one '{FILE_FIELD}' file part is allowed", field=FILE_FIELD)
        if not files:
            return Multipart(fields, None, None)
        return Multipart(fields, base_name(files[0].filename or ""), await _read_file(files[0]))
    finally:
        for _, value in form.multi_items():
            if isinstance(value, UploadFile):
                await value.close()

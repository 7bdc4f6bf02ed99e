"""Checks of uploaded material files: size, extension and magic bytes (both must agree).

OFD (GB/T 33190), DOCX and XLSX are ZIP containers; they are told apart by the entry that
each format requires (``OFD.xml``, ``word/document.xml``, ``xl/workbook.xml``).
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, cast

from django.core.files import File
from django.utils.translation import gettext as _

from xiaoneng.core.errors import ValidationFailed

MAX_FILE_SIZE = 20 * 1024 * 1024  # 20 MB

#: extension → (content type, description for messages)
ALLOWED_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "ofd": "application/ofd",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_ZIP_ENTRY = {"ofd": "OFD.xml", "docx": "word/document.xml", "xlsx": "xl/workbook.xml"}
_MAGIC = {
    "pdf": (b"%PDF-",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "ofd": (b"PK\x03\x04",),
    "docx": (b"PK\x03\x04",),
    "xlsx": (b"PK\x03\x04",),
}


@dataclass(frozen=True)
class CheckedFile:
    extension: str
    content_type: str
    size: int
    sha256: str


def _size_of(file: File) -> int:
    size = getattr(file, "size", None)
    if size is None:
        stream = cast(IO[bytes], file.file)
        pos = stream.tell()
        stream.seek(0, 2)
        size = stream.tell()
        stream.seek(pos)
    return int(size)


def check_upload(file: File, *, field: str = "file") -> CheckedFile:
    """Validate ``file`` or raise :class:`ValidationFailed` naming ``field``; returns its
    type, size and SHA-256 (the stream is left at its start)."""
    name = PurePath(file.name or "").name
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    allowed = "PDF、JPG、PNG、OFD、DOCX、XLSX"
    if extension not in ALLOWED_TYPES:
        raise ValidationFailed(
            _("文件“%(name)s”的类型不允许：只接受 %(allowed)s 文件。")
            % {"name": name, "allowed": allowed},
            field=field,
            code="file_type",
        )
    size = _size_of(file)
    if size == 0:
        raise ValidationFailed(
            _("文件“%(name)s”是空文件。") % {"name": name}, field=field, code="file_empty"
        )
    if size > MAX_FILE_SIZE:
        raise ValidationFailed(
            _("文件“%(name)s”过大（%(size).1f MB），单个文件不能超过 20 MB。")
            % {"name": name, "size": size / 1024 / 1024},
            field=field,
            code="file_too_large",
        )
    file.seek(0)
    digest = hashlib.sha256()
    head = b""
    for chunk in file.chunks():
        if len(head) < 16:
            head += chunk[: 16 - len(head)]
        digest.update(chunk)
    file.seek(0)
    mismatch = ValidationFailed(
        _("文件“%(name)s”的内容与扩展名 .%(ext)s 不符。") % {"name": name, "ext": extension},
        field=field,
        code="file_content",
    )
    if not any(head.startswith(magic) for magic in _MAGIC[extension]):
        raise mismatch
    entry = _ZIP_ENTRY.get(extension)
    if entry is not None:
        try:
            with zipfile.ZipFile(cast(IO[bytes], file.file)) as archive:
                if entry not in archive.namelist():
                    raise mismatch
        except zipfile.BadZipFile:
            raise mismatch from None
        finally:
            file.seek(0)
    return CheckedFile(
        extension=extension,
        content_type=ALLOWED_TYPES[extension],
        size=size,
        sha256=digest.hexdigest(),
    )

"""Uploaded files (bulletin attachments, onboarding documents): bytes kept in an object store under keys the
platform makes (never a name a user chose), with their metadata — size, SHA-256, type — in PostgreSQL, where
row-level security decides who may read them. obstore (Rust's object_store) gives one interface over a
local directory, the default, and any S3-compatible store (settings.storage_url / storage_options).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import obstore
import structlog
from obstore.store import LocalStore, MemoryStore, S3Store, from_url
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealernet.core.db import scoped_session
from dealernet.core.errors import Conflict, ValidationFailed
from dealernet.core.scope import AUTH_SCOPE
from dealernet.core.settings import Settings

log = structlog.get_logger(__name__)

MAX_BYTES = 20 * 1024 * 1024
# The types accepted, by extension, and the bytes each must start with (a renamed file is refused).
TYPES = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
}

Store = LocalStore | MemoryStore | S3Store


def open_store(settings: Settings) -> Store:
    """The configured store; a directory under data_dir by default."""
    if settings.storage_url:
        return from_url(settings.storage_url, config=settings.storage_options or None)  # type: ignore[return-value]
    directory = Path(settings.data_dir) / "files"
    directory.mkdir(parents=True, exist_ok=True)
    return LocalStore(directory)


@dataclass(frozen=True)
class Checked:
    filename: str
    content_type: str
    size: int
    sha256: str


def clean_filename(filename: str | None, default: str = "file") -> str:
    """The name to keep and show for an uploaded file: its last path part (either slash), without control or
    format characters (NUL, bidi overrides such as U+202E that disguise "exe.pdf" as "fdp.exe"), spaces
    collapsed, at most 200 characters; `default` when nothing is left."""
    last = re.split(r"[/\\]", filename or "")[-1]
    kept = "".join(c for c in last if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    name = " ".join(kept.split()).strip(" .")[:200].strip()
    return name or default


def check_file(filename: str, content: bytes) -> Checked:
    """The file's name, type and checksum, or VALIDATION: empty, too large, or not a type we accept."""
    name = clean_filename(filename, default="")
    if not content:
        raise ValidationFailed("the file is empty", fields={"file": "empty"})
    if len(content) > MAX_BYTES:
        raise ValidationFailed(f"at most {MAX_BYTES // 1024 // 1024} MB per file", fields={"file": "too large"})
    kind = TYPES.get(Path(name).suffix.lower())
    if kind is None or not content.startswith(kind[1]):
        raise ValidationFailed(
            "a PDF, PNG or JPEG file", fields={"file": f"{Path(name).suffix or 'no extension'} is not accepted"}
        )
    return Checked(
        filename=name or "file", content_type=kind[0], size=len(content), sha256=hashlib.sha256(content).hexdigest()
    )


async def put(store: Store, key: str, content: bytes) -> None:
    await obstore.put_async(store, key, content)


async def get(store: Store, key: str) -> bytes:
    result = await obstore.get_async(store, key)
    return bytes(await result.bytes_async())


async def keep(session: AsyncSession, store: Store, key: str, content: bytes, row: object, *, conflict: str) -> None:
    """Put the bytes under `key` and write the row that names them, in a savepoint; when the row cannot be
    written (a number taken meanwhile: CONFLICT with `conflict`, or anything else) the bytes go again."""
    await put(store, key, content)
    try:
        async with session.begin_nested():  # the row inside: begin_nested flushes what is pending first
            session.add(row)
            await session.flush()
    except IntegrityError as exc:
        await delete(store, key)
        raise Conflict(conflict) from exc
    except BaseException:
        await delete(store, key)
        raise


async def delete(store: Store, key: str) -> None:
    try:
        await obstore.delete_async(store, key)
    except FileNotFoundError:
        return


SWEEP_AFTER = timedelta(days=1)  # younger files may belong to a request still running
SWEEP_BATCH = 1000


async def sweep(
    sessionmaker: async_sessionmaker[AsyncSession], store: Store, *, older_than: timedelta = SWEEP_AFTER
) -> int:
    """Remove stored files no row names (their request rolled back after the bytes were put). Returns how
    many went. The database answers which keys are unreferenced without showing any tenant's rows."""
    cutoff = datetime.now(UTC) - older_than
    removed = 0
    async for batch in obstore.list(store, chunk_size=SWEEP_BATCH):
        old = [meta["path"] for meta in batch if meta["last_modified"] <= cutoff]
        if not old:
            continue
        async with scoped_session(sessionmaker, AUTH_SCOPE) as session:
            orphans = list(await session.scalars(text("SELECT unreferenced_keys(:keys)"), {"keys": old}))
        for key in orphans:
            await delete(store, key)
        removed += len(orphans)
    if removed:
        log.info("stored files swept", removed=removed)
    return removed


async def sweep_job(ctx: dict[str, Any]) -> int:
    return await sweep(ctx["sessionmaker"], ctx["store"])

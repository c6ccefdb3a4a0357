"""A stored file and the row naming it go together: when the row cannot be written, the bytes are removed;
when the request rolls back after the row, the nightly sweep removes them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from obstore.store import LocalStore, MemoryStore
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealernet.core import storage
from dealernet.core.db import new_id
from dealernet.core.errors import Conflict
from dealernet.policy.models import BulletinAttachment
from tests.conftest import Scoped, Tenants


def attachment(network: object, publication: object, key: str) -> BulletinAttachment:
    return BulletinAttachment(
        id=new_id(),
        network_id=network,
        publication_id=publication,
        filename="a.pdf",
        content_type="application/pdf",
        size=5,
        sha256="x",
        storage_key=key,
    )


async def test_a_row_that_cannot_be_written_takes_its_bytes_with_it(
    seed: AsyncSession, scoped: Scoped, tenants: Tenants
) -> None:
    publication = new_id()
    await seed.execute(
        text(
            "INSERT INTO publications (id, network_id, kind, title, status, effective_on, target_all, "
            "acknowledge_within_days) VALUES (:id, :n, 'bulletin', 't', 'draft', current_date, true, 7)"
        ),
        {"id": publication, "n": tenants.network_x},
    )
    store = MemoryStore()
    async with scoped(tenants.hq_x.scope) as session:
        first = attachment(tenants.network_x, publication, "k/1")
        await storage.keep(session, store, "k/1", b"%PDF-", first, conflict="x")
        assert await storage.get(store, "k/1") == b"%PDF-"
        clash = attachment(tenants.network_x, publication, "k/2")
        clash.id = first.id  # the primary key is taken: the database refuses the row
        session.expunge(first)
        with pytest.raises(Conflict, match="taken"):
            await storage.keep(session, store, "k/2", b"other", clash, conflict="taken")
        with pytest.raises(FileNotFoundError):
            await storage.get(store, "k/2")  # the refused row's bytes went with it
        assert await storage.get(store, "k/1") == b"%PDF-"  # the first row's stay
        count = await session.scalar(text("SELECT count(*) FROM bulletin_attachments"))
        assert count == 1  # the savepoint kept the first row


async def test_the_sweep_removes_only_old_files_no_row_names(
    sessionmaker: async_sessionmaker[AsyncSession], seed: AsyncSession, tenants: Tenants, tmp_path: Path
) -> None:
    store = LocalStore(tmp_path)
    named = f"{tenants.network_x}/stations/{tenants.station_a}/documents/{new_id()}"
    await seed.execute(
        text(
            "INSERT INTO station_documents (id, network_id, station_id, kind, filename, content_type, size, sha256, "
            "storage_key) VALUES (gen_random_uuid(), :n, :s, 'other', 'f.pdf', 'application/pdf', 5, 'x', :k)"
        ),
        {"n": tenants.network_x, "s": tenants.station_a, "k": named},
    )
    orphan = f"{tenants.network_y}/letters/{new_id()}.pdf"
    for key in (named, orphan):
        await storage.put(store, key, b"%PDF-")
    assert await storage.sweep(sessionmaker, store, older_than=timedelta(hours=1)) == 0  # too young to judge
    assert await storage.sweep(sessionmaker, store, older_than=timedelta(0)) == 1
    assert await storage.get(store, named) == b"%PDF-"
    with pytest.raises(FileNotFoundError):
        await storage.get(store, orphan)

"""The file store: the default is a directory under data_dir; files are checked by name and first bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from dealernet.core import storage
from dealernet.core.errors import ValidationFailed
from dealernet.core.settings import load_settings

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


async def test_the_default_store_is_a_directory_under_data_dir(tmp_path: Path) -> None:
    settings = load_settings(env="test").model_copy(update={"data_dir": tmp_path, "storage_url": None})
    store = storage.open_store(settings)
    await storage.put(store, "network/bulletins/x/1", PNG)
    assert (tmp_path / "files" / "network" / "bulletins" / "x" / "1").read_bytes() == PNG
    assert await storage.get(store, "network/bulletins/x/1") == PNG
    await storage.delete(store, "network/bulletins/x/1")
    await storage.delete(store, "network/bulletins/x/1")  # gone already: no error
    with pytest.raises(FileNotFoundError):
        await storage.get(store, "network/bulletins/x/1")


def test_a_file_is_named_typed_and_checksummed() -> None:
    checked = storage.check_file("../../etc/照片.PNG", PNG)
    assert (checked.filename, checked.content_type, checked.size) == ("照片.PNG", "image/png", len(PNG))
    assert len(checked.sha256) == 64


@pytest.mark.parametrize(
    ("name", "content"),
    [("a.png", b""), ("a.png", b"GIF89a"), ("a.gif", PNG), ("noextension", PNG), ("a.pdf", PNG)],
)
def test_empty_unknown_or_disguised_files_are_refused(name: str, content: bytes) -> None:
    with pytest.raises(ValidationFailed):
        storage.check_file(name, content)


def test_too_large_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="at most 20 MB"):
        storage.check_file("a.png", PNG + b"\x00" * storage.MAX_BYTES)

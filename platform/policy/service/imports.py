"""Bulk import of the parts catalogue and of price lists, from CSV or XLSX (10,000+ rows).

HQ uploads a file (`start_import`): its header is checked at once, the file is kept with its SHA-256, and
one job is queued. The same file for the same target again is a no-op that answers with the import
already made. The job (`run_import`) validates every row with the rules the API uses, reporting each bad
row with its line number and reason; loads the good rows with COPY into a temporary staging table; checks
the references set-based (unknown supplier, unknown part number); and merges them into the catalogue or
the draft price list with one INSERT … SELECT … ON CONFLICT. In the default mode any bad row rejects the
whole file and nothing is written; in "valid rows" mode the good rows are written and the bad reported.
Progress (rows checked / total) goes to Redis, for HQ and the CLI to follow.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from arq import ArqRedis
from python_calamine import CalamineError, CalamineWorkbook
from redis.exceptions import RedisError
from sqlalchemy import select, text, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import journal, outbox, storage
from dealernet.core.access import Permission, require
from dealernet.core.db import new_id
from dealernet.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dealernet.core.paging import check_page_size, cursor_time
from dealernet.core.scope import Scope
from dealernet.policy.models import Import, Publication
from dealernet.policy.rules import ImportKind, ImportMode, ImportStatus, PublicationStatus
from dealernet.policy.service.catalogue import PartInput, check_part
from dealernet.policy.service.prices import check_money
from dealernet.policy.service.publications import PRICE_LIST, open_draft

PARTS, PRICES = ImportKind.PARTS, ImportKind.PRICES
ALL_OR_NOTHING, VALID_ROWS = ImportMode.ALL_OR_NOTHING, ImportMode.VALID_ROWS
RUN = "policy.run_import"
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
# An XLSX file is a zip: a small one can unpack to gigabytes (a "zip bomb"). What the archive says it
# unpacks to is checked before anything is unpacked, and the sheet's own dimension before it is read.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_ERRORS = 1_000  # reported; rows_rejected counts them all
PROGRESS_EVERY = 2_000
PROGRESS_TTL = 86_400

Progress = Callable[[int, int], Awaitable[None]]


@dataclass(frozen=True)
class Problem:
    line: int
    column: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "reason": self.reason}


# --- Reading the file --------------------------------------------------------------------------------


def file_format(filename: str, content: bytes) -> str:
    """csv or xlsx, by the name and the bytes (an XLSX file is a zip archive, checked before it is read)."""
    name = filename.lower()
    if name.endswith(".xlsx") and zipfile.is_zipfile(io.BytesIO(content)):
        check_workbook(content)
        return "xlsx"
    if name.endswith((".csv", ".txt")):
        return "csv"
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    raise ValidationFailed("upload a .csv, .xlsx or .jsonl file", fields={"file": "not CSV, XLSX or JSON lines"})


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="[A-Z]+\d+(?::[A-Z]+(\d+))?"')


def check_workbook(content: bytes) -> None:
    """Refuse, without unpacking it, a workbook that unpacks to more than MAX_UNPACKED_BYTES or whose first
    sheet declares more rows than an import takes."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > MAX_UNPACKED_BYTES:
                raise ValidationFailed(
                    f"the workbook unpacks to {unpacked // 2**20} MB; at most {MAX_UNPACKED_BYTES // 2**20} MB",
                    fields={"file": "too large unpacked"},
                )
            sheets = sorted(n for n in archive.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
            if sheets:
                with archive.open(sheets[0]) as sheet:
                    head = sheet.read(4096)  # the dimension comes first: the rest stays packed
                found = _DIMENSION.search(head)
                if found and found.group(1) and int(found.group(1)) > MAX_ROWS + 1:
                    raise ValidationFailed(
                        f"the sheet has {int(found.group(1)):,} rows; at most {MAX_ROWS:,} per file",
                        fields={"file": "too many rows"},
                    )
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise ValidationFailed("the XLSX file cannot be read", fields={"file": "not a workbook"}) from exc


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _raw_rows(content: bytes, fmt: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of every row, the header first; blank rows skipped."""
    if fmt == "xlsx":
        # calamine (Rust) reads a sheet several times faster than openpyxl; the first sheet is the data.
        try:
            sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
        except (CalamineError, IndexError, ValueError) as exc:
            raise ValidationFailed("the XLSX file cannot be read", fields={"file": str(exc)[:200]}) from exc
        for number, values in enumerate(sheet, start=1):
            cells = [_cell(v) for v in values]
            if any(cells):
                yield number, cells
        return
    try:
        decoded = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("a CSV file must be UTF-8", fields={"file": f"byte {exc.start} is not UTF-8"}) from exc
    reader = csv.reader(io.StringIO(decoded, newline=""))
    start = 1
    for cells in reader:
        stripped = [c.strip() for c in cells]
        if any(stripped):
            yield start, stripped
        start = reader.line_num + 1


def _header(kind: str, cells: Sequence[str]) -> list[str]:
    """The header's column names, normalised; VALIDATION for a missing or unknown column."""
    required, optional = KINDS[kind].required, KINDS[kind].optional
    names = [c.strip().lower().replace(" ", "_").replace("-", "_") for c in cells]
    missing = [c for c in required if c not in names]
    unknown = [n for n in names if n and n not in required + optional]
    duplicated = sorted({n for n in names if n and names.count(n) > 1})
    if missing or unknown or duplicated:
        problems = {"missing": ", ".join(missing), "unknown": ", ".join(unknown), "twice": ", ".join(duplicated)}
        raise ValidationFailed(
            f"the header must name the columns {', '.join(required)} (optional: {', '.join(optional)})",
            fields={f"file.header.{k}": v for k, v in problems.items() if v},
        )
    return names


def _read_header(kind: str, rows: Iterator[tuple[int, list[str]]]) -> list[str]:
    first = next(rows, None)
    if first is None:
        raise ValidationFailed("the file is empty", fields={"file": "no header row"})
    return _header(kind, first[1])


def check_header(kind: str, content: bytes, fmt: str) -> list[str]:
    """The file can be read and its header names the kind's columns (JSON lines: it starts with an object)."""
    if fmt == "jsonl":
        first = next(iter(read_json_lines(content[:1_000_000])), None)
        if first is None or not isinstance(first[1], dict):
            raise ValidationFailed("a JSON lines file has one JSON object per line", fields={"file": "line 1"})
        return sorted(first[1])
    return _read_header(kind, _raw_rows(content, fmt))


def read_json_lines(content: bytes) -> list[tuple[int, Any]]:
    """(line number, value) of every non-blank line of a JSON lines file; a line that is not JSON reads as
    the JsonProblem saying why (it is that record's problem, not the file's)."""
    try:
        decoded = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        reason = f"byte {exc.start} is not UTF-8"
        raise ValidationFailed("a JSON lines file must be UTF-8", fields={"file": reason}) from exc
    values: list[tuple[int, Any]] = []
    for number, text_line in enumerate(decoded.splitlines(), start=1):
        if not text_line.strip():
            continue
        if len(values) == MAX_ROWS:
            raise ValidationFailed(f"at most {MAX_ROWS:,} records per file", fields={"file": "too many rows"})
        try:
            values.append((number, json.loads(text_line)))
        except ValueError as exc:  # a truncated last line, say: that line's problem
            values.append((number, JsonProblem(str(exc)[:200])))
    return values


@dataclass(frozen=True)
class JsonProblem:
    """A line of a JSON lines file that is not JSON."""

    reason: str


def read_file(kind: str, content: bytes, fmt: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and the data rows as {column: text} with their line numbers."""
    rows = _raw_rows(content, fmt)
    names = _read_header(kind, rows)
    all_named = all(names)
    data: list[tuple[int, dict[str, str]]] = []
    for line, cells in rows:
        if len(data) == MAX_ROWS:
            raise ValidationFailed(f"at most {MAX_ROWS:,} rows per file", fields={"file": "too many rows"})
        if len(cells) == len(names) and all_named:  # the usual row: one cell per column
            data.append((line, dict(zip(names, cells, strict=True))))
        else:
            data.append((line, {n: cells[i] if i < len(cells) else "" for i, n in enumerate(names) if n}))
    return names, data


# --- Checking rows -----------------------------------------------------------------------------------


def check_part_row(line: int, row: Mapping[str, str]) -> tuple[tuple[Any, ...] | None, list[Problem]]:
    """A catalogue row as a staging record (line, part_number, name_zh, name_en, group, unit, supplier)."""
    try:
        part = check_part(
            PartInput(
                part_number=row["part_number"],
                name_zh=row["name_zh"],
                name_en=row["name_en"],
                component_group=row["component_group"],
                unit=row.get("unit", ""),
            )
        )
    except ValidationFailed as exc:
        # check_part names fields in snake_case, as the file names its columns.
        return None, [Problem(line, field, reason) for field, reason in sorted(exc.fields.items())]
    supplier = row.get("supplier_code", "").strip()
    record = (line, part.part_number, part.name_zh, part.name_en, part.component_group, part.unit, supplier)
    return record, []


def _amount(line: int, column: str, value: str) -> tuple[Decimal | None, list[Problem]]:
    try:
        return check_money(Decimal(value.replace(",", "")), column), []
    except InvalidOperation:
        return None, [Problem(line, column, f"{value!r} is not an amount")]
    except ValidationFailed as exc:  # the same words as the API's: what is wrong with it
        return None, [Problem(line, column, exc.fields[column])]


def check_price_row(line: int, row: Mapping[str, str]) -> tuple[tuple[Any, ...] | None, list[Problem]]:
    """A price row as a staging record (line, part_number, currency, list_price, dealer_price)."""
    problems: list[Problem] = []
    part_number = row["part_number"].strip().upper()
    if not part_number:
        problems.append(Problem(line, "part_number", "required"))
    currency = (row.get("currency") or "CNY").strip().upper()
    if len(currency) != 3 or not currency.isalpha() or not currency.isascii():
        problems.append(Problem(line, "currency", "an ISO 4217 code such as CNY"))
    list_price, bad_list = _amount(line, "list_price", row["list_price"])
    dealer_price, bad_dealer = _amount(line, "dealer_price", row["dealer_price"])
    problems += bad_list + bad_dealer
    if problems:
        return None, problems
    return (line, part_number, currency, list_price, dealer_price), []


async def check_rows(
    kind: str, rows: Sequence[tuple[int, Mapping[str, str]]], progress: Progress
) -> tuple[list[tuple[Any, ...]], list[Problem]]:
    """Staging records of the good rows and the problems of the bad ones; a repeated part (and currency)
    is a problem on the later line."""
    spec = KINDS[kind]
    assert spec.check is not None, f"{kind} loads its files itself"
    records: list[tuple[Any, ...]] = []
    problems: list[Problem] = []
    first_seen: dict[Any, int] = {}
    for done, (line, row) in enumerate(rows, start=1):
        record, bad = spec.check(line, row)
        if record is not None:
            seen = first_seen.setdefault(spec.key(record), line)
            if seen != line:
                bad, record = [Problem(line, spec.key_column, f"repeats line {seen}")], None
        if record is not None:
            records.append(record)
        problems += bad
        if done % PROGRESS_EVERY == 0:
            await progress(done, len(rows))
    return records, problems


# --- Staging and merging, set-based ------------------------------------------------------------------


@dataclass(frozen=True)
class Unresolved:
    """Staged rows whose reference does not resolve in the network (RLS: HQ sees only its network's rows):
    the query selects their lines."""

    column: str
    reason: str
    lines: str


@dataclass(frozen=True)
class Loaded:
    """What a kind's own loader made of a file: its data rows, the rows written and the problems."""

    total: int
    written: int
    problems: list[Problem]
    rejected: int | None = None  # records refused, where problems' lines do not count them (lines of an order)


# A kind whose records are not one row each (a repair order and its lines) loads the file itself:
# (session, scope, the import, its content, progress) -> what it made of it; in ALL_OR_NOTHING mode it
# writes nothing when there is a problem.
Loader = Callable[[AsyncSession, Scope, Import, bytes, Progress], Awaitable[Loaded]]
RowCheck = Callable[[int, Mapping[str, str]], tuple[tuple[Any, ...] | None, list[Problem]]]


@dataclass(frozen=True)
class ImportKindSpec:
    """One kind of bulk file: its columns, the check of one row (the API's own rules) into a staging record,
    what may appear once per file, the staging table, and the one statement that merges it — or, for a kind
    whose records span rows, its own `load`. A station's kind (`station_owned`) is uploaded by a station and
    seen by it and HQ only."""

    kind: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    permission: Permission
    check: RowCheck | None = None
    key: Callable[[tuple[Any, ...]], Any] = lambda record: record
    key_column: str = ""
    staging: str = ""  # the staging table's columns, `line` first
    staging_columns: tuple[str, ...] = ()
    # INSERT … SELECT … FROM {staging} … (or several statements, run in order); parameters :network and the
    # kind's own
    merge: str | tuple[str, ...] = ""
    unresolved: Unresolved | None = None
    formats: tuple[str, ...] = ("csv", "xlsx")
    load: Loader | None = None
    station_owned: bool = False


_PARTS_UNRESOLVED = Unresolved(
    "supplier_code",
    "no supplier with this code works with the network",
    "SELECT s.line FROM {staging} s WHERE s.supplier_code <> '' AND NOT EXISTS (SELECT 1 FROM partners p "
    "JOIN partner_networks pn ON pn.partner_id = p.id WHERE p.code = s.supplier_code) ORDER BY s.line",
)
_PRICES_UNRESOLVED = Unresolved(
    "part_number",
    "no part with this number in the catalogue",
    "SELECT s.line FROM {staging} s WHERE NOT EXISTS (SELECT 1 FROM parts p WHERE p.part_number = s.part_number) "
    "ORDER BY s.line",
)
_MERGE = {
    PARTS: """
        INSERT INTO parts AS t (id, network_id, part_number, name_zh, name_en, component_group, unit, supplier_id)
        SELECT uuid_generate_v7(), :network, s.part_number, s.name_zh, s.name_en, s.component_group, s.unit,
               (SELECT p.id FROM partners p WHERE p.code = s.supplier_code)
        FROM {staging} s
        ON CONFLICT (network_id, part_number) DO UPDATE
          SET name_zh = EXCLUDED.name_zh, name_en = EXCLUDED.name_en, component_group = EXCLUDED.component_group,
              unit = EXCLUDED.unit, supplier_id = EXCLUDED.supplier_id, updated_at = now()
          WHERE (t.name_zh, t.name_en, t.component_group, t.unit, t.supplier_id)
                IS DISTINCT FROM (EXCLUDED.name_zh, EXCLUDED.name_en, EXCLUDED.component_group, EXCLUDED.unit,
                                  EXCLUDED.supplier_id)
    """,
    PRICES: """
        INSERT INTO part_prices AS t (id, network_id, publication_id, part_id, region_id, currency, list_price,
                                      dealer_price, valid_from)
        SELECT uuid_generate_v7(), :network, :publication, p.id, :region, s.currency, s.list_price,
               s.dealer_price, :effective_on
        FROM {staging} s JOIN parts p ON p.network_id = :network AND p.part_number = s.part_number
        ON CONFLICT (publication_id, part_id, currency) DO UPDATE
          SET list_price = EXCLUDED.list_price, dealer_price = EXCLUDED.dealer_price
          WHERE (t.list_price, t.dealer_price) IS DISTINCT FROM (EXCLUDED.list_price, EXCLUDED.dealer_price)
    """,
}


async def copy_records(
    session: AsyncSession, table: str, records: Sequence[tuple[Any, ...]], columns: Sequence[str] | None = None
) -> None:
    """COPY through the session's own connection, inside its transaction and tenant scope (all the table's
    columns in order, unless `columns` names them)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
        table, records=records, columns=list(columns) if columns is not None else None
    )


async def stage(session: AsyncSession, kind: str, staging: str, records: Sequence[tuple[Any, ...]]) -> list[Problem]:
    """COPY the good rows into a temporary table; the problems of those whose reference does not resolve,
    which are then left out."""
    spec = KINDS[kind]
    await session.execute(text(f"CREATE TEMPORARY TABLE {staging} ({spec.staging}) ON COMMIT DROP"))
    await copy_records(session, staging, records, spec.staging_columns)
    if spec.unresolved is None:
        return []
    lines = list((await session.execute(text(spec.unresolved.lines.format(staging=staging)))).scalars())
    if lines:
        await session.execute(text(f"DELETE FROM {staging} WHERE line = ANY(:lines)"), {"lines": lines})  # noqa: S608
    return [Problem(line, spec.unresolved.column, spec.unresolved.reason) for line in lines]


async def merge(session: AsyncSession, kind: str, staging: str, params: Mapping[str, Any]) -> int:
    """Write the staged rows; how many rows were new or changed."""
    statements = KINDS[kind].merge
    written = 0
    for statement in (statements,) if isinstance(statements, str) else statements:
        result = await session.execute(text(statement.format(staging=staging)), dict(params))
        written += int(result.rowcount)  # type: ignore[attr-defined]
    return written


# The kinds of file the import path takes: the policy context's here; the contexts to the right add theirs
# at start-up (`register_kind`, from worker.register_jobs).
KINDS: dict[str, ImportKindSpec] = {
    PARTS: ImportKindSpec(
        kind=PARTS,
        required=("part_number", "name_zh", "name_en", "component_group"),
        optional=("unit", "supplier_code"),
        check=check_part_row,
        key=lambda r: r[1],
        key_column="part_number",
        staging="line integer, part_number text, name_zh text, name_en text, component_group text, unit text, "
        "supplier_code text",
        staging_columns=("line", "part_number", "name_zh", "name_en", "component_group", "unit", "supplier_code"),
        merge=_MERGE[PARTS],
        permission=Permission.catalogue_manage,
        unresolved=_PARTS_UNRESOLVED,
    ),
    PRICES: ImportKindSpec(
        kind=PRICES,
        required=("part_number", "list_price", "dealer_price"),
        optional=("currency",),
        check=check_price_row,
        key=lambda r: (r[1], r[2]),
        key_column="part_number",
        staging="line integer, part_number text, currency text, list_price numeric(14, 2), dealer_price numeric(14, 2)",
        staging_columns=("line", "part_number", "currency", "list_price", "dealer_price"),
        merge=_MERGE[PRICES],
        permission=Permission.policy_publish,
        unresolved=_PRICES_UNRESOLVED,
    ),
}


def register_kind(spec: ImportKindSpec) -> None:
    """Make a context's kind of bulk file known to the import path."""
    if spec.kind in KINDS and KINDS[spec.kind] is not spec:
        raise ValueError(f"import kind {spec.kind} is registered twice")
    KINDS[spec.kind] = spec


# --- The service -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Started:
    row: Import
    duplicate: bool  # the same file was imported (or is being imported) already: nothing new was queued


def _permission(kind: str) -> Permission:
    return KINDS[kind].permission


async def start_import(
    session: AsyncSession,
    scope: Scope,
    *,
    kind: str,
    filename: str,
    content: bytes,
    publication_id: UUID | None = None,
    mode: str = ALL_OR_NOTHING,
) -> Started:
    """Keep the file and queue its import, after checking what can be checked at once (size, format,
    header, the draft price list)."""
    if kind not in KINDS:
        known = " or ".join(sorted(KINDS))
        raise ValidationFailed(f"import {known}", fields={"kind": known})
    require(scope, _permission(kind))
    if mode not in (ALL_OR_NOTHING, VALID_ROWS):
        raise ValidationFailed("all_or_nothing or valid_rows", fields={"mode": "unknown mode"})
    if kind == PRICES:
        if publication_id is None:
            raise ValidationFailed("name the draft price list", fields={"price_list_id": "required"})
        await open_draft(session, publication_id, PRICE_LIST)
    elif publication_id is not None:
        raise ValidationFailed("a catalogue import has no price list", fields={"price_list_id": "not allowed"})
    if not content:
        raise ValidationFailed("the file is empty", fields={"file": "empty"})
    if len(content) > MAX_BYTES:
        raise ValidationFailed(f"at most {MAX_BYTES // 1024 // 1024} MB per file", fields={"file": "too large"})
    # Now, not in the job, and off the event loop: a workbook is parsed by native code for seconds.
    spec = KINDS[kind]
    if spec.station_owned and scope.station_id is None:
        raise Forbidden("this file is a station's own: its people or its DMS upload it")
    fmt = await asyncio.to_thread(file_format, filename, content)
    if fmt not in spec.formats:
        raise ValidationFailed(
            f"a {kind} file is {' or '.join(spec.formats)}", fields={"file": f"not {', '.join(spec.formats)}"}
        )
    await asyncio.to_thread(check_header, kind, content, fmt)
    digest = hashlib.sha256(content).hexdigest()
    earlier = await _same_file(session, kind, publication_id, digest)
    if earlier is not None:
        return Started(earlier, duplicate=True)
    row = Import(
        id=new_id(),
        network_id=scope.network_id,
        kind=kind,
        station_id=scope.station_id if spec.station_owned else None,
        publication_id=publication_id,
        filename=storage.clean_filename(filename, default="upload"),
        file_format=fmt,
        content=content,
        content_hash=digest,
        mode=mode,
        status=ImportStatus.QUEUED,
        errors=[],
        created_by=scope.actor_id,
    )
    try:
        async with session.begin_nested():  # the row inside: begin_nested flushes what is pending first
            session.add(row)
            await session.flush()
    except IntegrityError as exc:  # the same file, uploaded at the same moment
        earlier = await _same_file(session, kind, publication_id, digest)
        if earlier is None:
            raise Conflict("the same file is being imported; try again") from exc
        return Started(earlier, duplicate=True)
    await outbox.add(session, scope, RUN, {"import": str(row.id)})
    after = {"kind": kind, "filename": row.filename, "sha256": digest, "mode": mode}
    await journal.record(session, scope, entity="import", entity_id=row.id, action="uploaded", after=after)
    return Started(row, duplicate=False)


async def _same_file(session: AsyncSession, kind: str, publication_id: UUID | None, digest: str) -> Import | None:
    stmt = select(Import).where(
        Import.kind == kind,
        Import.content_hash == digest,
        Import.status.in_((ImportStatus.QUEUED, ImportStatus.DONE)),
        Import.publication_id.is_(None) if publication_id is None else Import.publication_id == publication_id,
    )
    return (await session.scalars(stmt)).first()


async def _no_progress(done: int, total: int) -> None:
    return None


async def run_import(
    session: AsyncSession, scope: Scope, *, import_id: UUID, progress: Progress = _no_progress
) -> Import:
    """Check, stage and merge one queued import in the caller's transaction. Run twice, it does nothing
    the second time."""
    require(scope, Permission.policy_read)
    row = await session.get(Import, import_id, with_for_update=True)
    if row is None:
        raise NotFound("no such import", fields={"import_id": "not found"})
    if row.status != ImportStatus.QUEUED:
        return row
    require(scope, _permission(row.kind))
    params: dict[str, Any] = {"network": row.network_id}
    if row.kind == PRICES:
        assert row.publication_id is not None
        draft = await session.get(Publication, row.publication_id)
        if draft is None or draft.status != PublicationStatus.DRAFT:
            return await _finish(
                session, scope, row, ImportStatus.REJECTED, 0, 0, [Problem(0, "priceListId", "no longer a draft")]
            )
        params |= {"publication": draft.id, "region": draft.region_id, "effective_on": draft.effective_on}
    content = await session.scalar(select(Import.content).where(Import.id == row.id))
    load = KINDS[row.kind].load
    if load is not None:
        try:
            loaded = await load(session, scope, row, content or b"", progress)
        except ValidationFailed as exc:
            return await _finish(session, scope, row, ImportStatus.REJECTED, 0, 0, [Problem(0, "file", exc.message)])
        status = ImportStatus.REJECTED if loaded.problems and row.mode == ALL_OR_NOTHING else ImportStatus.DONE
        return await _finish(
            session, scope, row, status, loaded.total, loaded.written, loaded.problems, rejected=loaded.rejected
        )
    try:
        _, rows = await asyncio.to_thread(read_file, row.kind, content or b"", row.file_format)
    except ValidationFailed as exc:  # the file itself: a rejection with the reason, not a retry
        return await _finish(session, scope, row, ImportStatus.REJECTED, 0, 0, [Problem(0, "file", exc.message)])
    await progress(0, len(rows))
    records, problems = await check_rows(row.kind, rows, progress)
    staging = f"import_{row.id.hex}"
    problems += await stage(session, row.kind, staging, records)
    written = 0
    if not problems or row.mode == VALID_ROWS:
        written = await merge(session, row.kind, staging, params)
    await session.execute(text(f"DROP TABLE {staging}"))
    await progress(len(rows), len(rows))
    status = ImportStatus.REJECTED if problems and row.mode == ALL_OR_NOTHING else ImportStatus.DONE
    return await _finish(session, scope, row, status, len(rows), written, problems)


async def _finish(
    session: AsyncSession,
    scope: Scope,
    row: Import,
    status: ImportStatus,
    total: int,
    written: int,
    problems: list[Problem],
    *,
    rejected: int | None = None,
) -> Import:
    problems.sort(key=lambda p: (p.line, p.column))
    row.status, row.rows_total, row.rows_written = status, total, written
    row.rows_rejected = len({p.line for p in problems}) if rejected is None else rejected
    row.errors = [p.as_dict() for p in problems[:MAX_ERRORS]]
    row.finished_at = datetime.now(UTC)
    await session.flush()
    after = {"status": status, "rows": total, "written": written, "rejected": row.rows_rejected}
    await journal.record(session, scope, entity="import", entity_id=row.id, action="imported", after=after)
    return row


async def mark_failed(session: AsyncSession, scope: Scope, *, import_id: UUID, reason: str) -> Import | None:
    """The import's job failed for good: the import says so with the reason (nothing was written)."""
    row = await session.get(Import, import_id, with_for_update=True)
    if row is None or row.status != ImportStatus.QUEUED:
        return row
    return await _finish(session, scope, row, ImportStatus.FAILED, 0, 0, [Problem(0, "file", reason)])


# --- Progress and listing ------------------------------------------------------------------------------


def progress_key(import_id: UUID) -> str:
    return f"dealernet:import:{import_id}"


def redis_progress(redis: ArqRedis | None, import_id: UUID) -> Progress:
    async def report(done: int, total: int) -> None:
        if redis is not None:
            with contextlib.suppress(RedisError):  # progress is shown, not kept: the import goes on without it
                await redis.set(progress_key(import_id), f"{done}/{total}", ex=PROGRESS_TTL)

    return report


async def read_progress(redis: ArqRedis | None, import_id: UUID) -> tuple[int, int] | None:
    """(rows checked, total) while the job runs; None before it starts (or without Redis)."""
    if redis is None:
        return None
    try:
        value = await redis.get(progress_key(import_id))
    except RedisError:  # Redis away for a moment: no progress to show, not an error
        return None
    if value is None:
        return None
    done, total = (value.decode() if isinstance(value, bytes) else value).split("/")
    return int(done), int(total)


async def imports_by_id(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, Import]:
    require(scope, Permission.imports_read)
    return {row.id: row for row in await session.scalars(select(Import).where(Import.id.in_(ids)))}


async def list_imports(
    session: AsyncSession, scope: Scope, *, first: int, after: tuple[str, UUID] | None = None
) -> list[Import]:
    """HQ: the network's imports (its stations' too); a station: its own. Newest first; first + 1 rows."""
    require(scope, Permission.imports_read)
    check_page_size(first)
    stmt = select(Import).order_by(Import.created_at.desc(), Import.id.desc()).limit(first + 1)
    if after is not None:
        stmt = stmt.where(tuple_(Import.created_at, Import.id) < tuple_(cursor_time(after[0]), after[1]))
    return list(await session.scalars(stmt))

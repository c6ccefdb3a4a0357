"""The checks of one repair order of a DMS file, pure (issue 15): every problem at its file line and column,
the shapes of both formats, and the chain's times in order."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from dealernet.policy.service import imports
from dealernet.workshop.rules import RepairOrderStatus
from dealernet.workshop.service.repair_order_imports import REPAIR_ORDER_IMPORT, Document, check_order, read_documents

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)  # the rules take "now" as an argument: no calendar here
CUSTOMER = str(UUID(int=7))
LINE = {"kind": "labour", "service_type": "paid", "operation_code": "BR-01", "technician_email": "t@example.com"}


def fields(**changes: str) -> dict[str, str]:
    return {
        "dms_reference": "D-1",
        "vin": "LSVAM418XC2184843",
        "customer_id": CUSTOMER,
        "received_at": (NOW - timedelta(hours=5)).isoformat(),
        "odometer_km": "42000",
        "fuel_eighths": "4",
        "concern": "noise",
        **changes,
    }


def problems(document: Document) -> set[tuple[int, str]]:
    record, found = check_order(document, ZONE, NOW)
    assert (record is None) == bool(found)
    return {(p.line, p.column) for p in found}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, set()),
        ({"vin": "LSVAM418XC2184844"}, {(2, "vin")}),
        ({"customer_id": "someone"}, {(2, "customer_id")}),
        ({"received_at": ""}, {(2, "received_at")}),
        ({"received_at": "yesterday"}, {(2, "received_at")}),
        ({"received_at": (NOW + timedelta(minutes=5)).isoformat()}, {(2, "received_at")}),
        ({"odometer_km": "-1"}, {(2, "odometer_km")}),
        ({"fuel_eighths": "9"}, {(2, "fuel_eighths")}),
        ({"concern": "  "}, {(2, "concern")}),
        ({"arrival": "by air"}, {(2, "arrival")}),
        ({"repair_level": "big"}, {(2, "repair_level")}),
        ({"promised_at": (NOW - timedelta(hours=6)).isoformat()}, {(2, "promised_at")}),
        ({"settled_at": (NOW - timedelta(hours=1)).isoformat()}, {(2, "settled_at")}),  # never completed
        ({"completed_at": (NOW - timedelta(hours=6)).isoformat()}, {(2, "completed_at")}),  # before the reception
        ({"completed_at": (NOW + timedelta(hours=1)).isoformat()}, {(2, "completed_at")}),
        ({"dms_reference": "x" * 41}, {(2, "dms_reference")}),
    ],
)
def test_an_order_s_problems(changes: dict[str, str], expected: set[tuple[int, str]]) -> None:
    assert problems(Document(2, fields(**changes), [(2, dict(LINE))])) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ({"kind": "labour", "service_type": "paid"}, {(3, "operation_code")}),
        (
            {"kind": "labour", "service_type": "paid", "operation_code": "A", "part_number": "P"},
            {(3, "operation_code")},
        ),
        ({"kind": "part", "service_type": "paid"}, {(3, "part_number")}),
        ({"kind": "tyre", "service_type": "paid"}, {(3, "kind")}),
        ({"kind": "part", "service_type": "free", "part_number": "P"}, {(3, "service_type")}),
        ({"kind": "part", "service_type": "paid", "part_number": "P", "quantity": "0"}, {(3, "quantity")}),
        ({"kind": "part", "service_type": "paid", "part_number": "P", "quantity": "1.005"}, {(3, "quantity")}),
        ({"kind": "part", "service_type": "paid", "part_number": "P", "quantity": "NaN"}, {(3, "quantity")}),
        ({"kind": "part", "service_type": "paid", "part_number": "P", "cause": "x" * 4001}, {(3, "cause")}),
    ],
)
def test_a_line_s_problems_name_its_own_file_line(line: dict[str, str], expected: set[tuple[int, str]]) -> None:
    assert problems(Document(2, fields(), [(2, dict(LINE)), (3, line)])) == expected


def test_a_completed_order_s_lines_name_their_technician() -> None:
    done = fields(completed_at=(NOW - timedelta(hours=1)).isoformat())
    assert problems(Document(2, done, [(2, {"kind": "labour", "service_type": "paid", "operation_code": "A"})])) == {
        (2, "technician_email")
    }


def test_the_status_and_times_an_order_gets() -> None:
    completed, settled = (NOW - timedelta(hours=2)).isoformat(), (NOW - timedelta(hours=1)).isoformat()
    record, _ = check_order(Document(2, fields(received_at="2030-06-01 15:00"), [(2, LINE)]), ZONE, NOW)
    assert record is not None
    assert record.received_at == datetime(2030, 6, 1, 7, 0, tzinfo=UTC)  # local time is the network's
    assert (record.status, record.promised_at - record.received_at) == (RepairOrderStatus.IN_WORK, timedelta(hours=4))
    record, _ = check_order(Document(2, fields(completed_at=completed, settled_at=settled), [(2, LINE)]), ZONE, NOW)
    assert record is not None
    assert (record.status, record.promised_at.isoformat()) == (RepairOrderStatus.SETTLED, completed)


def _jsonl(*values: Any) -> bytes:
    return "".join((v if isinstance(v, str) else json.dumps(v)) + "\n" for v in values).encode()


def test_json_lines_name_a_line_by_its_place() -> None:
    order = {**fields(), "lines": [LINE, {"kind": "part", "service_type": "paid"}]}
    documents, shape = read_documents(_jsonl(order, "{not json", [1], {**fields(), "lines": 3}), "jsonl")
    assert [(p.line, p.column) for p in shape] == [(2, "line"), (3, "line"), (4, "lines")]
    assert problems(documents[0]) == {(1, "lines.1.part_number")}


@pytest.mark.parametrize(
    ("value", "column"),
    [({"odometer_km": True}, "odometer_km"), ({"concern": {"text": "x"}}, "concern"), ({"colour": "red"}, "colour")],
)
def test_json_values_a_cell_cannot_hold(value: dict[str, Any], column: str) -> None:
    _, shape = read_documents(_jsonl({**fields(), **value, "lines": [LINE]}), "jsonl")
    assert [(p.line, p.column) for p in shape] == [(1, column)]


def test_csv_rows_of_one_order_may_repeat_its_columns_not_change_them() -> None:
    head = "dms_reference,vin,customer_id,received_at,odometer_km,fuel_eighths,concern,line_kind,service_type,"
    head += "operation_code\n"
    first = ",".join(fields().values())
    content = f"{head}{first},labour,paid,A\n{first},labour,paid,B\nD-1,,,,43000,,,labour,paid,C\n"
    imports.register_kind(REPAIR_ORDER_IMPORT)  # as the app and the worker do at start-up
    documents, shape = read_documents(content.encode(), "csv")
    assert [len(d.lines) for d in documents] == [3]
    assert [(p.line, p.column) for p in shape] == [(4, "odometer_km")]

"""Profile changes over HTTP (资料变更): ordinary data takes effect when filed, late after three days; key data
needs evidence of before and after and HQ's approval; a suspended station reads but does not submit; the
deadline watcher reminds unfiled changes and late start-up orders."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealernet.core.db import new_id
from dealernet.network import jobs as network_jobs
from dealernet.tenants.models import Notification
from tests.conftest import Principal, Tenants, graphql
from tests.e2e.test_onboarding_http import PDF
from tests.factories import network_today

CHANGE_FIELDS = """id status kind keyData changedOn fileBy filedLate decisionNote values { field before after }
  evidence { kind filename }"""
RECORD = f"""mutation($i: RecordProfileChangeInput!) {{ recordProfileChange(input: $i) {{ __typename
  ... on ProfileChangeSuccess {{ change {{ {CHANGE_FIELDS} }} }}
  ... on ValidationError {{ fields {{ field message }} }} }} }}"""
FILE = f"""mutation($c: ID!) {{ fileProfileChange(changeId: $c) {{ __typename
  ... on ProfileChangeSuccess {{ change {{ {CHANGE_FIELDS} }} }}
  ... on ValidationError {{ fields {{ field message }} }} ... on UserError {{ message }} }} }}"""
DECIDE = f"""mutation($c: ID!, $a: Boolean!, $n: String!) {{ decideProfileChange(changeId: $c, approve: $a, note: $n) {{
  __typename ... on ProfileChangeSuccess {{ change {{ {CHANGE_FIELDS} }} }} ... on UserError {{ message }} }} }}"""
PROFILE = """query($s: ID) { stationProfile(stationId: $s) { contactName contactPhone address bankAccount } }"""
LATE = """{ profileChanges(first: 10, late: true) { edges { node { kind filedLate stationId } } } }"""


async def record(client: httpx.AsyncClient, who: Principal, **change: Any) -> dict[str, Any]:
    body = await graphql(client, RECORD, who, i=change)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["recordProfileChange"]
    return result


async def file(client: httpx.AsyncClient, who: Principal, change_id: str) -> dict[str, Any]:
    result: dict[str, Any] = (await graphql(client, FILE, who, c=change_id))["data"]["fileProfileChange"]
    return result


async def test_ordinary_changes_take_effect_when_filed_and_late_filings_are_flagged(
    client: httpx.AsyncClient, tenants: Tenants
) -> None:
    t = tenants
    on_time = await record(
        client,
        t.manager_a,
        kind="CONTACTS",
        changedOn=(network_today() - timedelta(days=1)).isoformat(),
        values={"contactName": "Zhang Min", "contactPhone": "13812345678"},
        reason="new service manager",
    )
    change = on_time["change"]
    assert (change["status"], change["keyData"]) == ("DRAFT", False)
    assert change["fileBy"] == (network_today() + timedelta(days=2)).isoformat()
    filed = (await file(client, t.manager_a, change["id"]))["change"]
    assert (filed["status"], filed["filedLate"]) == ("IN_EFFECT", False)
    assert {v["field"]: (v["before"], v["after"]) for v in filed["values"]} == {
        "contactName": ("", "Zhang Min"),
        "contactPhone": ("", "13812345678"),
    }
    profile = (await graphql(client, PROFILE, t.manager_a))["data"]["stationProfile"]
    assert (profile["contactName"], profile["contactPhone"]) == ("Zhang Min", "13812345678")

    late = await record(
        client,
        t.manager_a,
        kind="ADDRESS",
        changedOn=(network_today() - timedelta(days=5)).isoformat(),
        values={"address": "2 New Rd"},
    )
    assert (await file(client, t.manager_a, late["change"]["id"]))["change"]["filedLate"] is True
    flagged = (await graphql(client, LATE, t.hq_x))["data"]["profileChanges"]["edges"]
    assert [e["node"]["kind"] for e in flagged] == ["ADDRESS"]
    assert (await graphql(client, LATE, t.hq_y))["data"]["profileChanges"]["edges"] == []
    again = await file(client, t.manager_a, late["change"]["id"])
    assert again["__typename"] == "ConflictError"


async def test_a_change_names_only_its_own_fields_and_no_future_day(
    client: httpx.AsyncClient, tenants: Tenants
) -> None:
    wrong = await record(
        client,
        tenants.manager_a,
        kind="ADDRESS",
        changedOn=(network_today() + timedelta(days=1)).isoformat(),
        values={"bankAccount": "6222 0000"},
    )
    assert wrong["__typename"] == "ValidationError"
    assert {f["field"] for f in wrong["fields"]} == {"values.bankAccount", "changedOn"}


async def test_key_data_needs_evidence_and_hq_approval(
    client: httpx.AsyncClient, tenants: Tenants, seed: AsyncSession
) -> None:
    t = tenants
    recorded = await record(
        client,
        t.manager_a,
        kind="BANK_ACCOUNT",
        changedOn=network_today().isoformat(),
        values={"bankName": "ICBC Pudong", "bankAccount": "6222 0210 0000 1234"},
    )
    change_id = recorded["change"]["id"]
    unproven = await file(client, t.manager_a, change_id)
    assert unproven["__typename"] == "ValidationError"
    assert {f["field"] for f in unproven["fields"]} == {"evidenceBefore", "evidenceAfter"}
    for kind in ("evidence_before", "evidence_after"):
        files = {"file": (f"{kind}.pdf", PDF, "application/pdf")}
        uploaded = await client.post(
            f"/profile-changes/{change_id}/evidence", data={"kind": kind}, files=files, headers=t.manager_a.headers
        )
        assert uploaded.status_code == 201, uploaded.text
    foreign = await client.post(
        f"/profile-changes/{change_id}/evidence",
        data={"kind": "evidence_after"},
        files={"file": ("x.pdf", PDF)},
        headers=t.manager_b.headers,
    )
    assert foreign.status_code == 404

    pending = (await file(client, t.manager_a, change_id))["change"]
    assert (pending["status"], pending["keyData"]) == ("PENDING", True)
    assert [e["kind"] for e in pending["evidence"]] == ["EVIDENCE_BEFORE", "EVIDENCE_AFTER"]
    profile = (await graphql(client, PROFILE, t.hq_x, s=_station_gid(t.station_a)))["data"]["stationProfile"]
    assert profile["bankAccount"] == ""  # not before HQ approves

    by_station = await graphql(client, DECIDE, t.manager_a, c=change_id, a=True, n="")
    assert [e["extensions"]["code"] for e in by_station["errors"]] == ["FORBIDDEN"]
    no_reason = (await graphql(client, DECIDE, t.hq_x, c=change_id, a=False, n=""))["data"]["decideProfileChange"]
    assert no_reason["__typename"] == "ValidationError"
    other_network = (await graphql(client, DECIDE, t.hq_y, c=change_id, a=True, n=""))["data"]["decideProfileChange"]
    assert other_network["__typename"] == "NotFoundError"
    approved = (await graphql(client, DECIDE, t.hq_x, c=change_id, a=True, n="bank letter checked"))["data"]
    assert approved["decideProfileChange"]["change"]["status"] == "APPROVED"
    profile = (await graphql(client, PROFILE, t.manager_a))["data"]["stationProfile"]
    assert profile["bankAccount"] == "6222 0210 0000 1234"
    actions = (
        await seed.scalars(
            text("SELECT action FROM journal WHERE entity = 'profile_change' AND entity_id = :c ORDER BY seq"),
            {"c": _uuid(change_id)},
        )
    ).all()
    assert actions == ["recorded", "filed", "approved"]


async def test_a_suspended_station_reads_but_does_not_submit(
    client: httpx.AsyncClient, tenants: Tenants, seed: AsyncSession
) -> None:
    t = tenants
    draft = await record(
        client, t.manager_a, kind="ADDRESS", changedOn=network_today().isoformat(), values={"address": "3 Rd"}
    )
    await seed.execute(text("UPDATE stations SET status = 'suspended' WHERE id = :s"), {"s": t.station_a})
    await seed.commit()
    refused = await graphql(client, FILE, t.manager_a, c=draft["change"]["id"])
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert "suspended" in refused["errors"][0]["message"]
    upload = await client.post(
        f"/profile-changes/{draft['change']['id']}/evidence",
        data={"kind": "evidence_after"},
        files={"file": ("x.pdf", PDF)},
        headers=t.manager_a.headers,
    )
    assert upload.status_code == 403
    # Reading goes on, and so does reading one's notifications.
    read = await graphql(client, "{ profileChanges(first: 5) { edges { node { status } } } }", t.manager_a)
    assert read["data"]["profileChanges"]["edges"] == [{"node": {"status": "DRAFT"}}]
    marked = await graphql(client, 'mutation { markNotificationRead(id: "x") { __typename } }', t.manager_a)
    assert "errors" not in marked
    # Another station is not affected.
    other = await record(
        client, t.manager_b, kind="ADDRESS", changedOn=network_today().isoformat(), values={"address": "4 Rd"}
    )
    assert other["__typename"] == "ProfileChangeSuccess"


async def test_the_watcher_reminds_unfiled_changes_and_late_startup_orders(
    client: httpx.AsyncClient, tenants: Tenants, seed: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    t = tenants
    for days_ago, address in ((2, "due tomorrow"), (4, "overdue"), (0, "not yet")):
        await record(
            client,
            t.manager_a,
            kind="ADDRESS",
            changedOn=(network_today() - timedelta(days=days_ago)).isoformat(),
            values={"address": address},
        )
    application = new_id()
    await seed.execute(
        text(
            "INSERT INTO applications (id, network_id, station_id, stage, company_name) "
            "VALUES (:a, :n, :s, 'approved', 'Order Motors')"
        ),
        {"a": application, "n": t.network_x, "s": t.station_b},
    )
    await seed.execute(
        text(
            "INSERT INTO startup_orders (id, network_id, station_id, application_id, kind, reference, due_on) "
            "VALUES (gen_random_uuid(), :n, :s, :a, 'tools', 'PO-1', current_date - 1), "
            "(gen_random_uuid(), :n, :s, :a, 'vi', 'PO-2', current_date + 5)"
        ),
        {"a": application, "n": t.network_x, "s": t.station_b},
    )
    await seed.commit()
    assert await network_jobs.remind_deadlines(sessionmaker) == 4
    assert await network_jobs.remind_deadlines(sessionmaker) == 0
    told = sorted((str(n.station_id), n.kind) for n in await seed.scalars(select(Notification)))
    assert told == sorted(
        [
            (str(t.station_a), "profile_change_due"),
            (str(t.station_a), "profile_change_late"),
            (str(t.station_b), "startup_order_late"),
            ("None", "startup_order_late"),
        ]
    )


def _station_gid(station: object) -> str:
    from strawberry import relay

    return str(relay.GlobalID("Station", str(station)))


def _uuid(global_id: str) -> object:
    from strawberry import relay

    return relay.GlobalID.from_id(global_id).node_id


async def test_hq_sees_what_is_overdue_and_a_station_its_own(
    client: httpx.AsyncClient, tenants: Tenants, seed: AsyncSession
) -> None:
    t = tenants
    await record(
        client,
        t.manager_a,
        kind="ADDRESS",
        changedOn=(network_today() - timedelta(days=6)).isoformat(),
        values={"address": "x"},
    )
    await record(
        client,
        t.manager_c,
        kind="ADDRESS",
        changedOn=(network_today() - timedelta(days=9)).isoformat(),
        values={"address": "y"},
    )
    await seed.execute(
        text(
            "INSERT INTO staff_certificates (id, network_id, station_id, person_name, role, service_types, course, "
            "certificate_number, passed_on, expires_on) VALUES (gen_random_uuid(), :n, :s, 'Wu', 'technician', "
            "'{paid}', 'c', 'SG-9', :passed, :expires)"
        ),
        {
            "n": t.network_x,
            "s": t.station_b,
            "passed": network_today() - timedelta(days=700),
            "expires": network_today() + timedelta(days=10),
        },
    )
    await seed.commit()
    query = "query($k: OverdueKind) { onboardingOverdue(kind: $k) { kind stationId subject dueOn daysOverdue } }"
    seen = (await graphql(client, query, t.hq_x))["data"]["onboardingOverdue"]
    assert [(i["kind"], i["daysOverdue"]) for i in seen] == [("PROFILE_CHANGE", 3), ("CERTIFICATE", -10)]
    assert seen[0]["stationId"] == _station_gid(t.station_a)
    own = (await graphql(client, query, t.manager_b))["data"]["onboardingOverdue"]
    assert [i["subject"] for i in own] == ["SG-9 Wu"]
    only = (await graphql(client, query, t.hq_x, k="CERTIFICATE"))["data"]["onboardingOverdue"]
    assert [i["kind"] for i in only] == ["CERTIFICATE"]
    other = (await graphql(client, query, t.hq_y))["data"]["onboardingOverdue"]
    assert [(i["kind"], i["daysOverdue"]) for i in other] == [("PROFILE_CHANGE", 6)]
    bad = await graphql(client, query, t.hq_x, k="everything")
    assert [e["extensions"]["code"] for e in bad["errors"]] == ["VALIDATION"]


async def test_the_filing_rule_is_the_watchers_parameter(
    client: httpx.AsyncClient, tenants: Tenants, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """The SQL watcher restates no rule: the days to file within come from network.rules (migration 0025)."""
    four_days_ago = (network_today() - timedelta(days=4)).isoformat()
    await record(client, tenants.manager_a, kind="ADDRESS", changedOn=four_days_ago, values={"address": "1 Rd"})
    assert await network_jobs.remind_deadlines(sessionmaker, file_within=10) == 0  # a 10-day rule: not due yet
    assert await network_jobs.remind_deadlines(sessionmaker) == 1  # the platform's rule: overdue

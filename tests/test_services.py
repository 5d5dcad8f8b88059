"""Services store: dossier codes, deadlines in working days, pauses, derived overdue, the seeded catalogue,
statistics against a hand count, paid look-ups, appointment slots, and batching of every loader."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest

from govgraph.domain import services as rules
from govgraph.domain.calendar import is_working_day
from govgraph.seed import PILOT_WARD
from tests.conftest import GQL, Seeded, statements

H = rules.HANOI


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=H)


# ---------------------------------------------------------------------------------------------------------
# Rules (pure)
# ---------------------------------------------------------------------------------------------------------


def test_dossier_code_format_and_parsing() -> None:
    code = rules.dossier_code("000.00.20.H26", dt.date(2025, 7, 2), 1)
    assert code == "000.00.20.H26-250702-0001"
    parsed = rules.parse_dossier_code(code)
    assert (parsed.agency, parsed.day, parsed.seq) == ("000.00.20.H26", dt.date(2025, 7, 2), 1)
    assert str(parsed) == code
    for bad in ("000.00.20.H26-250732-0001", "000.00.20.H26-250702-0000", "00.20.H26-250702-0001",
                "000.00.20.H26-250702-001", "000.00.20.H29-250702-0001"):  # fmt: skip
        with pytest.raises(rules.InvalidDossierCode):
            rules.parse_dossier_code(bad)
    with pytest.raises(rules.InvalidDossierCode):
        rules.dossier_code("000.00.20.H26", dt.date(2025, 7, 2), 10_000)


def test_due_date_counts_working_days_across_a_weekend_and_holidays() -> None:
    # Thu 23 Apr 2026, 3 working days: Fri 24; Sat 25, Sun 26 (Hùng Kings) off; Mon 27 is the compensatory
    # day for Hùng Kings; Tue 28, Wed 29 count.
    assert rules.due_at(at(2026, 4, 23), 3) == at(2026, 4, 29, 17)
    # 5 working days: then Thu 30 Apr and Fri 1 May are holidays, the weekend follows: Mon 4, Tue 5 May.
    assert rules.due_at(at(2026, 4, 23), 5) == at(2026, 5, 5, 17)
    # Calendar days (construction permits): 15 days from Mon 2 Nov 2026 is Tue 17 Nov.
    assert rules.due_at(at(2026, 11, 2), 15, unit=rules.TimeUnit.CALENDAR_DAY) == at(2026, 11, 17, 17)


def test_same_day_procedures_and_the_15_00_rule() -> None:
    friday = (2026, 11, 27)
    assert rules.due_at(at(*friday, 14, 59), 0, same_day=True) == at(*friday, 17)
    assert rules.due_at(at(*friday, 15, 0), 0, same_day=True) == at(2026, 11, 30, 17)  # next working day: Monday
    assert rules.due_at(at(2026, 11, 28, 9), 0, same_day=True) == at(2026, 11, 30, 17)  # received on a Saturday


def test_additional_document_requests_stop_the_clock() -> None:
    accepted = at(2026, 11, 23, 9)  # Monday
    assert rules.due_at(accepted, 3) == at(2026, 11, 26, 17)
    asked, answered = at(2026, 11, 24, 10), at(2026, 11, 25, 15)  # Tue-Wed paused
    spans = rules.pause_days([(asked.astimezone(dt.UTC), answered.astimezone(dt.UTC))], dt.date(2026, 12, 1))
    assert spans == [(dt.date(2026, 11, 24), dt.date(2026, 11, 25))]
    assert rules.due_at(accepted, 3, paused=spans) == at(2026, 11, 30, 17)  # Thu, Fri, Mon
    # An open pause runs until today.
    assert rules.pause_days([(asked, None)], dt.date(2026, 11, 27)) == [(dt.date(2026, 11, 24), dt.date(2026, 11, 27))]
    # A same-day procedure restarts its clock when the applicant answers.
    assert rules.due_at(accepted, 0, same_day=True, resumed_at=answered) == at(2026, 11, 26, 17)


def test_overdue_and_late_are_derived() -> None:
    due = at(2026, 11, 26, 17)
    before, after = at(2026, 11, 26, 16), at(2026, 11, 27, 9)
    assert rules.is_overdue(rules.Status.PROCESSING, due, None, after)
    assert not rules.is_overdue(rules.Status.PROCESSING, due, None, before)
    # paused or closed without a result: the clock is not running against the agency
    assert not rules.is_overdue(rules.Status.ADDITIONAL_DOCUMENTS_REQUESTED, due, None, after)
    assert not rules.is_overdue(rules.Status.WITHDRAWN, due, None, after)
    # resolved after the due time stays overdue (đã xử lý trễ hạn); on time never is
    assert rules.is_overdue(rules.Status.RESULT_RETURNED, due, after, after)
    assert rules.is_late(due, after) and not rules.is_late(due, before)
    assert not rules.is_overdue(rules.Status.RESULT_RETURNED, due, before, after)


def test_fees_by_channel_and_date() -> None:
    fee_rules = [
        rules.FeeRule(rules.Channel.IN_PERSON, 20_000, dt.date(2023, 2, 5), None),
        rules.FeeRule(rules.Channel.ONLINE, 10_000, dt.date(2023, 2, 5), None),
    ]
    on = dt.date(2025, 7, 2)
    assert rules.applicable_fee(fee_rules, rules.Channel.ONLINE, on).amount == 10_000  # type: ignore[union-attr]
    assert rules.applicable_fee(fee_rules, rules.Channel.POST, on).amount == 20_000  # type: ignore[union-attr]
    assert rules.applicable_fee(fee_rules, rules.Channel.ONLINE, dt.date(2022, 1, 1)) is None
    assert [rules.certified_copy_fee(n) for n in (1, 2, 3, 10, 500)] == [2_000, 4_000, 5_000, 12_000, 200_000]
    assert rules.lookup_result_released(30_000, rules.PaymentStatus.PAID)
    assert not rules.lookup_result_released(30_000, rules.PaymentStatus.PENDING)
    assert rules.lookup_result_released(0, rules.PaymentStatus.UNPAID)


# ---------------------------------------------------------------------------------------------------------
# Seeded catalogue, agencies, fees
# ---------------------------------------------------------------------------------------------------------


async def test_catalogue_matches_the_2017_pilot(as_admin: GQL) -> None:
    body = await as_admin(
        "{ all: procedures { totalCount } full: procedures(filter: {onlineLevel: FULL_PROCESS}) { totalCount } "
        "depts: agencies(filter: {kind: CITY_DEPARTMENT}) { totalCount } "
        "wards: agencies(filter: {kind: WARD_PEOPLES_COMMITTEE}, first: 100) { totalCount nodes { code "
        "unit { code } } } }"
    )
    d = body["data"]
    assert d["all"]["totalCount"] == 96
    assert d["full"]["totalCount"] == 46
    assert d["depts"]["totalCount"] == 10
    assert d["wards"]["totalCount"] == 126
    for n in d["wards"]["nodes"]:
        assert rules.AGENCY_CODE.match(n["code"]) and n["unit"]["code"]


async def test_company_registration_is_online_only(as_admin: GQL) -> None:
    body = await as_admin(
        '{ procedures(filter: {search: "dang ky thanh lap cong ty"}) { nodes { code name onlineOnly onlineLevel '
        "competentAuthority fees { channel amount feeType } } } "
        "onlineOnly: procedures(filter: {onlineOnly: true}) { nodes { code name } } }"
    )
    companies = body["data"]["procedures"]["nodes"]
    assert len(companies) >= 3
    for p in companies:
        assert p["onlineOnly"] and p["onlineLevel"] == "FULL_PROCESS"
        assert "Sở Tài chính" in p["competentAuthority"]
        online = [f for f in p["fees"] if f["channel"] == "ONLINE" and f["feeType"] == "LE_PHI"]
        assert online and online[0]["amount"] == 0  # registration fee exempt online
    only = body["data"]["onlineOnly"]["nodes"]
    assert {p["code"] for p in companies} <= {p["code"] for p in only}
    code = companies[0]["code"]
    stats = await as_admin(
        "query($p: String!) { dossierStatistics(procedureCode: $p) { received onlineCount onlineShare } }", {"p": code}
    )
    s = stats["data"]["dossierStatistics"][0]
    assert s["received"] > 0 and s["onlineCount"] == s["received"] and s["onlineShare"] == 1.0


async def test_residence_registration_fees_differ_by_channel(as_admin: GQL) -> None:
    body = await as_admin(
        '{ procedures(filter: {search: "dang ky thuong tru"}) { nodes { name fees { channel amount legalBasis '
        "validFrom verified } } } }"
    )
    fees = next(p for p in body["data"]["procedures"]["nodes"] if p["name"] == "Đăng ký thường trú")["fees"]
    by_channel = {f["channel"]: f for f in fees}
    assert by_channel["IN_PERSON"]["amount"] == 20_000 and by_channel["ONLINE"]["amount"] == 10_000
    assert all("75/2022/TT-BTC" in f["legalBasis"] and f["verified"] for f in fees)
    assert by_channel["ONLINE"]["validFrom"] == "2023-02-05"


# ---------------------------------------------------------------------------------------------------------
# Dossiers
# ---------------------------------------------------------------------------------------------------------

DOSSIER_FIELDS = """
  code status nationalStatusCode statusName channel receivedAt acceptedAt dueAt completedAt returnedAt
  overdue late pauses { reason requestedAt resumedAt }
  procedure { code legalDays sameDay timeUnit } agency { code }
"""


def _dt(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


async def test_dossier_codes_times_and_statuses_are_consistent(as_admin: GQL) -> None:
    body = await as_admin(f"{{ dossiers(first: 100) {{ totalCount nodes {{ {DOSSIER_FIELDS} }} }} }}")
    conn = body["data"]["dossiers"]
    assert 15_000 < conn["totalCount"] < 25_000
    received = [n["receivedAt"] for n in conn["nodes"]]
    assert received == sorted(received, reverse=True)  # newest first by default
    for n in conn["nodes"]:
        parsed = rules.parse_dossier_code(n["code"])
        assert parsed.agency == n["agency"]["code"]
        assert parsed.day == _dt(n["receivedAt"]).date()  # type: ignore[union-attr]
        assert n["receivedAt"].endswith("+07:00")
        assert n["nationalStatusCode"] == list(rules.Status).index(rules.Status(n["status"])) + 1
        assert n["statusName"] == rules.VIETNAMESE[rules.Status(n["status"])]


async def test_due_dates_follow_acceptance_calendar_and_closed_pauses(as_admin: GQL, seeded: Seeded) -> None:
    from sqlalchemy import select

    from govgraph.datasources.services import dossier_pauses

    p = dossier_pauses.c
    rows = await seeded.stores["services"].all(
        select(p.dossier_code).where(p.resumed_at.is_not(None)).order_by(p.dossier_code).limit(60)
    )
    with_pauses = [r.dossier_code for r in rows]
    body = await as_admin(
        f"query($c: [ID!]!) {{ plain: dossiers(filter: {{status: [RESULT_RETURNED]}}, first: 60) {{ nodes {{ "
        f"{DOSSIER_FIELDS} }} }} paused: nodes(ids: $c) {{ ... on Dossier {{ {DOSSIER_FIELDS} }} }} }}",
        {"c": [_node_id("Dossier", c) for c in with_pauses]},
    )
    paused = body["data"]["paused"]
    assert len(paused) == len(with_pauses) > 10
    for n in body["data"]["plain"]["nodes"] + paused:
        proc = n["procedure"]
        closed = [(_dt(x["requestedAt"]), _dt(x["resumedAt"])) for x in n["pauses"] if x["resumedAt"]]
        spans = rules.pause_days(closed, dt.date.today())  # type: ignore[arg-type]
        resumed = max((b for _, b in closed), default=None)  # type: ignore[type-var]
        expected = rules.due_at(_dt(n["acceptedAt"]), proc["legalDays"], proc["sameDay"],  # type: ignore[arg-type]
                                rules.TimeUnit(proc["timeUnit"]), spans, resumed)  # fmt: skip
        assert _dt(n["dueAt"]) == expected, n["code"]
    assert all(n["pauses"] for n in paused)
    # a pause never brings the due date forward, and one that spans a working day moves it later
    moved = 0
    for n in paused:
        proc = n["procedure"]
        if proc["sameDay"] or proc["timeUnit"] != "WORKING_DAY":
            continue
        unpaused = rules.due_at(_dt(n["acceptedAt"]), proc["legalDays"])  # type: ignore[arg-type]
        assert _dt(n["dueAt"]) >= unpaused  # type: ignore[operator]
        moved += _dt(n["dueAt"]) > unpaused  # type: ignore[operator]
    assert moved > 0


def _node_id(type_name: str, key: str) -> str:
    import base64

    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


async def test_dossiers_with_pauses_exist_and_pause_the_clock(as_admin: GQL) -> None:
    body = await as_admin(
        "{ dossiers(filter: {status: [ADDITIONAL_DOCUMENTS_REQUESTED]}, first: 50) { totalCount nodes { overdue "
        "pauses { reason resumedAt } } } }"
    )
    conn = body["data"]["dossiers"]
    assert conn["totalCount"] > 0
    for n in conn["nodes"]:
        assert not n["overdue"]  # the clock is stopped while the applicant owes documents
        assert any(p["reason"] == "ADDITIONAL_DOCUMENTS" and p["resumedAt"] is None for p in n["pauses"])


async def test_overdue_filter_in_sql_agrees_with_the_field(as_admin: GQL) -> None:
    query = (
        "query($o: Boolean) { dossiers(filter: {overdue: $o}, first: 100) { totalCount nodes { overdue late status "
        "dueAt completedAt } } }"
    )
    every = (await as_admin(query, {"o": None}))["data"]["dossiers"]["totalCount"]
    yes = (await as_admin(query, {"o": True}))["data"]["dossiers"]
    no = (await as_admin(query, {"o": False}))["data"]["dossiers"]
    assert yes["totalCount"] > 0 and no["totalCount"] > 0
    assert yes["totalCount"] + no["totalCount"] == every
    assert all(n["overdue"] for n in yes["nodes"]) and not any(n["overdue"] for n in no["nodes"])
    assert any(n["late"] for n in yes["nodes"])
    running = await as_admin(
        "{ dossiers(filter: {overdue: true, status: [PROCESSING, ACCEPTED]}, first: 100) { totalCount nodes { late "
        "dueAt } } }"
    )
    now = dt.datetime.now(dt.UTC)
    assert running["data"]["dossiers"]["totalCount"] > 0  # some are past due right now
    for n in running["data"]["dossiers"]["nodes"]:
        assert _dt(n["dueAt"]) < now and not n["late"]  # type: ignore[operator]


async def test_online_share_is_visible(as_admin: GQL) -> None:
    body = await as_admin("{ dossierStatistics { received onlineCount onlineShare onTime overdue resolved } }")
    s = body["data"]["dossierStatistics"][0]
    assert 0.88 <= s["onlineShare"] <= 0.95
    assert s["resolved"] > 0.85 * s["received"]
    assert s["onTime"] + s["overdue"] >= s["resolved"]


async def test_unknown_and_malformed_dossier_codes(as_admin: GQL) -> None:
    none = await as_admin('{ dossier(code: "000.00.20.H26-250702-9999") { code } }')
    assert none["data"]["dossier"] is None
    bad = await as_admin('{ dossier(code: "HS-123") { code } }', expect_errors=True)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# ---------------------------------------------------------------------------------------------------------
# Statistics against a hand count
# ---------------------------------------------------------------------------------------------------------


async def _pilot_agency(as_admin: GQL) -> str:
    body = await as_admin("query($u: String!) { administrativeUnit(code: $u) { agencies { code kind } } }",
                          {"u": PILOT_WARD})  # fmt: skip
    agencies = body["data"]["administrativeUnit"]["agencies"]
    assert [a["kind"] for a in agencies] == ["WARD_PEOPLES_COMMITTEE"]
    code: str = agencies[0]["code"]
    return code


async def _all_dossiers(as_admin: GQL, flt: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    after = None
    while True:
        body = await as_admin(
            "query($f: DossierFilterInput, $a: String) { dossiers(filter: $f, first: 100, after: $a) { nodes { code "
            "channel status overdue dueAt completedAt } pageInfo { hasNextPage endCursor } } }",
            {"f": flt, "a": after},
        )
        conn = body["data"]["dossiers"]
        out += conn["nodes"]
        if not conn["pageInfo"]["hasNextPage"]:
            return out
        after = conn["pageInfo"]["endCursor"]


async def test_statistics_match_a_hand_count(as_admin: GQL) -> None:
    month_ago = dt.date.today().replace(day=1) - dt.timedelta(days=1)
    month = f"{month_ago:%Y-%m}"
    first = month_ago.replace(day=1)
    flt = {"unitCode": PILOT_WARD, "procedureCode": "CT-01", "receivedFrom": first.isoformat(),
           "receivedTo": month_ago.isoformat()}  # fmt: skip
    rows = await _all_dossiers(as_admin, flt)
    assert 0 < len(rows) < 2_000
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes))
    hand = {
        "received": len(rows),
        "onlineCount": sum(r["channel"] == "ONLINE" for r in rows),
        "resolved": sum(r["status"] in ("RESOLVED", "RESULT_RETURNED") for r in rows),
        "overdue": sum(r["overdue"] for r in rows),
        "onTime": sum(bool(r["completedAt"]) and _dt(r["completedAt"]) <= _dt(r["dueAt"]) for r in rows),  # type: ignore[operator]
    }
    body = await as_admin(
        'query($u: String!, $m: String!) { dossierStatistics(unitCode: $u, procedureCode: "CT-01", monthFrom: $m, '
        "monthTo: $m, groupBy: [PROCEDURE, MONTH]) { month procedure { code } received onlineCount resolved overdue "
        "onTime } }",
        {"u": PILOT_WARD, "m": month},
    )
    [s] = body["data"]["dossierStatistics"]
    assert s["month"] == month and s["procedure"]["code"] == "CT-01"
    assert {k: s[k] for k in hand} == hand


async def test_statistics_grouped_by_unit_add_up(as_admin: GQL) -> None:
    body = await as_admin(
        "{ total: dossierStatistics { received } byUnit: dossierStatistics(groupBy: [UNIT]) { unit { code } received } "
        "byMonth: dossierStatistics(groupBy: [MONTH]) { month received } }"
    )
    d = body["data"]
    total = d["total"][0]["received"]
    assert sum(r["received"] for r in d["byUnit"]) == total
    assert sum(r["received"] for r in d["byMonth"]) == total
    assert len([r for r in d["byUnit"] if r["unit"]]) == 126
    assert [r["month"] for r in d["byMonth"]] == sorted(r["month"] for r in d["byMonth"])
    bad = await as_admin('{ dossierStatistics(monthFrom: "2025/07") { received } }', expect_errors=True)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# ---------------------------------------------------------------------------------------------------------
# Appointments and paid look-ups
# ---------------------------------------------------------------------------------------------------------


async def test_appointment_slots_at_a_ward_office(as_admin: GQL) -> None:
    agency = await _pilot_agency(as_admin)
    day = dt.date.today() + dt.timedelta(days=1)
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    body = await as_admin(
        "query($a: String!, $d: Date!) { appointmentSlots(agencyCode: $a, date: $d) { startHour startsAt capacity "
        "booked available agency { code } appointments { bookingCode status citizen { personalId } } } }",
        {"a": agency, "d": day.isoformat()},
    )
    slots = body["data"]["appointmentSlots"]
    assert [s["startHour"] for s in slots] == [8, 9, 10, 13, 14, 15, 16]
    for s in slots:
        assert 3 <= s["capacity"] <= 6 and 0 <= s["booked"] <= s["capacity"]
        assert s["available"] == s["capacity"] - s["booked"]
        assert s["booked"] == sum(a["status"] != "CANCELLED" for a in s["appointments"])
        assert s["startsAt"].endswith("+07:00") and s["agency"]["code"] == agency
        assert all(a["citizen"]["personalId"] for a in s["appointments"])
    saturday = day + dt.timedelta(days=(5 - day.weekday()) % 7)
    none = await as_admin(
        "query($a: String!, $d: Date!) { appointmentSlots(agencyCode: $a, date: $d) { startHour } }",
        {"a": agency, "d": saturday.isoformat()},
    )
    assert none["data"]["appointmentSlots"] == []


async def test_paid_lookup_results_are_released_only_when_paid(as_admin: GQL) -> None:
    body = await as_admin(
        "{ paidLookups(first: 100) { totalCount nodes { kind amount paymentStatus resultReleased result "
        "fee { amount channel } requester { personalId } } } }"
    )
    conn = body["data"]["paidLookups"]
    assert conn["totalCount"] > 100
    kinds = Counter(n["kind"] for n in conn["nodes"])
    assert set(kinds) == {"NOTARISATION_RECORD", "ID_CARD", "SIM_REGISTRATION"}
    for n in conn["nodes"]:
        assert n["amount"] == n["fee"]["amount"]
        released = n["paymentStatus"] == "PAID" or (n["amount"] == 0 and n["paymentStatus"] == "UNPAID")
        assert n["resultReleased"] == released
        assert (n["result"] is not None) == released
    unpaid = await as_admin(
        "{ paidLookups(filter: {kind: NOTARISATION_RECORD, paymentStatus: PENDING}, first: 20) { nodes { result } } }"
    )
    assert unpaid["data"]["paidLookups"]["nodes"] and all(
        n["result"] is None for n in unpaid["data"]["paidLookups"]["nodes"]
    )


# ---------------------------------------------------------------------------------------------------------
# Cross-links and batching
# ---------------------------------------------------------------------------------------------------------


async def test_citizen_dossiers_are_their_own_newest_first(as_admin: GQL, seeded: Seeded) -> None:
    body = await as_admin(
        "{ dossiers(first: 1) { nodes { code applicant { personalId dossiers { code receivedAt applicant "
        "{ personalId } } } } } }"
    )
    node = body["data"]["dossiers"]["nodes"][0]
    applicant = node["applicant"]
    assert applicant["personalId"] in seeded.ctx.by_pid
    own = applicant["dossiers"]
    assert node["code"] in {d["code"] for d in own}
    assert all(d["applicant"]["personalId"] == applicant["personalId"] for d in own)
    assert [d["receivedAt"] for d in own] == sorted((d["receivedAt"] for d in own), reverse=True)


async def _citizen_dossier_statements(as_admin: GQL, n: int) -> dict[str, int]:
    body = await as_admin(
        "query($u: String!, $n: Int!) { citizens(filter: {unitCode: $u}, first: $n) { nodes { personalId "
        "dossiers { code overdue procedure { name fees { amount } } agency { name } applicant { fullName } "
        "pauses { reason } } } } }",
        {"u": PILOT_WARD, "n": n},
    )
    nodes = body["data"]["citizens"]["nodes"]
    assert len(nodes) == n
    return {"services": statements(body, "services"), "population": statements(body, "population"),
            "dossiers": sum(len(c["dossiers"]) > 0 for c in nodes)}  # fmt: skip


async def test_batching_same_statement_count_for_10_and_100_citizens_dossiers(as_admin: GQL) -> None:
    ten = await _citizen_dossier_statements(as_admin, 10)
    hundred = await _citizen_dossier_statements(as_admin, 100)
    assert hundred["dossiers"] > ten["dossiers"] > 0
    assert {k: ten[k] for k in ("services", "population")} == {k: hundred[k] for k in ("services", "population")}
    # dossiers, procedures, fees, agencies, pauses
    assert hundred["services"] <= 5


async def _dossier_link_statements(as_admin: GQL, n: int) -> dict[str, int]:
    body = await as_admin(
        "query($n: Int!) { dossiers(first: $n) { nodes { code applicant { personalId } procedure { code } "
        "agency { code unit { code } } } } }",
        {"n": n},
    )
    nodes = body["data"]["dossiers"]["nodes"]
    assert len(nodes) == n
    for d in nodes:
        assert d["applicant"]["personalId"] and d["procedure"]["code"]
        assert d["code"].startswith(d["agency"]["code"] + "-")
    return {"services": statements(body, "services"), "population": statements(body, "population")}


async def test_batching_dossier_applicant_procedure_agency(as_admin: GQL) -> None:
    ten = await _dossier_link_statements(as_admin, 10)
    hundred = await _dossier_link_statements(as_admin, 100)
    assert ten == hundred
    assert hundred["population"] == 1
    assert hundred["services"] == 3  # page, procedures, agencies


async def _unit_statement_counts(as_admin: GQL, n: int) -> dict[str, int]:
    body = await as_admin(
        "query($n: Int!) { administrativeUnits(structure: Y2025_07, first: $n) { nodes { code agencies { code } "
        'dossierStatistics(monthFrom: "2000-01") { received onlineShare overdue } } } }',
        {"n": n},
    )
    nodes = body["data"]["administrativeUnits"]["nodes"]
    assert len(nodes) == n
    assert all(u["dossierStatistics"]["received"] > 0 and len(u["agencies"]) == 1 for u in nodes)
    received = sum(u["dossierStatistics"]["received"] for u in nodes)
    return {"services": statements(body, "services"), "received": received}


async def test_unit_statistics_one_aggregate_for_many_units(as_admin: GQL) -> None:
    ten = await _unit_statement_counts(as_admin, 10)
    hundred = await _unit_statement_counts(as_admin, 100)
    assert ten["services"] == hundred["services"] == 2  # agencies, then one GROUP BY for all units
    assert hundred["received"] > ten["received"]


async def test_legacy_units_have_no_agencies(as_admin: GQL) -> None:
    body = await as_admin(
        '{ administrativeUnit(code: "00082", structure: Y2025_01) { agencies { code } '
        "dossierStatistics { received } } }"
    )
    assert body["data"]["administrativeUnit"] == {"agencies": [], "dossierStatistics": None}


async def test_services_store_down_nulls_only_its_fields(client_with_store_down: Any, seeded: Seeded) -> None:
    from govgraph.auth.identity import Role
    from tests.conftest import token_for

    client = await client_with_store_down("services")
    person = seeded.ctx.people[0]
    resp = await client.post(
        "/graphql",
        json={
            "query": "query($p: String!) { citizen(personalId: $p) { fullName dossiers { code } } }",
            "variables": {"p": person.pid},
        },
        headers={"Authorization": f"Bearer {token_for(seeded.settings, Role.ADMIN)}"},
    )
    body = resp.json()
    assert body["data"]["citizen"]["fullName"] == person.name.full
    assert body["data"]["citizen"]["dossiers"] is None
    assert body["errors"][0]["extensions"]["code"] == "STORE_UNAVAILABLE"

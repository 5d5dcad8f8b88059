"""Population store: citizens, search, paging, family links, batching."""

from __future__ import annotations

import datetime as dt

import pytest

from govgraph.domain.identity import parse_personal_id
from govgraph.domain.text import fold
from govgraph.seed import PILOT_WARD
from tests.conftest import GQL, Seeded, statements

CITIZEN_FIELDS = """
  personalId fullName familyName middleName givenName dateOfBirth sex phone
  permanentAddress { text unit { code name } }
  identityDocuments { type number issuedOn }
"""


async def test_citizen_fields_are_consistent_with_the_personal_id(as_admin: GQL, seeded: Seeded) -> None:
    person = seeded.ctx.people[0]
    body = await as_admin(f"query($p: String!) {{ citizen(personalId: $p) {{ {CITIZEN_FIELDS} }} }}", {"p": person.pid})
    c = body["data"]["citizen"]
    pid = parse_personal_id(c["personalId"])
    assert pid.birth_year == dt.date.fromisoformat(c["dateOfBirth"]).year
    assert pid.sex == c["sex"]
    assert c["fullName"] == " ".join(p for p in (c["familyName"], c["middleName"], c["givenName"]) if p)
    assert c["permanentAddress"]["unit"]["code"] == person.unit
    assert c["permanentAddress"]["text"].endswith("Hà Nội")


async def test_unknown_and_malformed_personal_ids(as_admin: GQL) -> None:
    body = await as_admin('{ citizen(personalId: "001099000000") { fullName } }')
    assert body["data"]["citizen"] is None
    bad = await as_admin('{ citizen(personalId: "12345") { fullName } }', expect_errors=True)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "12 digits" in bad["errors"][0]["message"]


async def test_search_is_diacritic_insensitive(as_admin: GQL, seeded: Seeded) -> None:
    person = next(p for p in seeded.ctx.people if "Đ" in p.name.full or "đ" in p.name.full)
    plain = person.name.folded.upper()  # e.g. "NGUYEN DUC ANH": no accents, other case
    body = await as_admin(
        "query($q: String!, $u: String!) { citizens(filter: {search: $q, unitCode: $u}, first: 100) "
        "{ totalCount nodes { personalId fullName } } }",
        {"q": plain, "u": person.unit},
    )
    found = body["data"]["citizens"]
    assert person.pid in {n["personalId"] for n in found["nodes"]}
    assert found["totalCount"] == len(found["nodes"])
    for n in found["nodes"]:
        assert all(w in fold(n["fullName"]) for w in person.name.folded.split())


async def test_keyset_pages_cover_the_ward_without_overlap(as_admin: GQL, seeded: Seeded) -> None:
    expected = {p.pid for p in seeded.ctx.by_unit[PILOT_WARD]}
    seen: list[str] = []
    after = None
    while True:
        body = await as_admin(
            "query($u: String!, $a: String) { citizens(filter: {unitCode: $u}, first: 100, after: $a) "
            "{ totalCount nodes { personalId } pageInfo { hasNextPage endCursor } } }",
            {"u": PILOT_WARD, "a": after},
        )
        conn = body["data"]["citizens"]
        assert conn["totalCount"] == len(expected)
        seen += [n["personalId"] for n in conn["nodes"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == len(expected)
    assert set(seen) == expected
    assert seen == sorted(seen)


async def test_ordering_by_date_of_birth_descending(as_admin: GQL) -> None:
    body = await as_admin(
        "{ citizens(orderBy: {field: DATE_OF_BIRTH, descending: true}, first: 50) { nodes { dateOfBirth } } }"
    )
    dates = [n["dateOfBirth"] for n in body["data"]["citizens"]["nodes"]]
    assert dates == sorted(dates, reverse=True) and len(dates) == 50


@pytest.mark.parametrize("size", [-1, 101])
async def test_page_size_is_capped(as_admin: GQL, size: int) -> None:
    body = await as_admin(f"{{ citizens(first: {size}) {{ totalCount }} }}", expect_errors=True)
    assert body["data"]["citizens"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_family_links_both_ways(as_admin: GQL, seeded: Seeded) -> None:
    child = next(p for p in seeded.ctx.people if p.father and p.mother)
    body = await as_admin(
        "query($p: String!) { citizen(personalId: $p) { parents { relation citizen { personalId "
        "children { personalId } } } } }",
        {"p": child.pid},
    )
    parents = {x["relation"]: x["citizen"] for x in body["data"]["citizen"]["parents"]}
    assert parents["FATHER"]["personalId"] == child.father
    assert parents["MOTHER"]["personalId"] == child.mother
    assert child.pid in {c["personalId"] for c in parents["FATHER"]["children"]}


async def _ward_family_statements(as_admin: GQL, n: int) -> dict[str, int]:
    body = await as_admin(
        "query($u: String!, $n: Int!) { administrativeUnit(code: $u) { residents(first: $n) { nodes { "
        "personalId identityDocuments { number } parents { citizen { fullName } } children { fullName "
        "children { fullName } } } } } }",
        {"u": PILOT_WARD, "n": n},
    )
    assert len(body["data"]["administrativeUnit"]["residents"]["nodes"]) == n
    return {"population": statements(body, "population"), "total": statements(body)}


async def test_batching_same_statement_count_for_10_and_100_residents(as_admin: GQL) -> None:
    ten = await _ward_family_statements(as_admin, 10)
    hundred = await _ward_family_statements(as_admin, 100)
    assert ten == hundred
    # residents page, then documents, parents, children, grandchildren: one statement each
    assert hundred["population"] <= 5

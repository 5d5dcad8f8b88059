"""Administrative units: both structures, conversion, diacritic-insensitive search."""

from __future__ import annotations

from tests.conftest import GQL


async def test_current_unit_by_code(as_admin: GQL) -> None:
    body = await as_admin('{ administrativeUnit(code: "00082") { code name kind structure } }')
    assert body["data"]["administrativeUnit"] == {
        "code": "00082",
        "name": "Phường Cửa Nam",
        "kind": "PHUONG",
        "structure": "Y2025_07",
    }


async def test_code_reuse_trap_same_code_different_unit(as_admin: GQL) -> None:
    body = await as_admin(
        '{ old: administrativeUnit(code: "00082", structure: Y2025_01) { name district { name } }'
        '  new: administrativeUnit(code: "00082") { name district { name } } }'
    )
    assert body["data"]["old"] == {"name": "Phường Trần Hưng Đạo", "district": {"name": "Quận Hoàn Kiếm"}}
    assert body["data"]["new"] == {"name": "Phường Cửa Nam", "district": None}


async def test_conversion_both_ways_marks_splits(as_admin: GQL) -> None:
    body = await as_admin(
        '{ u: administrativeUnit(code: "00145") { conversions { legacy { code name } split } }'
        '  old: administrativeUnit(code: "00148", structure: Y2025_01) { conversions { current { name } split } } }'
    )
    legacy = {c["legacy"]["code"] for c in body["data"]["u"]["conversions"]}
    assert legacy == {"00130", "00139", "00145", "00148", "00151", "00154", "00583"}
    became = {c["current"]["name"] for c in body["data"]["old"]["conversions"]}
    assert became == {"Phường Phúc Lợi", "Phường Long Biên", "Xã Gia Lâm", "Xã Bát Tràng"}
    assert all(c["split"] for c in body["data"]["old"]["conversions"])


async def test_search_ignores_diacritics_and_pages(as_admin: GQL) -> None:
    body = await as_admin(
        '{ administrativeUnits(search: "long bien", first: 2) { totalCount edges { cursor node { name structure } } '
        "pageInfo { hasNextPage endCursor } } }"
    )
    conn = body["data"]["administrativeUnits"]
    assert conn["totalCount"] == 3
    assert len(conn["edges"]) == 2 and conn["pageInfo"]["hasNextPage"] is True
    rest = await as_admin(
        'query($a: String) { administrativeUnits(search: "LONG BIÊN", first: 2, after: $a) { edges { node { name } } '
        "pageInfo { hasNextPage } } }",
        {"a": conn["pageInfo"]["endCursor"]},
    )
    names = [e["node"]["name"] for e in conn["edges"]] + [
        e["node"]["name"] for e in rest["data"]["administrativeUnits"]["edges"]
    ]
    assert sorted(names) == ["Phường Long Biên", "Phường Long Biên", "Quận Long Biên"]
    assert rest["data"]["administrativeUnits"]["pageInfo"]["hasNextPage"] is False


async def test_district_lists_its_wards(as_admin: GQL) -> None:
    body = await as_admin('{ administrativeUnit(code: "002", structure: Y2025_01) { name wards { code } } }')
    assert body["data"]["administrativeUnit"]["name"] == "Quận Hoàn Kiếm"
    assert len(body["data"]["administrativeUnit"]["wards"]) == 18


async def test_node_round_trip(as_admin: GQL) -> None:
    body = await as_admin('{ administrativeUnit(code: "00004") { id } }')
    nid = body["data"]["administrativeUnit"]["id"]
    back = await as_admin("query($id: ID!) { node(id: $id) { ... on AdministrativeUnit { name } } }", {"id": nid})
    assert back["data"]["node"] == {"name": "Phường Ba Đình"}

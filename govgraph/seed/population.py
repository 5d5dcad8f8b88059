"""Seed the population store: households across Hanoi's 126 units, heavier in the pilot ward."""

from __future__ import annotations

import datetime as dt
import random

from govgraph.datasources.places import CURRENT, gazetteer
from govgraph.datasources.population import citizens, identity_documents, parent_links
from govgraph.domain.identity import Sex
from govgraph.seed import PILOT_WARD, Person, SeedContext
from govgraph.seed.names import PersonalIds, date_between, family_name, mobile, person_name, street_address

ISSUERS = {
    "CMND9": "Công an thành phố Hà Nội",
    "CCCD": "Cục Cảnh sát quản lý hành chính về trật tự xã hội",
    "CAN_CUOC": "Bộ Công an",
}


def _households(ctx: SeedContext, rng: random.Random, target: int) -> None:
    """Couples with 0-3 children until ``target`` people exist; children take the father's family name."""
    ids = PersonalIds(rng)
    units = gazetteer().current()
    weights = [12.0 if u.code == PILOT_WARD else 1.0 for u in units]
    today = ctx.today
    while len(ctx.people) < target:
        unit = rng.choices(units, weights=weights)[0]
        street_addr = street_address(rng, unit.name)
        father_dob = date_between(rng, dt.date(1945, 1, 1), dt.date(2000, 12, 31))
        mother_dob = father_dob + dt.timedelta(days=rng.randint(-1500, 2500))
        mother_dob = min(mother_dob, dt.date(2002, 12, 31))
        fam = family_name(rng)
        father = Person(ids.new(father_dob, "MALE"), person_name(rng, "MALE", fam), father_dob, "MALE", unit.code,
                        phone=mobile(rng), address=street_addr)  # fmt: skip
        mother = Person(ids.new(mother_dob, "FEMALE"), person_name(rng, "FEMALE"), mother_dob, "FEMALE", unit.code,
                        phone=mobile(rng), address=street_addr)  # fmt: skip
        ctx.add_person(father)
        ctx.add_person(mother)
        first_birth = max(father_dob, mother_dob) + dt.timedelta(days=rng.randint(20 * 365, 32 * 365))
        for i in range(rng.choices([0, 1, 2, 3], weights=[1, 3, 5, 1])[0]):
            dob = first_birth + dt.timedelta(days=i * rng.randint(500, 1800))
            if dob >= today:
                break
            sex: Sex = rng.choice(["MALE", "FEMALE"])
            child = Person(
                ids.new(dob, sex, born_in_hanoi=0.95),
                person_name(rng, sex, fam),
                dob,
                sex,
                unit.code,
                father=father.pid,
                mother=mother.pid,
                phone=mobile(rng) if (today - dob).days > 15 * 365 else None,
                address=street_addr,
            )
            ctx.add_person(child)


async def seed(ctx: SeedContext) -> None:
    rng = ctx.rng("population")
    target = ctx.sized(demo=30_000, city=1_000_000)
    with ctx.task("population: households", 1):
        _households(ctx, rng, target)
    now = dt.datetime.now(dt.UTC)
    g = gazetteer()
    rows: list[tuple[object, ...]] = []
    docs: list[tuple[object, ...]] = []
    links: list[tuple[str, str, str]] = []
    for p in ctx.people:
        unit_name = g.units[(CURRENT.value, p.unit)].name
        temporary = rng.random() < 0.06
        tunit = rng.choice(g.current()) if temporary else None
        rows.append((
            p.pid, f"{rng.getrandbits(64):016x}", p.name.family, p.name.middle, p.name.given, p.name.full,
            p.name.folded, p.dob, p.sex,
            "Kinh" if rng.random() < 0.97 else rng.choice(["Tày", "Mường", "Thái", "Nùng", "Hoa"]),
            "Việt Nam", p.unit, CURRENT.value, p.address or street_address(rng, unit_name),
            tunit.code if tunit else None, CURRENT.value if tunit else None,
            street_address(rng, tunit.name) if tunit else None, p.phone, None, now,
        ))  # fmt: skip
        age = (ctx.today - p.dob).days // 365
        if age >= 14:
            issued = date_between(
                rng, min(max(p.dob + dt.timedelta(days=14 * 365), dt.date(2021, 1, 1)), ctx.today), ctx.today
            )
            if age >= 30 and rng.random() < 0.7:
                old_issue = p.dob + dt.timedelta(days=rng.randint(14 * 366, 25 * 366))
                docs.append((p.pid, "CMND9", f"{rng.randrange(10**8, 10**9)}", old_issue, ISSUERS["CMND9"],
                             old_issue + dt.timedelta(days=15 * 365)))  # fmt: skip
            kind = "CAN_CUOC" if issued >= dt.date(2024, 7, 1) else "CCCD"
            docs.append((p.pid, kind, p.pid, issued, ISSUERS[kind], None))
        if p.father:
            links.append((p.father, p.pid, "FATHER"))
        if p.mother:
            links.append((p.mother, p.pid, "MOTHER"))
    store = ctx.stores["population"]
    await ctx.insert(store, citizens, rows, "population: citizens")
    await ctx.insert(store, identity_documents, docs, "population: identity documents",
                     columns=["pid", "type", "number", "issued_on", "issuer", "expires_on"])  # fmt: skip
    await ctx.insert(store, parent_links, links, "population: parent links")

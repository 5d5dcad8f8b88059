"""Hanoi's administrative units: reference data shipped with the package (no database).

Two structures are shipped (see ``govgraph/data``): the two-tier one in force from 1 Jul 2025 (126 wards and
communes) and the three-tier one in force 1 Jan - 30 Jun 2025 (30 districts, 526 wards). A unit is always
(code, structure): the same 5-digit code can mean different land in the two structures.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib.resources import files

from govgraph.domain.text import fold


class Structure(StrEnum):
    Y2025_07 = "Y2025_07"
    """Two tiers, from 1 Jul 2025 (Resolution 1656/NQ-UBTVQH15; codes of Decision 19/2025/QĐ-TTg)."""
    Y2025_01 = "Y2025_01"
    """Three tiers, 1 Jan - 30 Jun 2025 (the legacy structure shipped; closest to older records)."""


CURRENT = Structure.Y2025_07
LEGACY = Structure.Y2025_01

_KINDS = {
    "phường": "PHUONG",
    "xã": "XA",
    "thị trấn": "THI_TRAN",
    "quận": "QUAN",
    "huyện": "HUYEN",
    "thị xã": "THI_XA",
}


@dataclass(frozen=True)
class Unit:
    code: str
    structure: Structure
    name: str
    kind: str
    """PHUONG, XA, THI_TRAN (commune level) or QUAN, HUYEN, THI_XA (district level)."""
    district_code: str | None
    folded: str

    @property
    def is_district(self) -> bool:
        return self.kind in ("QUAN", "HUYEN", "THI_XA")

    @property
    def key(self) -> tuple[str, str]:
        return (self.structure.value, self.code)


@dataclass(frozen=True)
class Link:
    """A legacy ward that (wholly or partly) became a new unit."""

    legacy: Unit
    current: Unit
    split: bool
    """True when the legacy ward was divided among several new units."""


class Gazetteer:
    """All units of both structures and the conversion between them, in memory."""

    def __init__(self) -> None:
        data = files("govgraph") / "data"
        self.units: dict[tuple[str, str], Unit] = {}
        with (data / "hanoi_units_2025.csv").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                self._add(Unit(row["code"], CURRENT, row["name"], _KINDS[row["type"]], None, fold(row["name"])))
        with (data / "hanoi_units_legacy.csv").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                dcode = row["district_code"]
                if (LEGACY.value, dcode) not in self.units:
                    self._add(Unit(dcode, LEGACY, row["district_name"], _KINDS[row["district_type"]], None,
                                   fold(row["district_name"])))  # fmt: skip
                self._add(Unit(row["ward_code"], LEGACY, row["ward_name"], _KINDS[row["ward_type"]], dcode,
                               fold(row["ward_name"])))  # fmt: skip
        pairs: list[tuple[str, str]] = []
        with (data / "hanoi_units_conversion.csv").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                pairs.append((row["legacy_ward_code"], row["ward_code_2025"]))
        targets: dict[str, set[str]] = defaultdict(set)
        for old, new in pairs:
            targets[old].add(new)
        self.successors: dict[str, list[Link]] = defaultdict(list)
        self.predecessors: dict[str, list[Link]] = defaultdict(list)
        for old, new in pairs:
            link = Link(self.units[(LEGACY.value, old)], self.units[(CURRENT.value, new)], len(targets[old]) > 1)
            self.successors[old].append(link)
            self.predecessors[new].append(link)
        self.sorted: dict[Structure, list[Unit]] = {
            s: sorted((u for u in self.units.values() if u.structure == s), key=lambda u: u.code) for s in Structure
        }
        self.wards_of: dict[str, list[Unit]] = defaultdict(list)
        for u in self.sorted[LEGACY]:
            if u.district_code:
                self.wards_of[u.district_code].append(u)

    def _add(self, unit: Unit) -> None:
        self.units[unit.key] = unit

    def get(self, code: str, structure: Structure | str = CURRENT) -> Unit | None:
        return self.units.get((Structure(structure).value, code))

    def current(self) -> list[Unit]:
        return self.sorted[CURRENT]

    def search(
        self, query: str | None = None, structure: Structure | None = None, districts: bool | None = None
    ) -> list[Unit]:
        """Units whose folded name contains every word of ``query`` (diacritic-insensitive), by (structure, code)."""
        words = fold(query or "").split()
        found = []
        for s in [structure] if structure else list(Structure):
            for u in self.sorted[s]:
                if districts is not None and u.is_district != districts:
                    continue
                if all(w in u.folded for w in words):
                    found.append(u)
        return sorted(found, key=lambda u: u.key)

    def legacy_codes_of(self, current_code: str) -> list[str]:
        """Legacy ward codes that became (part of) a current unit: how old records are found from a new ward."""
        return [link.legacy.code for link in self.predecessors.get(current_code, [])]

    def current_codes_of(self, legacy_code: str) -> list[str]:
        """Current units a legacy ward became part of (several when it was split)."""
        return [link.current.code for link in self.successors.get(legacy_code, [])]


@cache
def gazetteer() -> Gazetteer:
    return Gazetteer()

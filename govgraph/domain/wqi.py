"""VN_WQI: Vietnam's water quality index, Decision 1460/QĐ-TCMT of 12 Nov 2019 (DOMAIN.md §5.2).

Pure functions, no I/O. Parameters are grouped: I pH; II pesticides (µg/L, pass/fail); III heavy metals
(mg/L); IV organics and nutrients (mg/L; DO first converted to % saturation); V microbiology (MPN/100 mL).

A WQI is valid when at least 3 of the 5 groups have data and group IV has at least 3 parameters. Values beyond
the last breakpoint take the "beyond" q of DOMAIN.md's table (1 or 10, per parameter; the [M]-tagged rows follow
the table's first reading, not the vnwqi repository's alternative). DO needs the water temperature for its
saturation value: without a temperature, DO is left out.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from govgraph.domain.aqi import round_half_up

METHOD = "VN_WQI_1460_2019"

GROUPS: dict[str, tuple[str, ...]] = {
    "I": ("PH",),
    "II": ("ALDRIN", "BHC", "DIELDRIN", "DDTS", "HEPTACHLOR"),
    "III": ("AS", "CD", "PB", "CR6", "CU", "ZN", "HG"),
    "IV": ("DO", "BOD5", "COD", "TOC", "NH4", "NO3", "N_NO2", "PO4"),
    "V": ("COLIFORM", "ECOLI"),
}
GROUP_OF = {p: g for g, params in GROUPS.items() for p in params}

Q_STEPS: tuple[int, ...] = (100, 75, 50, 25, 10)

DECREASING: dict[str, tuple[tuple[float, ...], float]] = {
    # parameter: (BPs for q = 100, 75, 50, 25[, 10]), q beyond the last BP
    "BOD5": ((4, 6, 15, 25, 50), 1),
    "COD": ((10, 15, 30, 50, 150), 1),
    "TOC": ((4, 6, 15, 25, 50), 1),
    "NH4": ((0.3, 0.6, 0.9, 5), 10),
    "NO3": ((2, 5, 10, 15), 10),
    "PO4": ((0.1, 0.2, 0.3, 0.5, 4), 1),
    "COLIFORM": ((2500, 5000, 7500, 10000), 10),
    "ECOLI": ((20, 50, 100, 200), 10),
    "AS": ((0.01, 0.02, 0.05, 0.1), 10),
    "CD": ((0.005, 0.008, 0.01, 0.1), 10),
    "PB": ((0.02, 0.04, 0.05, 0.5), 10),
    "CR6": ((0.01, 0.02, 0.04, 0.05, 0.1), 1),
    "CU": ((0.1, 0.2, 0.5, 1.0, 2.0), 1),
    "ZN": ((0.5, 1.0, 1.5, 2.0, 3.0), 1),
    "HG": ((0.001, 0.0015, 0.002, 0.01), 10),
}
"""Higher-is-worse parameters: breakpoints BPᵢ for qᵢ = 100, 75, 50, 25(, 10) and the q beyond the last BP."""

PESTICIDE_LIMITS: dict[str, float] = {"ALDRIN": 0.1, "BHC": 0.02, "DIELDRIN": 0.1, "DDTS": 1.0, "HEPTACHLOR": 0.2}
"""Group II thresholds (µg/L): q = 100 at or below, 10 above."""

N_NO2_LIMIT = 0.05
DO_RISING = ((20.0, 25.0), (50.0, 50.0), (75.0, 75.0), (88.0, 100.0))
DO_FALLING = ((112.0, 100.0), (125.0, 75.0), (150.0, 50.0), (200.0, 25.0))


def _falling(bps: tuple[float, ...], qs: tuple[int, ...], beyond: float, c: float) -> float:
    """WQI_SI = (qᵢ - qᵢ₊₁)/(BPᵢ₊₁ - BPᵢ) × (BPᵢ₊₁ - Cp) + qᵢ₊₁ between BPᵢ ≤ Cp ≤ BPᵢ₊₁."""
    if c <= bps[0]:
        return float(qs[0])
    for i in range(len(bps) - 1):
        if bps[i] <= c <= bps[i + 1]:
            return (qs[i] - qs[i + 1]) / (bps[i + 1] - bps[i]) * (bps[i + 1] - c) + qs[i + 1]
    return float(beyond)


def _rising(bp_lo: float, q_lo: float, bp_hi: float, q_hi: float, c: float) -> float:
    """WQI_SI = (qᵢ₊₁ - qᵢ)/(BPᵢ₊₁ - BPᵢ) × (Cp - BPᵢ) + qᵢ (pH and DO% low side)."""
    return (q_hi - q_lo) / (bp_hi - bp_lo) * (c - bp_lo) + q_lo


def ph_sub_index(ph: float) -> float:
    """pH: < 5.5 → 10; 5.5 → 50; 6-8.5 → 100; 9 → 50; > 9 → 10; linear between 5.5-6 and 8.5-9."""
    if ph < 5.5 or ph > 9:
        return 10.0
    if ph < 6:
        return _rising(5.5, 50, 6, 100, ph)
    if ph <= 8.5:
        return 100.0
    return _falling((8.5, 9), (100, 50), 10, ph)


def do_saturation(temperature_c: float) -> float:
    """Dissolved-oxygen saturation (mg/L) at a water temperature: 14.652 - 0.41022T + 0.007991T² - 0.000077774T³."""
    t = temperature_c
    return 14.652 - 0.41022 * t + 0.007991 * t**2 - 0.000077774 * t**3


def do_percent(do_mg_l: float, temperature_c: float) -> float:
    return do_mg_l / do_saturation(temperature_c) * 100


def do_sub_index(do_pct: float) -> float:
    """DO % saturation: 20/50/75/88 → q 25/50/75/100, 88-112 → 100, 112/125/150/200 → 100/75/50/25; else 10."""
    if do_pct < 20 or do_pct > 200:
        return 10.0
    if do_pct <= 88:
        for (lo, qlo), (hi, qhi) in itertools.pairwise(DO_RISING):
            if lo <= do_pct <= hi:
                return _rising(lo, qlo, hi, qhi, do_pct)
    if do_pct <= 112:
        return 100.0
    bps = tuple(bp for bp, _ in DO_FALLING)
    qs = tuple(int(q) for _, q in DO_FALLING)
    return _falling(bps, qs, 10, do_pct)


def sub_index(parameter: str, value: float) -> float:
    """The sub-index (q) of one measured parameter, other than DO (see ``do_sub_index``)."""
    if math.isnan(value) or value < 0:
        raise ValueError(f"{parameter}: a concentration must be a non-negative number, got {value}")
    if parameter == "PH":
        return ph_sub_index(value)
    if parameter in PESTICIDE_LIMITS:
        return 100.0 if value <= PESTICIDE_LIMITS[parameter] else 10.0
    if parameter == "N_NO2":
        return 100.0 if value <= N_NO2_LIMIT else 10.0
    if parameter in DECREASING:
        bps, beyond = DECREASING[parameter]
        return _falling(bps, Q_STEPS[: len(bps)], beyond, value)
    raise ValueError(f"{parameter} is not a VN_WQI parameter")


@dataclass(frozen=True)
class WqiCategory:
    code: str
    rating: str
    colour: str
    hex: str
    rgb: tuple[int, int, int]
    use: str


WQI_CATEGORIES: tuple[tuple[int, WqiCategory], ...] = (
    (91, WqiCategory("VERY_GOOD", "Rất tốt", "Xanh nước biển", "#3333FF", (51, 51, 255),
                     "Good for domestic water supply")),
    (76, WqiCategory("GOOD", "Tốt", "Xanh lá cây", "#00E400", (0, 228, 0),
                     "Domestic water supply after suitable treatment")),
    (51, WqiCategory("MODERATE", "Trung bình", "Vàng", "#FFFF00", (255, 255, 0),
                     "Irrigation and similar purposes")),
    (26, WqiCategory("BAD", "Xấu", "Da cam", "#FF7E00", (255, 126, 0),
                     "Waterway transport and similar purposes")),
    (10, WqiCategory("POOR", "Kém", "Đỏ", "#FF0000", (255, 0, 0),
                     "Heavily polluted, needs treatment")),
    (0, WqiCategory("VERY_POLLUTED", "Ô nhiễm rất nặng", "Nâu", "#7E0023", (126, 0, 35),
                    "Toxic water: needs remediation")),
)  # fmt: skip


def wqi_category(wqi: int) -> WqiCategory:
    """91-100 Rất tốt, 76-90 Tốt, 51-75 Trung bình, 26-50 Xấu, 10-25 Kém, < 10 Ô nhiễm rất nặng."""
    for lower, cat in WQI_CATEGORIES:
        if wqi >= lower:
            return cat
    return WQI_CATEGORIES[-1][1]


@dataclass(frozen=True)
class WqiResult:
    valid: bool
    value: int | None
    """Rounded half-up; None when the sample is not valid for a WQI."""
    exact: float | None
    groups: dict[str, float] = field(default_factory=dict)
    """Group index: I = pH's q; II, III geometric means; IV, V arithmetic means."""
    sub_indices: dict[str, float] = field(default_factory=dict)
    reason: str | None = None
    method: str = METHOD

    @property
    def category(self) -> WqiCategory | None:
        return wqi_category(self.value) if self.value is not None else None


def sub_indices(sample: Mapping[str, float]) -> dict[str, float]:
    """Sub-indices of every VN_WQI parameter in a sample (TEMPERATURE is used for DO, not indexed itself)."""
    out: dict[str, float] = {}
    for p, v in sample.items():
        if p == "DO":
            t = sample.get("TEMPERATURE")
            if t is not None:
                out[p] = do_sub_index(do_percent(v, t))
        elif p in GROUP_OF:
            out[p] = sub_index(p, v)
    return out


def wqi(sample: Mapping[str, float]) -> WqiResult:
    """The VN_WQI of one water sample (parameter → value; TEMPERATURE in °C for DO).

    WQI = (WQI_I/100) × (∏WQI_II)^(1/n)/100 × (∏WQI_III)^(1/m)/100 × [(1/k ΣWQI_IV)² × (1/l ΣWQI_V)]^(1/3);
    without group V the last factor is (1/k ΣWQI_IV); a missing group I, II or III contributes no factor.
    """
    subs = sub_indices(sample)
    by_group: dict[str, list[float]] = {}
    for p, q in subs.items():
        by_group.setdefault(GROUP_OF[p], []).append(q)
    groups: dict[str, float] = {}
    if "I" in by_group:
        groups["I"] = by_group["I"][0]
    for g in ("II", "III"):
        if g in by_group:
            groups[g] = math.prod(by_group[g]) ** (1 / len(by_group[g]))
    for g in ("IV", "V"):
        if g in by_group:
            groups[g] = sum(by_group[g]) / len(by_group[g])
    if len(by_group.get("IV", [])) < 3:
        return WqiResult(False, None, None, groups, subs, "group IV needs at least 3 parameters")
    if len(groups) < 3:
        return WqiResult(False, None, None, groups, subs, "at least 3 of the 5 groups need data")
    value = 1.0
    for g in ("I", "II", "III"):
        if g in groups:
            value *= groups[g] / 100
    if "V" in groups:
        value *= (groups["IV"] ** 2 * groups["V"]) ** (1 / 3)
    else:
        value *= groups["IV"]
    return WqiResult(True, round_half_up(value), value, groups, subs)

"""Environment: monitoring stations (air, lake water, rain, flood, water level), readings, VN_AQI and VN_WQI."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from govgraph.context import Info
from govgraph.resolvers import environment as resolve
from govgraph.schema.common import Connection, UserError, batch

if TYPE_CHECKING:
    from govgraph.schema.places import AdministrativeUnit


@strawberry.enum(description="What a monitoring station measures.")
class StationKind(Enum):
    AIR = strawberry.enum_value("AIR", description="Automatic air-quality station (trạm quan trắc không khí).")
    LAKE_WATER = strawberry.enum_value(
        "LAKE_WATER", description="Lake surface-water sampling point (điểm quan trắc nước mặt), e.g. Hồ Tây."
    )
    RAIN_GAUGE = strawberry.enum_value("RAIN_GAUGE", description="Rain gauge (trạm đo mưa) of the drainage company.")
    FLOOD_POINT = strawberry.enum_value(
        "FLOOD_POINT", description="Flood-prone street point (điểm úng ngập) with a depth sensor."
    )
    WATER_LEVEL = strawberry.enum_value(
        "WATER_LEVEL", description="Lake or river water-level gauge (trạm đo mực nước)."
    )


@strawberry.enum(description="A measured quantity. Air pollutants in µg/m³; water parameters in mg/L unless noted.")
class Parameter(Enum):
    PM2_5 = strawberry.enum_value("PM2_5", description="Fine particulate matter (bụi mịn PM2.5), µg/m³.")
    PM10 = strawberry.enum_value("PM10", description="Particulate matter PM10, µg/m³.")
    O3 = strawberry.enum_value("O3", description="Ozone, µg/m³.")
    CO = strawberry.enum_value("CO", description="Carbon monoxide, µg/m³.")
    SO2 = strawberry.enum_value("SO2", description="Sulphur dioxide, µg/m³.")
    NO2 = strawberry.enum_value("NO2", description="Nitrogen dioxide (air), µg/m³.")
    PH = strawberry.enum_value("PH", description="pH of water (VN_WQI group I).")
    DO = strawberry.enum_value("DO", description="Dissolved oxygen, mg/L (converted to % saturation for VN_WQI).")
    BOD5 = strawberry.enum_value("BOD5", description="Biochemical oxygen demand (5 days), mg/L.")
    COD = strawberry.enum_value("COD", description="Chemical oxygen demand, mg/L.")
    TOC = strawberry.enum_value("TOC", description="Total organic carbon, mg/L.")
    NH4 = strawberry.enum_value("NH4", description="Ammonium as nitrogen (N-NH₄), mg/L.")
    NO3 = strawberry.enum_value("NO3", description="Nitrate as nitrogen (N-NO₃), mg/L.")
    N_NO2 = strawberry.enum_value("N_NO2", description="Nitrite as nitrogen (N-NO₂) in water, mg/L.")
    PO4 = strawberry.enum_value("PO4", description="Phosphate as phosphorus (P-PO₄), mg/L.")
    COLIFORM = strawberry.enum_value("COLIFORM", description="Total coliform, MPN/100 mL.")
    ECOLI = strawberry.enum_value("ECOLI", description="E. coli, MPN/100 mL.")
    AS = strawberry.enum_value("AS", description="Arsenic, mg/L (VN_WQI group III).")
    CD = strawberry.enum_value("CD", description="Cadmium, mg/L.")
    PB = strawberry.enum_value("PB", description="Lead, mg/L.")
    CR6 = strawberry.enum_value("CR6", description="Hexavalent chromium (Cr⁶⁺), mg/L.")
    CU = strawberry.enum_value("CU", description="Copper, mg/L.")
    ZN = strawberry.enum_value("ZN", description="Zinc, mg/L.")
    HG = strawberry.enum_value("HG", description="Mercury, mg/L.")
    ALDRIN = strawberry.enum_value("ALDRIN", description="Aldrin, µg/L (VN_WQI group II).")
    BHC = strawberry.enum_value("BHC", description="BHC, µg/L.")
    DIELDRIN = strawberry.enum_value("DIELDRIN", description="Dieldrin, µg/L.")
    DDTS = strawberry.enum_value("DDTS", description="DDTs (p,p'-DDT, p,p'-DDD, p,p'-DDE), µg/L.")
    HEPTACHLOR = strawberry.enum_value("HEPTACHLOR", description="Heptachlor & heptachlorepoxide, µg/L.")
    TEMPERATURE = strawberry.enum_value("TEMPERATURE", description="Water or air temperature, °C.")
    RAINFALL_MM = strawberry.enum_value("RAINFALL_MM", description="Rainfall over the period, mm (lượng mưa).")
    DEPTH_CM = strawberry.enum_value("DEPTH_CM", description="Flood depth on the street, cm (độ sâu ngập).")
    LEVEL_M = strawberry.enum_value("LEVEL_M", description="Water level above the datum, m (mực nước).")


@strawberry.enum(description="Quality-control flag of a reading.")
class QualityFlag(Enum):
    OK = strawberry.enum_value("OK", description="Passed checks; used in indices.")
    OUT_OF_RANGE = strawberry.enum_value(
        "OUT_OF_RANGE", description="Outside the instrument's range or physically impossible; not used."
    )
    SUSPECT = strawberry.enum_value("SUSPECT", description="Flagged for review (spike, stuck sensor); not used.")


@strawberry.enum(description="The period a value is averaged over.")
class AveragingPeriod(Enum):
    H1 = strawberry.enum_value("H1", description="1-hour average (or total, for rainfall).")
    H8 = strawberry.enum_value("H8", description="8-hour average (O₃ in the daily AQI).")
    H24 = strawberry.enum_value("H24", description="24-hour average (PM in the daily AQI).")
    NOWCAST = strawberry.enum_value("NOWCAST", description="NowCast over the last 12 hours (PM in the hourly AQI).")
    INSTANT = strawberry.enum_value("INSTANT", description="Instantaneous value (levels, depths).")
    SAMPLE = strawberry.enum_value("SAMPLE", description="Laboratory result of a grab sample (mẫu nước).")


@strawberry.enum(description="VN_AQI categories (Decision 1459/QĐ-TCMT, Table 1).")
class AqiCategory(Enum):
    GOOD = strawberry.enum_value("GOOD", description="0-50, Tốt, green.")
    MODERATE = strawberry.enum_value("MODERATE", description="51-100, Trung bình, yellow.")
    POOR = strawberry.enum_value("POOR", description="101-150, Kém, orange.")
    BAD = strawberry.enum_value("BAD", description="151-200, Xấu, red.")
    VERY_BAD = strawberry.enum_value("VERY_BAD", description="201-300, Rất xấu, purple.")
    HAZARDOUS = strawberry.enum_value("HAZARDOUS", description="301-500, Nguy hại, maroon.")


@strawberry.enum(description="VN_WQI categories (Decision 1460/QĐ-TCMT).")
class WqiCategory(Enum):
    VERY_GOOD = strawberry.enum_value("VERY_GOOD", description="91-100, Rất tốt: domestic supply.")
    GOOD = strawberry.enum_value("GOOD", description="76-90, Tốt: domestic supply after treatment.")
    MODERATE = strawberry.enum_value("MODERATE", description="51-75, Trung bình: irrigation and similar.")
    BAD = strawberry.enum_value("BAD", description="26-50, Xấu: waterway transport and similar.")
    POOR = strawberry.enum_value("POOR", description="10-25, Kém: heavily polluted.")
    VERY_POLLUTED = strawberry.enum_value("VERY_POLLUTED", description="Below 10, Ô nhiễm rất nặng: toxic.")


@strawberry.enum(description="VN_WQI parameter groups.")
class WqiGroup(Enum):
    I = strawberry.enum_value("I", description="Group I: pH.")  # noqa: E741
    II = strawberry.enum_value("II", description="Group II: pesticides.")
    III = strawberry.enum_value("III", description="Group III: heavy metals.")
    IV = strawberry.enum_value("IV", description="Group IV: organics and nutrients (DO, BOD5, COD, NH4 ...).")
    V = strawberry.enum_value("V", description="Group V: microbiology (coliform, E. coli).")


@strawberry.enum(description="Drainage basin (lưu vực thoát nước) of Hanoi's urban core.")
class DrainageBasin(Enum):
    TO_LICH = strawberry.enum_value("TO_LICH", description="Lưu vực sông Tô Lịch.")
    NHUE = strawberry.enum_value("NHUE", description="Lưu vực sông Nhuệ.")
    TA_HONG = strawberry.enum_value("TA_HONG", description="Lưu vực Tả Hồng (left bank of the Red River).")


@strawberry.type(description="A display colour of an index category.")
class Colour:
    name: str = strawberry.field(description="Vietnamese colour name, e.g. 'Da cam'.")
    hex: str = strawberry.field(description="Hex code, e.g. '#FF7E00'.")
    red: int = strawberry.field(description="Red component, 0-255.")
    green: int = strawberry.field(description="Green component, 0-255.")
    blue: int = strawberry.field(description="Blue component, 0-255.")


@strawberry.type(description="One measured value of a station (a point of its time series).")
class Reading:
    measured_at: dt.datetime = strawberry.field(description="Start of the averaging period (+07:00).")
    parameter: Parameter = strawberry.field(description="What was measured.")
    value: float = strawberry.field(description="The value, in `unit`.")
    unit: str = strawberry.field(description="Unit of `value`, e.g. 'µg/m³', 'mg/L', 'mm'.")
    averaging: AveragingPeriod = strawberry.field(description="The averaging period of the value.")
    quality: QualityFlag = strawberry.field(description="Quality-control flag; only OK values enter indices.")


@strawberry.type(description="The sub-index of one pollutant in an AQI.")
class AqiSubIndex:
    pollutant: Parameter = strawberry.field(description="The pollutant.")
    value: int = strawberry.field(description="Its sub-index (rounded half-up).")
    concentration: float | None = strawberry.field(description="The concentration it was computed from, µg/m³.")
    averaging: AveragingPeriod = strawberry.field(description="NowCast, 1h, 8h or 24h.")


@strawberry.type(description="An hourly VN_AQI value (AQI giờ) of a station.")
class AqiValue:
    hour: dt.datetime = strawberry.field(description="Start of the hour (+07:00).")
    value: int = strawberry.field(description="The AQI, 0-500: the largest sub-index.")
    category: AqiCategory = strawberry.field(description="Category of Table 1.")
    rating: str = strawberry.field(description="Vietnamese rating, e.g. 'Kém'.")
    colour: Colour = strawberry.field(description="Display colour of the category.")
    dominant_pollutant: Parameter = strawberry.field(description="The pollutant with the largest sub-index.")
    sub_indices: list[AqiSubIndex] = strawberry.field(description="Sub-index of each pollutant measured.")
    method: str = strawberry.field(description="Index method and version: 'VN_AQI_1459_2019'.")


@strawberry.type(description="A daily VN_AQI value (AQI ngày) of a station: 24h PM averages, daily maxima of gases.")
class DailyAqiValue:
    date: dt.date = strawberry.field(description="Local calendar day.")
    value: int = strawberry.field(description="The AQI, 0-500.")
    category: AqiCategory = strawberry.field(description="Category of Table 1.")
    rating: str = strawberry.field(description="Vietnamese rating, e.g. 'Trung bình'.")
    colour: Colour = strawberry.field(description="Display colour of the category.")
    dominant_pollutant: Parameter = strawberry.field(description="The pollutant with the largest sub-index.")
    sub_indices: list[AqiSubIndex] = strawberry.field(description="Sub-index of each pollutant measured.")
    hours_covered: int = strawberry.field(description="Hourly PM values the 24h average was computed from.")
    method: str = strawberry.field(description="Index method and version: 'VN_AQI_1459_2019'.")


@strawberry.type(description="The sub-index (q) of one parameter in a WQI.")
class WqiSubIndex:
    parameter: Parameter = strawberry.field(description="The parameter.")
    value: float = strawberry.field(description="Its sub-index, 1-100 (unrounded).")
    concentration: float = strawberry.field(description="The measured value (DO in mg/L, not % saturation).")


@strawberry.type(description="The index of one VN_WQI parameter group.")
class WqiGroupIndex:
    group: WqiGroup = strawberry.field(description="The group.")
    value: float = strawberry.field(description="Group index: pH's q, or the mean of the group's sub-indices.")


@strawberry.type(description="The VN_WQI of a water sample (Decision 1460/QĐ-TCMT).")
class WqiValue:
    sampled_at: dt.datetime = strawberry.field(description="When the sample was taken (+07:00).")
    valid: bool = strawberry.field(
        description="True when at least 3 of 5 groups have data and group IV has at least 3 parameters."
    )
    value: int | None = strawberry.field(description="The WQI (rounded half-up); null when not valid.")
    category: WqiCategory | None = strawberry.field(description="Category; null when not valid.")
    rating: str | None = strawberry.field(description="Vietnamese rating, e.g. 'Trung bình'.")
    colour: Colour | None = strawberry.field(description="Display colour of the category.")
    fitness_for_use: str | None = strawberry.field(description="What the water is fit for at this category.")
    reason: str | None = strawberry.field(description="Why no WQI could be computed, when not valid.")
    groups: list[WqiGroupIndex] = strawberry.field(description="Index of each group with data.")
    sub_indices: list[WqiSubIndex] = strawberry.field(description="Sub-index of each parameter.")
    method: str = strawberry.field(description="Index method and version: 'VN_WQI_1460_2019'.")


@strawberry.type(description="Rainfall at a gauge over a period.")
class RainfallTotal:
    start: dt.datetime = strawberry.field(description="Start of the period (+07:00).")
    end: dt.datetime = strawberry.field(description="End of the period, exclusive (+07:00).")
    total_mm: float = strawberry.field(description="Total rainfall, mm.")
    max_hourly_mm: float = strawberry.field(description="The wettest hour, mm.")
    hours_reported: int = strawberry.field(description="Hourly values received in the period.")


@strawberry.type(description="The latest flood depth at a flood point.")
class FloodDepth:
    depth_cm: float = strawberry.field(description="Water depth on the street, cm (0: dry).")
    measured_at: dt.datetime = strawberry.field(description="When it was measured (+07:00).")
    flooded: bool = strawberry.field(description="True when the street is under water (đang ngập).")


@strawberry.type(description="A monitoring station (trạm quan trắc) or sensor point of the city.")
class Station(relay.Node):
    key: relay.NodeID[str]
    code: str = strawberry.field(description="Station code, e.g. 'KK001'.")
    name: str = strawberry.field(description="Name as published, e.g. 'Trạm Hoàn Kiếm'.")
    kind: StationKind = strawberry.field(description="What the station measures.")
    latitude: float = strawberry.field(description="Latitude, WGS 84.")
    longitude: float = strawberry.field(description="Longitude, WGS 84.")
    address: str | None = strawberry.field(description="Street location as written.")
    water_body: str | None = strawberry.field(description="Lake or river of a water station, e.g. 'Hồ Tây'.")
    drainage_basin: DrainageBasin | None = strawberry.field(description="Drainage basin of a flood point.")
    control_level_m: float | None = strawberry.field(
        description="Control water level (mực nước khống chế), m, of a level gauge."
    )
    operator: str = strawberry.field(description="The agency or company that runs the station.")
    unit_code: strawberry.Private[str | None]
    unit_structure: strawberry.Private[str | None]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[Station | None]:
        return await resolve.stations_by_code(info, node_ids, required)

    # Federation (GOVGRAPH_FEDERATION=1, @key "code"): the same loader as `node`.
    @classmethod
    async def resolve_reference(cls, info: Info, **key: str) -> Station | None:
        return (await resolve.stations_by_code(info, [str(key["code"])], False))[0]

    @strawberry.field(description="The ward or commune the station stands in.")
    def unit(self) -> Annotated[AdministrativeUnit, strawberry.lazy("govgraph.schema.places")] | None:
        return resolve.unit(self.unit_code, self.unit_structure)

    @strawberry.field(
        description="Readings, newest first: the `last` ones (default 24, at most 1000) in the range.",
        metadata=batch(lambda: resolve.readings_of, rows=lambda: (resolve.reading_rows_of, resolve.READING_ROW)),
    )
    async def readings(
        self,
        info: Info,
        parameter: Annotated[Parameter | None, strawberry.argument(description="Only this parameter.")] = None,
        from_: Annotated[
            dt.datetime | None, strawberry.argument(name="from", description="From this time, inclusive.")
        ] = None,
        to: Annotated[dt.datetime | None, strawberry.argument(description="Up to this time, exclusive.")] = None,
        last: Annotated[int, strawberry.argument(description="How many of the newest readings (1-1000).")] = 24,
    ) -> list[Reading]:
        return await resolve.readings(info, self.code, parameter, from_, to, last)

    @strawberry.field(
        description="The latest hourly AQI (air stations; null otherwise or without data).",
        metadata=batch(lambda: resolve.latest_aqis_of),
    )
    async def latest_aqi(self, info: Info) -> AqiValue | None:
        return await resolve.latest_aqi(info, self.code, self.kind)

    @strawberry.field(description="Hourly AQI in a range, oldest first (default: the last 24 hours; at most 31 days).")
    async def aqi_history(
        self,
        info: Info,
        from_: Annotated[
            dt.datetime | None, strawberry.argument(name="from", description="From this hour, inclusive.")
        ] = None,
        to: Annotated[dt.datetime | None, strawberry.argument(description="Up to this time, exclusive.")] = None,
    ) -> list[AqiValue]:
        return await resolve.aqi_history(info, self.code, self.kind, from_, to)

    @strawberry.field(description="Daily AQI of complete days, oldest first (default: the last 7 days; at most 366).")
    async def daily_aqi(
        self,
        info: Info,
        from_: Annotated[dt.date | None, strawberry.argument(name="from", description="First day.")] = None,
        to: Annotated[dt.date | None, strawberry.argument(description="Last day, inclusive.")] = None,
    ) -> list[DailyAqiValue]:
        return await resolve.daily_aqi(info, self.code, self.kind, from_, to)

    @strawberry.field(description="VN_WQI of the latest water sample (lake stations; null otherwise).")
    async def wqi(self, info: Info) -> WqiValue | None:
        return await resolve.wqi(info, self.code, self.kind)

    @strawberry.field(description="Total rainfall in a period (rain gauges; default: the last 24 hours).")
    async def rainfall(
        self,
        info: Info,
        from_: Annotated[dt.datetime | None, strawberry.argument(name="from", description="Start, inclusive.")] = None,
        to: Annotated[dt.datetime | None, strawberry.argument(description="End, exclusive.")] = None,
    ) -> RainfallTotal | None:
        return await resolve.rainfall(info, self.code, self.kind, from_, to)

    @strawberry.field(description="The latest flood depth (flood points; null otherwise).")
    async def flood_depth(self, info: Info) -> FloodDepth | None:
        return await resolve.flood_depth(info, self.code, self.kind)


@strawberry.type(description="An air station with its latest hourly AQI.")
class StationAqi:
    station: Station = strawberry.field(description="The station.")
    aqi: AqiValue | None = strawberry.field(description="Its latest hourly AQI; null when it has none.")


@strawberry.type(description="The city's air quality now: every air station's latest AQI.")
class CityAirQuality:
    stations: list[StationAqi] = strawberry.field(description="Every air station, by code.")
    worst: StationAqi | None = strawberry.field(description="The station with the highest latest AQI.")
    latest_hour: dt.datetime | None = strawberry.field(description="The newest hour any station reported.")
    reporting_stations: int = strawberry.field(
        description="Stations whose latest AQI is for `latestHour` (the others are late)."
    )


@strawberry.enum(description="Orderings of the station list.")
class StationOrderField(Enum):
    CODE = strawberry.enum_value("CODE", description="By station code.")
    NAME = strawberry.enum_value("NAME", description="By name, diacritic-insensitive.")


@strawberry.input(description="How to order stations.")
class StationOrder:
    field: StationOrderField = strawberry.field(description="The ordering key.")
    descending: bool = strawberry.field(default=False, description="Largest first.")


@strawberry.input(description="Filters on stations; all given filters must match.")
class StationFilterInput:
    kind: StationKind | None = strawberry.field(default=None, description="Only this kind.")
    unit_code: str | None = strawberry.field(default=None, description="Only stations in this ward or commune.")
    search: str | None = strawberry.field(
        default=None, description="Words of the name, any accents: 'ho tay' finds 'Hồ Tây - Trích Sài'."
    )


@strawberry.type(description="Environmental monitoring.")
class EnvironmentQuery:
    @strawberry.field(description="Monitoring stations, filtered and ordered (keyset pagination).")
    async def stations(
        self,
        info: Info,
        filter: Annotated[StationFilterInput | None, strawberry.argument(description="Filters.")] = None,
        order_by: Annotated[StationOrder | None, strawberry.argument(description="Ordering.")] = None,
        first: Annotated[int | None, strawberry.argument(description="Page size (at most 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[Station] | None:
        return await resolve.stations(info, filter, order_by, first, after)

    @strawberry.field(description="One station by code.")
    async def station(
        self, info: Info, code: Annotated[str, strawberry.argument(description="Station code, e.g. 'KK001'.")]
    ) -> Station | None:
        return await resolve.station(info, code)

    @strawberry.field(description="City summary: every air station's latest hourly AQI and the worst station.")
    async def air_quality_now(self, info: Info) -> CityAirQuality | None:
        return await resolve.air_quality_now(info)

    @strawberry.field(description="Flood points (điểm úng ngập) with their latest depth, by code.")
    async def flood_points(
        self,
        info: Info,
        active: Annotated[
            bool | None, strawberry.argument(description="true: under water now; false: dry now; null: all.")
        ] = None,
    ) -> list[Station] | None:
        return await resolve.flood_points(info, active)


# ---------------------------------------------------------------------------------------------------------
# Ingest (sensor gateways)
# ---------------------------------------------------------------------------------------------------------


@strawberry.input(description="One value measured by a station, as a sensor gateway sends it.")
class ReadingInput:
    station_code: str = strawberry.field(description="Station code, e.g. 'KK001'.")
    measured_at: dt.datetime = strawberry.field(
        description="Start of the averaging period, with its offset (e.g. 2025-10-01T10:00:00+07:00). Hourly "
        "values (air, rain) must be on the hour; a time more than 5 minutes ahead of the server is flagged SUSPECT."
    )
    parameter: Parameter = strawberry.field(description="What was measured; must be one the station's kind measures.")
    value: float = strawberry.field(description="The value, in `unit`.")
    unit: str | None = strawberry.field(
        default=None,
        description="Unit of `value`; default the parameter's stored unit (µg/m³ for air, mg/L for water, mm, cm, "
        "m). Exact conversions are accepted (mg/m³ → µg/m³, mm → cm); ppb/ppm of gases are not.",
    )


@strawberry.input(description="A batch of readings from a sensor gateway.")
class ReadingsIngestInput:
    readings: list[ReadingInput] = strawberry.field(
        description="The readings, at most 10,000. Entries are independent: a malformed one is refused with a "
        "userError naming its index, the others are stored."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Client-chosen key: a retry with the same key returns the first result."
    )


@strawberry.type(description="What one ingest did to one station.")
class ReadingBatchStation:
    code: str = strawberry.field(description="The station's code.")
    inserted: int = strawberry.field(description="New readings stored for it (flagged ones included).")
    duplicates: int = strawberry.field(description="Readings already stored with the same value: skipped.")
    conflicts: int = strawberry.field(description="Readings already stored with another value: the first kept.")
    flagged: int = strawberry.field(description="New readings stored with quality OUT_OF_RANGE or SUSPECT.")
    first_measured_at: dt.datetime | None = strawberry.field(description="Earliest time stored (+07:00).")
    last_measured_at: dt.datetime | None = strawberry.field(description="Latest time stored (+07:00).")

    @strawberry.field(description="The station, as now recorded (its `wqi` reflects a new water sample).")
    async def station(self, info: Info) -> Station | None:
        return await resolve.station(info, self.code)

    @strawberry.field(description="The station's latest hourly AQI after the ingest (air stations; else null).")
    async def latest_aqi(self, info: Info) -> AqiValue | None:
        return await resolve.station_latest_aqi(info, self.code)


@strawberry.type(description="The receipt of one readingsIngest call (kept as the agency's audit trail).")
class ReadingBatch:
    id: strawberry.ID = strawberry.field(description="Batch id.")
    received_at: dt.datetime = strawberry.field(description="When the server received it (+07:00).")
    received: int = strawberry.field(
        description="Readings sent: inserted + duplicates + conflicts + rejected (malformed)."
    )
    inserted: int = strawberry.field(description="New readings stored (flagged ones included).")
    duplicates: int = strawberry.field(description="Readings already stored with the same value: skipped.")
    conflicts: int = strawberry.field(
        description="Readings already stored with a different value: the stored value is kept and each one is "
        "listed in userErrors with code CONFLICT."
    )
    flagged: int = strawberry.field(
        description="New readings stored with quality OUT_OF_RANGE or SUSPECT; they do not enter the AQI or WQI."
    )
    rejected: int = strawberry.field(description="Malformed entries not stored (see userErrors).")
    stations: list[ReadingBatchStation] = strawberry.field(description="Per station touched, by code.")


@strawberry.type(description="Result of readingsIngest.")
class ReadingsIngestPayload:
    batch: ReadingBatch | None = strawberry.field(
        description="The receipt; null when nothing could be accepted (every entry malformed, or too many)."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Entries refused (field `[input, readings, <index>, <field>]`) and conflicts; at most 100 "
        "listed, then one MORE_ERRORS entry. The batch's counts are exact."
    )


@strawberry.type(description="Environmental data ingestion.")
class EnvironmentMutation:
    @strawberry.mutation(
        description="Store a batch of station readings (at most 10,000), idempotent on (station, time, parameter): "
        "a resent reading changes nothing; one resent with a different value keeps the first (a CONFLICT). "
        "Implausible values are stored flagged and left out of the indices. The hourly (NowCast) and daily AQI "
        "of the affected hours are recomputed in the same transaction. Allowed: devices (sensor gateways), admins."
    )
    async def readings_ingest(
        self, info: Info, input: Annotated[ReadingsIngestInput, strawberry.argument(description="The readings.")]
    ) -> ReadingsIngestPayload:
        return await resolve.ingest(info, input)


# ---------------------------------------------------------------------------------------------------------
# Live updates
# ---------------------------------------------------------------------------------------------------------


@strawberry.enum(description="What an environmental alert is about.")
class EnvironmentAlertKind(Enum):
    AQI_WORSENED = strawberry.enum_value(
        "AQI_WORSENED", description="A station's latest hourly AQI moved into a worse category (e.g. into Xấu)."
    )
    AQI_IMPROVED = strawberry.enum_value(
        "AQI_IMPROVED", description="A station's latest hourly AQI moved into a better category."
    )
    FLOOD_RISING = strawberry.enum_value("FLOOD_RISING", description="A flood point's depth rose past 10, 30 or 50 cm.")
    FLOOD_RECEDING = strawberry.enum_value(
        "FLOOD_RECEDING", description="A flood point's depth fell below 50, 30 or 10 cm."
    )


@strawberry.type(description="An environmental alert: an AQI category change or a flood threshold passed.")
class EnvironmentAlert:
    id: strawberry.ID = strawberry.field(description="Alert id.")
    kind: EnvironmentAlertKind = strawberry.field(description="What happened.")
    station: Station | None = strawberry.field(description="The station.")
    at: dt.datetime = strawberry.field(description="Hour of the AQI, or time of the depth reading (+07:00).")
    raised_at: dt.datetime = strawberry.field(description="When the alert was raised (+07:00).")
    previous_category: AqiCategory | None = strawberry.field(description="AQI category before (AQI alerts).")
    new_category: AqiCategory | None = strawberry.field(description="AQI category now (AQI alerts).")
    previous_aqi: int | None = strawberry.field(description="The latest hourly AQI before (AQI alerts).")
    new_aqi: int | None = strawberry.field(description="The latest hourly AQI now (AQI alerts).")
    previous_depth_cm: float | None = strawberry.field(description="Depth before, cm (flood alerts; null: none).")
    new_depth_cm: float | None = strawberry.field(description="Depth now, cm (flood alerts).")
    threshold_cm: int | None = strawberry.field(description="The threshold passed: 10, 30 or 50 cm (flood alerts).")


@strawberry.type(description="Readings newly stored for a station by one ingest.")
class ReadingsAdded:
    station: Station = strawberry.field(description="The station, as now recorded.")
    inserted: int = strawberry.field(description="How many readings the ingest stored for it.")
    first_measured_at: dt.datetime = strawberry.field(description="Earliest time stored (+07:00).")
    last_measured_at: dt.datetime = strawberry.field(description="Latest time stored (+07:00).")

    @strawberry.field(
        description="The station's readings from `firstMeasuredAt` to `lastMeasuredAt`, newest first (at most 1000)."
    )
    async def readings(self, info: Info) -> list[Reading]:
        return await resolve.readings_between(info, self.station.code, self.first_measured_at, self.last_measured_at)


@strawberry.type(description="Live environmental data (public data: any signed-in role may subscribe).")
class EnvironmentSubscription:
    @strawberry.subscription(description="Readings as they are stored, per station touched by an ingest.")
    async def reading_added(
        self,
        info: Info,
        station_code: Annotated[str | None, strawberry.argument(description="Only this station.")] = None,
        kind: Annotated[StationKind | None, strawberry.argument(description="Only stations of this kind.")] = None,
        unit_code: Annotated[str | None, strawberry.argument(description="Only stations in this ward/commune.")] = None,
    ) -> AsyncGenerator[ReadingsAdded, None]:
        async for item in resolve.follow_readings(info, station_code, kind, unit_code):
            yield item

    @strawberry.subscription(description="An air station's latest hourly AQI each time an ingest recomputes its AQI.")
    async def aqi_updated(
        self,
        info: Info,
        station_code: Annotated[str | None, strawberry.argument(description="Only this station.")] = None,
        unit_code: Annotated[str | None, strawberry.argument(description="Only stations in this ward/commune.")] = None,
    ) -> AsyncGenerator[StationAqi, None]:
        async for item in resolve.follow_aqi(info, station_code, unit_code):
            yield item

    @strawberry.subscription(description="Alerts: AQI category changes and flood depths passing 10/30/50 cm.")
    async def environment_alert(
        self,
        info: Info,
        kind: Annotated[EnvironmentAlertKind | None, strawberry.argument(description="Only this kind.")] = None,
        unit_code: Annotated[str | None, strawberry.argument(description="Only stations in this ward/commune.")] = None,
    ) -> AsyncGenerator[EnvironmentAlert, None]:
        async for item in resolve.follow_alerts(info, kind, unit_code):
            yield item

"""Enumerations of the public schema: its own classes (the full schema's are not shared), same values."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry

from govgraph.domain import complaints as case_rules


def _status(name: str) -> Any:
    return strawberry.enum_value(name, description=case_rules.STATUS_VI[case_rules.CaseStatus(name)])


@strawberry.enum(description="Which administrative structure a unit code belongs to. A code alone is ambiguous.")
class UnitStructure(Enum):
    Y2025_07 = strawberry.enum_value(
        "Y2025_07", description="Two-tier structure from 1 Jul 2025: 126 wards and communes, no districts."
    )
    Y2025_01 = strawberry.enum_value(
        "Y2025_01", description="Three-tier structure of 1 Jan - 30 Jun 2025: 30 districts, 526 wards."
    )


@strawberry.enum(description="Kind of administrative unit.")
class UnitKind(Enum):
    PHUONG = strawberry.enum_value("PHUONG", description="Phường (urban ward).")
    XA = strawberry.enum_value("XA", description="Xã (rural commune).")
    THI_TRAN = strawberry.enum_value("THI_TRAN", description="Thị trấn (township; legacy structure only).")
    QUAN = strawberry.enum_value("QUAN", description="Quận (urban district; legacy structure only).")
    HUYEN = strawberry.enum_value("HUYEN", description="Huyện (rural district; legacy structure only).")
    THI_XA = strawberry.enum_value("THI_XA", description="Thị xã (town; legacy structure only).")


@strawberry.enum(description="Online service level since Decree 42/2022/NĐ-CP, Art. 11.")
class OnlineLevel(Enum):
    FULL_PROCESS = strawberry.enum_value(
        "FULL_PROCESS",
        description="Toàn trình: submitted, paid and resolved online; result returned online or by public post.",
    )
    PARTIAL = strawberry.enum_value(
        "PARTIAL", description="Một phần: some step needs the applicant in person or an on-site inspection."
    )


@strawberry.enum(description="Level of government competent to resolve a procedure (two-tier, from 1 Jul 2025).")
class CompetentLevel(Enum):
    CITY = strawberry.enum_value("CITY", description="Cấp tỉnh: the city's departments and the city police.")
    COMMUNE = strawberry.enum_value("COMMUNE", description="Cấp xã: ward and commune People's Committees and police.")


@strawberry.enum(description="Field (lĩnh vực) of a procedure.")
class ProcedureField(Enum):
    CIVIL_STATUS = strawberry.enum_value("CIVIL_STATUS", description="Hộ tịch.")
    CERTIFICATION = strawberry.enum_value("CERTIFICATION", description="Chứng thực.")
    RESIDENCE = strawberry.enum_value("RESIDENCE", description="Cư trú.")
    IDENTITY_AND_IMMIGRATION = strawberry.enum_value(
        "IDENTITY_AND_IMMIGRATION", description="Căn cước, xuất nhập cảnh."
    )
    JUDICIAL_RECORDS = strawberry.enum_value("JUDICIAL_RECORDS", description="Lý lịch tư pháp.")
    ENTERPRISE = strawberry.enum_value("ENTERPRISE", description="Thành lập và hoạt động doanh nghiệp.")
    HOUSEHOLD_BUSINESS = strawberry.enum_value("HOUSEHOLD_BUSINESS", description="Hộ kinh doanh, hợp tác xã.")
    CONSTRUCTION = strawberry.enum_value("CONSTRUCTION", description="Xây dựng.")
    LAND = strawberry.enum_value("LAND", description="Đất đai.")
    LABOUR = strawberry.enum_value("LABOUR", description="Lao động, việc làm.")
    SOCIAL_PROTECTION = strawberry.enum_value("SOCIAL_PROTECTION", description="Bảo trợ xã hội.")
    EDUCATION = strawberry.enum_value("EDUCATION", description="Giáo dục và đào tạo.")
    HEALTH = strawberry.enum_value("HEALTH", description="Y tế.")
    INDUSTRY_AND_TRADE = strawberry.enum_value("INDUSTRY_AND_TRADE", description="Công thương.")
    CULTURE_AND_TOURISM = strawberry.enum_value("CULTURE_AND_TOURISM", description="Văn hóa, thể thao, du lịch.")
    ENVIRONMENT = strawberry.enum_value("ENVIRONMENT", description="Môi trường.")
    TRANSPORT = strawberry.enum_value("TRANSPORT", description="Giao thông, giấy phép lái xe.")
    INFORMATION = strawberry.enum_value("INFORMATION", description="Khai thác thông tin, dữ liệu.")


@strawberry.enum(description="How the legal processing time is counted.")
class TimeUnit(Enum):
    WORKING_DAY = strawberry.enum_value("WORKING_DAY", description="Ngày làm việc: no weekends or holidays.")
    CALENDAR_DAY = strawberry.enum_value("CALENDAR_DAY", description="Ngày: every day counts.")


@strawberry.enum(description="How a dossier was submitted or a fee applies (hình thức nộp).")
class Channel(Enum):
    IN_PERSON = strawberry.enum_value("IN_PERSON", description="Trực tiếp, at the one-stop desk.")
    ONLINE = strawberry.enum_value("ONLINE", description="Trực tuyến, on the public service portal.")
    POST = strawberry.enum_value("POST", description="Qua bưu chính công ích (public postal service).")


@strawberry.enum(description="Phí (a fee for a service) or lệ phí (a charge for a state act).")
class FeeType(Enum):
    LE_PHI = strawberry.enum_value("LE_PHI", description="Lệ phí: charge for the administrative act.")
    PHI = strawberry.enum_value("PHI", description="Phí: fee for a service (e.g. publication, data look-up).")


@strawberry.enum(description="What a fee amount is charged per.")
class FeeBasis(Enum):
    CASE = strawberry.enum_value("CASE", description="Per case (trường hợp).")
    PAGE = strawberry.enum_value("PAGE", description="Per page (trang).")
    COPY = strawberry.enum_value("COPY", description="Per copy (bản).")
    CONTRACT = strawberry.enum_value("CONTRACT", description="Per contract or transaction (hợp đồng, giao dịch).")
    PERSON = strawberry.enum_value("PERSON", description="Per person (người).")
    LOOKUP = strawberry.enum_value("LOOKUP", description="Per look-up (lượt khai thác).")


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


@strawberry.enum(description="Kinds of parking facility.")
class ParkingFacilityKind(Enum):
    STREET_IPARKING = strawberry.enum_value(
        "STREET_IPARKING",
        description="An iParking point (điểm đỗ xe) on the roadway or pavement, paid by SMS to 9556, the app, a "
        "card or through staff; piloted on Trần Hưng Đạo and Lý Thường Kiệt from 1 May 2017.",
    )
    CAR_PARK = strawberry.enum_value("CAR_PARK", description="A public car park (bãi đỗ xe), open-air or underground.")
    BASEMENT = strawberry.enum_value(
        "BASEMENT", description="The basement car park (tầng hầm) of an office, shopping or apartment building."
    )


@strawberry.enum(description="Classes of vehicle a tariff or session is for.")
class ParkingVehicleClass(Enum):
    CAR = strawberry.enum_value("CAR", description="Car (ô tô) up to 9 seats or a light truck.")
    MOTORBIKE = strawberry.enum_value("MOTORBIKE", description="Motorbike or scooter (xe máy), electric included.")
    BICYCLE = strawberry.enum_value("BICYCLE", description="Bicycle (xe đạp), electric included.")


@strawberry.enum(description="Which side of the street a street point is on.")
class ParkingStreetSide(Enum):
    EVEN = strawberry.enum_value("EVEN", description="The even house-number side (bên chẵn).")
    ODD = strawberry.enum_value("ODD", description="The odd house-number side (bên lẻ).")


@strawberry.enum(description="Complaint (khiếu nại) or denunciation (tố cáo).")
class CaseKind(Enum):
    COMPLAINT = strawberry.enum_value(
        "COMPLAINT",
        description="Khiếu nại: asks the authority to review an administrative decision or act that affects the "
        "complainant's own rights (Law on Complaints 02/2011/QH13).",
    )
    DENUNCIATION = strawberry.enum_value(
        "DENUNCIATION",
        description="Tố cáo: reports a legal violation by an agency or person (Law on Denunciations 25/2018/QH14). "
        "The denouncer's identity is secret.",
    )


@strawberry.enum(description="Case status, one list for both laws (DOMAIN.md §6.3).")
class CaseStatus(Enum):
    RECEIVED = _status("RECEIVED")
    CLASSIFYING = _status("CLASSIFYING")
    TRANSFERRED = _status("TRANSFERRED")
    GUIDED = _status("GUIDED")
    NOT_ACCEPTED = _status("NOT_ACCEPTED")
    ACCEPTED = _status("ACCEPTED")
    VERIFYING = _status("VERIFYING")
    EXTENDED = _status("EXTENDED")
    DIALOGUE = _status("DIALOGUE")
    DECIDED = _status("DECIDED")
    CONCLUDED = _status("CONCLUDED")
    HANDLING_CONCLUSION = _status("HANDLING_CONCLUSION")
    PUBLISHED = _status("PUBLISHED")
    CLOSED = _status("CLOSED")
    WITHDRAWN = _status("WITHDRAWN")
    SUSPENDED = _status("SUSPENDED")
    TERMINATED = _status("TERMINATED")
    SECOND_INSTANCE = _status("SECOND_INSTANCE")
    LITIGATION = _status("LITIGATION")

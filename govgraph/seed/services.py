"""Seed the services store: 11 city-level agencies and 126 ward People's Committees, the 96-procedure
catalogue (46 fully online, as in Hanoi's 2017 pilot) with its fee table, a year of dossiers (about 90% online),
hourly appointment slots for the next two weeks and some paid look-ups.

Provenance (DOMAIN.md §4): times and fees of the common procedures come from §4.4; an amount is `verified`
only where §4.4 marks it [V]. The catalogue codes (HT-01 ...) are this project's; the national procedure
codes were not verifiable. Electronic agency codes follow the AAA.BB.CC.H26 shape of Decision 20/2020/QĐ-TTg,
but the numbers are placeholders: departments 000.00.CC.H26, ward People's Committees 000.NN.60.H26 (phường)
and 000.NN.70.H26 (xã), numbered in code order. No catalogue with invented fees was used.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import select

from govgraph.datasources.places import CURRENT, gazetteer
from govgraph.datasources.services import (
    agencies,
    appointment_slots,
    appointments,
    dossier_pauses,
    dossiers,
    fees,
    paid_lookups,
    procedures,
)
from govgraph.domain import services as rules
from govgraph.domain.calendar import add_working_days, is_working_day, next_working_day
from govgraph.domain.text import fold, nfc
from govgraph.seed import BATCH, Person, SeedContext
from govgraph.seed.names import STREETS, mobile

HANOI = rules.HANOI

# ---------------------------------------------------------------------------------------------------------
# Agencies
# ---------------------------------------------------------------------------------------------------------

CITY_AGENCIES: dict[str, tuple[str, str, str]] = {
    # key: (code, name, kind)
    "TC": ("000.00.03.H26", "Sở Tài chính thành phố Hà Nội", "CITY_DEPARTMENT"),
    "NV": ("000.00.07.H26", "Sở Nội vụ thành phố Hà Nội", "CITY_DEPARTMENT"),
    "XD": ("000.00.09.H26", "Sở Xây dựng thành phố Hà Nội", "CITY_DEPARTMENT"),
    "NNMT": ("000.00.11.H26", "Sở Nông nghiệp và Môi trường thành phố Hà Nội", "CITY_DEPARTMENT"),
    "YT": ("000.00.16.H26", "Sở Y tế thành phố Hà Nội", "CITY_DEPARTMENT"),
    "GDDT": ("000.00.18.H26", "Sở Giáo dục và Đào tạo thành phố Hà Nội", "CITY_DEPARTMENT"),
    "TP": ("000.00.20.H26", "Sở Tư pháp thành phố Hà Nội", "CITY_DEPARTMENT"),
    "CT": ("000.00.22.H26", "Sở Công Thương thành phố Hà Nội", "CITY_DEPARTMENT"),
    "VHTT": ("000.00.25.H26", "Sở Văn hóa và Thể thao thành phố Hà Nội", "CITY_DEPARTMENT"),
    "DL": ("000.00.27.H26", "Sở Du lịch thành phố Hà Nội", "CITY_DEPARTMENT"),
    "CA": ("000.00.90.H26", "Công an thành phố Hà Nội", "POLICE"),
}


def ward_agency_code(kind: str, index: int) -> str:
    """000.NN.60.H26 for the n-th phường, 000.NN.70.H26 for the n-th xã (placeholder numbering)."""
    return f"000.{index:02d}.{60 if kind == 'PHUONG' else 70}.H26"


# ---------------------------------------------------------------------------------------------------------
# The catalogue: 96 procedures, 46 fully online
# ---------------------------------------------------------------------------------------------------------

W, D = "WORKING_DAY", "CALENDAR_DAY"
UBND_XA = "Ủy ban nhân dân cấp xã"
CA_XA = "Công an cấp xã"
HO_TICH = "Luật Hộ tịch 60/2014/QH13; Nghị định 123/2015/NĐ-CP"
CHUNG_THUC = "Nghị định 23/2015/NĐ-CP về cấp bản sao từ sổ gốc, chứng thực"
CU_TRU = "Luật Cư trú 68/2020/QH14"
CAN_CUOC = "Luật Căn cước 26/2023/QH15"
DOANH_NGHIEP = "Luật Doanh nghiệp 59/2020/QH14; Nghị định 168/2025/NĐ-CP [?]"
HKD = "Nghị định 01/2021/NĐ-CP về đăng ký doanh nghiệp [?: hộ kinh doanh sau 2025]"
XAY_DUNG = "Luật Xây dựng 50/2014/QH13, sửa đổi bởi Luật 62/2020/QH14"
DAT_DAI = "Luật Đất đai 31/2024/QH15; Nghị định 101/2024/NĐ-CP"
LAO_DONG = "Bộ luật Lao động 45/2019/QH14; Nghị định 152/2020/NĐ-CP"
BTXH = "Nghị định 20/2021/NĐ-CP về chính sách trợ giúp xã hội"
DKKD = "Phòng Đăng ký kinh doanh, Sở Tài chính"
HDND = "Mức thu theo Nghị quyết của Hội đồng nhân dân thành phố Hà Nội"


@dataclass(frozen=True)
class P:
    code: str
    name: str
    field: str
    level: str
    authority: str
    agency: str | None
    full: bool
    days: int
    unit: str = W
    same_day: bool = False
    basis: str = ""
    fee_note: str | None = None
    legacy: int | None = None
    weight: float = 1.0
    applicant: str = "CITIZEN"

    @property
    def online_only(self) -> bool:
        return self.field == "ENTERPRISE"


# fmt: off
CATALOGUE: list[P] = [
    # Hộ tịch (commune)
    P("HT-01", "Đăng ký khai sinh", "CIVIL_STATUS", "COMMUNE", UBND_XA, None, True, 0, same_day=True,
      basis=HO_TICH + ", Điều 16", weight=30),
    P("HT-02", "Đăng ký kết hôn", "CIVIL_STATUS", "COMMUNE", UBND_XA, None, False, 0, same_day=True,
      basis=HO_TICH + ", Điều 18 (≤5 ngày làm việc nếu cần xác minh)", legacy=2, weight=12),
    P("HT-03", "Đăng ký khai tử", "CIVIL_STATUS", "COMMUNE", UBND_XA, None, True, 0, same_day=True,
      basis=HO_TICH + ", Điều 34 (≤3 ngày làm việc nếu cần xác minh)", weight=8),
    P("HT-04", "Đăng ký lại khai sinh", "CIVIL_STATUS", "COMMUNE", UBND_XA, None, False, 5, basis=HO_TICH,
      fee_note=HDND, weight=3),
    P("HT-05", "Cấp Giấy xác nhận tình trạng hôn nhân", "CIVIL_STATUS", "COMMUNE", UBND_XA, None, True, 3,
      basis=HO_TICH + "; Nghị định 123/2015/NĐ-CP, Điều 22", fee_note=HDND, weight=20),
    P("HT-06", "Đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch", "CIVIL_STATUS", "COMMUNE", UBND_XA,
      None, False, 3, basis=HO_TICH + ", Điều 28", fee_note=HDND, weight=4),
    P("HT-07", "Cấp bản sao trích lục hộ tịch", "CIVIL_STATUS", "COMMUNE", UBND_XA, None, True, 0,
      same_day=True, basis=HO_TICH + ", Điều 64", weight=15),
    P("HT-08", "Đăng ký nhận cha, mẹ, con", "CIVIL_STATUS", "COMMUNE", UBND_XA, None, False, 3,
      basis=HO_TICH + ", Điều 25", fee_note=HDND),
    P("HT-09", "Đăng ký giám hộ", "CIVIL_STATUS", "COMMUNE", UBND_XA, None, False, 3, basis=HO_TICH + ", Điều 20",
      fee_note=HDND, weight=0.5),
    P("HT-10", "Đăng ký lại khai tử", "CIVIL_STATUS", "COMMUNE", UBND_XA, None, False, 5, basis=HO_TICH,
      fee_note=HDND, weight=0.5),
    P("HT-11", "Đăng ký khai sinh có yếu tố nước ngoài", "CIVIL_STATUS", "COMMUNE", UBND_XA + " [?: từ 2025]",
      None, False, 3, basis=HO_TICH + ", Điều 36", fee_note=HDND, weight=0.5),
    P("HT-12", "Đăng ký kết hôn có yếu tố nước ngoài", "CIVIL_STATUS", "COMMUNE", UBND_XA + " [?: từ 2025]",
      None, False, 10, basis=HO_TICH + ", Điều 38", fee_note=HDND, legacy=2, weight=0.5),
    # Chứng thực (commune)
    P("CT-01", "Chứng thực bản sao từ bản chính giấy tờ, văn bản", "CERTIFICATION", "COMMUNE", UBND_XA, None,
      False, 0, same_day=True, basis=CHUNG_THUC + ", Điều 20", weight=120),
    P("CT-02", "Chứng thực chữ ký trong các giấy tờ, văn bản", "CERTIFICATION", "COMMUNE", UBND_XA, None, False,
      0, same_day=True, basis=CHUNG_THUC + ", Điều 24", weight=25),
    P("CT-03", "Chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản", "CERTIFICATION", "COMMUNE",
      UBND_XA, None, False, 2, basis=CHUNG_THUC + ", Điều 37", weight=8),
    P("CT-04", "Chứng thực chữ ký người dịch", "CERTIFICATION", "COMMUNE", UBND_XA, None, False, 0,
      same_day=True, basis=CHUNG_THUC + ", Điều 31", fee_note="Như chứng thực chữ ký", weight=2),
    P("CT-05", "Chứng thực việc sửa đổi, bổ sung, hủy bỏ hợp đồng, giao dịch", "CERTIFICATION", "COMMUNE",
      UBND_XA, None, False, 2, basis=CHUNG_THUC + ", Điều 39", weight=1),
    P("CT-06", "Cấp bản sao có chứng thực từ bản chính hợp đồng, giao dịch đã được chứng thực",
      "CERTIFICATION", "COMMUNE", UBND_XA, None, True, 2, basis=CHUNG_THUC + ", Điều 40", weight=1),
    # Cư trú (commune police)
    P("CA-01", "Đăng ký thường trú", "RESIDENCE", "COMMUNE", CA_XA, None, True, 7,
      basis=CU_TRU + ", Điều 22", weight=25),
    P("CA-02", "Đăng ký tạm trú", "RESIDENCE", "COMMUNE", CA_XA, None, True, 3, basis=CU_TRU + ", Điều 28",
      weight=30),
    P("CA-03", "Gia hạn tạm trú", "RESIDENCE", "COMMUNE", CA_XA, None, True, 3, basis=CU_TRU + ", Điều 28",
      weight=10),
    P("CA-04", "Xóa đăng ký thường trú", "RESIDENCE", "COMMUNE", CA_XA, None, False, 3, basis=CU_TRU + ", Điều 24",
      weight=4),
    P("CA-05", "Xóa đăng ký tạm trú", "RESIDENCE", "COMMUNE", CA_XA, None, False, 3, basis=CU_TRU + ", Điều 29",
      weight=2),
    P("CA-06", "Tách hộ", "RESIDENCE", "COMMUNE", CA_XA, None, True, 3, basis=CU_TRU + ", Điều 25", weight=3),
    P("CA-07", "Điều chỉnh thông tin về cư trú trong Cơ sở dữ liệu về cư trú", "RESIDENCE", "COMMUNE", CA_XA,
      None, False, 3, basis=CU_TRU + ", Điều 26", weight=4),
    P("CA-08", "Khai báo tạm vắng", "RESIDENCE", "COMMUNE", CA_XA, None, True, 1, basis=CU_TRU + ", Điều 31",
      weight=2),
    P("CA-09", "Thông báo lưu trú", "RESIDENCE", "COMMUNE", CA_XA, None, True, 0, same_day=True,
      basis=CU_TRU + ", Điều 30", weight=6),
    P("CA-10", "Xác nhận thông tin về cư trú", "RESIDENCE", "COMMUNE", CA_XA, None, True, 1,
      basis=CU_TRU + ", Điều 17", weight=12),
    # Căn cước, xuất nhập cảnh, lý lịch tư pháp, look-ups (police)
    P("CC-01", "Cấp thẻ căn cước cho công dân từ đủ 14 tuổi trở lên", "IDENTITY_AND_IMMIGRATION", "COMMUNE",
      CA_XA, None, False, 7, basis=CAN_CUOC + ", Điều 23, 26", legacy=2, weight=10),
    P("CC-02", "Cấp đổi thẻ căn cước", "IDENTITY_AND_IMMIGRATION", "COMMUNE", CA_XA, None, False, 7,
      basis=CAN_CUOC + ", Điều 24, 26", legacy=2, weight=8),
    P("CC-03", "Cấp lại thẻ căn cước", "IDENTITY_AND_IMMIGRATION", "COMMUNE", CA_XA, None, False, 7,
      basis=CAN_CUOC + ", Điều 24, 26", legacy=2, weight=3),
    P("CC-04", "Cấp hộ chiếu phổ thông lần đầu", "IDENTITY_AND_IMMIGRATION", "CITY",
      "Phòng Quản lý xuất nhập cảnh, Công an thành phố Hà Nội", "CA", False, 8,
      basis="Luật Xuất cảnh, nhập cảnh của công dân Việt Nam 49/2019/QH14, Điều 15", weight=10),
    P("CC-05", "Cấp lại hộ chiếu phổ thông", "IDENTITY_AND_IMMIGRATION", "CITY",
      "Phòng Quản lý xuất nhập cảnh, Công an thành phố Hà Nội", "CA", True, 8,
      basis="Luật Xuất cảnh, nhập cảnh của công dân Việt Nam 49/2019/QH14, Điều 15", weight=5),
    P("LL-01", "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam", "JUDICIAL_RECORDS", "CITY",
      "Công an thành phố Hà Nội [?: chuyển từ Sở Tư pháp năm 2025]", "CA", True, 10, unit=D,
      basis="Luật Lý lịch tư pháp 28/2009/QH12, Điều 48", weight=10),
    P("KT-01", "Khai thác thông tin cơ sở dữ liệu công chứng", "INFORMATION", "CITY", "Sở Tư pháp thành phố Hà Nội",
      "TP", True, 0, same_day=True, basis="Luật Công chứng 46/2024/QH15 [?]", weight=0.5),
    P("KT-02", "Khai thác thông tin trong Cơ sở dữ liệu quốc gia về dân cư", "INFORMATION", "CITY",
      "Công an thành phố Hà Nội / Trung tâm dữ liệu quốc gia", "CA", True, 0, same_day=True,
      basis=CAN_CUOC + "; Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân", weight=0.5),
    P("KT-03", "Kiểm tra thông tin thuê bao di động", "INFORMATION", "CITY",
      "Doanh nghiệp viễn thông di động (không phải cơ quan của thành phố)", None, True, 0, same_day=True,
      basis="Nghị định 163/2024/NĐ-CP; tin nhắn TTTB gửi 1414", weight=0),
    # Doanh nghiệp (Dept of Finance, online only)
    P("DN-01", "Đăng ký thành lập doanh nghiệp tư nhân", "ENTERPRISE", "CITY", DKKD, "TC", True, 3,
      basis=DOANH_NGHIEP, weight=6, applicant="ENTERPRISE"),
    P("DN-02", "Đăng ký thành lập công ty trách nhiệm hữu hạn một thành viên", "ENTERPRISE", "CITY", DKKD, "TC",
      True, 3, basis=DOANH_NGHIEP, weight=14, applicant="ENTERPRISE"),
    P("DN-03", "Đăng ký thành lập công ty trách nhiệm hữu hạn hai thành viên trở lên", "ENTERPRISE", "CITY",
      DKKD, "TC", True, 3, basis=DOANH_NGHIEP, weight=6, applicant="ENTERPRISE"),
    P("DN-04", "Đăng ký thành lập công ty cổ phần", "ENTERPRISE", "CITY", DKKD, "TC", True, 3, basis=DOANH_NGHIEP,
      weight=6, applicant="ENTERPRISE"),
    P("DN-05", "Đăng ký thay đổi nội dung đăng ký doanh nghiệp", "ENTERPRISE", "CITY", DKKD, "TC", True, 3,
      basis=DOANH_NGHIEP, weight=20, applicant="ENTERPRISE"),
    P("DN-06", "Đăng ký hoạt động chi nhánh, văn phòng đại diện, địa điểm kinh doanh", "ENTERPRISE", "CITY",
      DKKD, "TC", True, 3, basis=DOANH_NGHIEP, weight=6, applicant="ENTERPRISE"),
    P("DN-07", "Thông báo tạm ngừng kinh doanh, tiếp tục kinh doanh trước thời hạn", "ENTERPRISE", "CITY", DKKD,
      "TC", True, 3, basis=DOANH_NGHIEP, weight=5, applicant="ENTERPRISE"),
    P("DN-08", "Đăng ký giải thể doanh nghiệp", "ENTERPRISE", "CITY", DKKD, "TC", True, 5, basis=DOANH_NGHIEP,
      weight=3, applicant="ENTERPRISE"),
    # Hộ kinh doanh (commune)
    P("HK-01", "Đăng ký thành lập hộ kinh doanh", "HOUSEHOLD_BUSINESS", "COMMUNE", UBND_XA, None, True, 3,
      basis=HKD, fee_note=HDND, weight=8),
    P("HK-02", "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh", "HOUSEHOLD_BUSINESS", "COMMUNE", UBND_XA, None,
      True, 3, basis=HKD, fee_note=HDND, weight=3),
    P("HK-03", "Thông báo tạm ngừng kinh doanh, tiếp tục kinh doanh trước thời hạn của hộ kinh doanh",
      "HOUSEHOLD_BUSINESS", "COMMUNE", UBND_XA, None, True, 3, basis=HKD, weight=1),
    P("HK-04", "Chấm dứt hoạt động hộ kinh doanh", "HOUSEHOLD_BUSINESS", "COMMUNE", UBND_XA, None, True, 3,
      basis=HKD, weight=1),
    # Xây dựng
    P("XD-01", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "CONSTRUCTION", "COMMUNE", UBND_XA + " [?: từ 2025]",
      None, False, 15, unit=D, basis=XAY_DUNG + ", Điều 102", fee_note=HDND, legacy=2, weight=6),
    P("XD-02", "Gia hạn giấy phép xây dựng", "CONSTRUCTION", "COMMUNE", UBND_XA, None, False, 5,
      basis=XAY_DUNG + ", Điều 99", weight=0.5),
    P("XD-03", "Cấp lại giấy phép xây dựng", "CONSTRUCTION", "COMMUNE", UBND_XA, None, False, 5,
      basis=XAY_DUNG + ", Điều 100", weight=0.5),
    P("XD-04", "Cấp giấy phép xây dựng công trình cấp II, cấp III", "CONSTRUCTION", "CITY",
      "Sở Xây dựng thành phố Hà Nội", "XD", False, 20, unit=D, basis=XAY_DUNG + ", Điều 102", legacy=2,
      weight=1, applicant="ORGANISATION"),
    P("XD-05", "Cấp chứng chỉ hành nghề hoạt động xây dựng hạng II, hạng III", "CONSTRUCTION", "CITY",
      "Sở Xây dựng thành phố Hà Nội", "XD", True, 20, unit=D, basis=XAY_DUNG + ", Điều 149", weight=2),
    P("XD-06", "Cấp chứng chỉ năng lực hoạt động xây dựng hạng II, hạng III", "CONSTRUCTION", "CITY",
      "Sở Xây dựng thành phố Hà Nội", "XD", True, 20, unit=D, basis=XAY_DUNG + ", Điều 148", weight=1,
      applicant="ENTERPRISE"),
    P("GT-01", "Cấp phép thi công công trình trên đường bộ đang khai thác", "TRANSPORT", "CITY",
      "Sở Xây dựng thành phố Hà Nội", "XD", False, 7, basis="Luật Đường bộ 35/2024/QH15 [?]", weight=0.5,
      applicant="ORGANISATION"),
    P("GT-02", "Đổi giấy phép lái xe", "TRANSPORT", "CITY", "Công an thành phố Hà Nội [?: từ 2025]", "CA", True, 5,
      basis="Luật Trật tự, an toàn giao thông đường bộ 36/2024/QH15 [?]", weight=12),
    P("GT-03", "Cấp giấy phép lái xe quốc tế", "TRANSPORT", "CITY", "Công an thành phố Hà Nội [?: từ 2025]", "CA",
      True, 5, basis="Luật Trật tự, an toàn giao thông đường bộ 36/2024/QH15 [?]", weight=1),
    P("GT-04", "Đăng ký xe lần đầu", "TRANSPORT", "COMMUNE", CA_XA + " [?]", None, False, 2,
      basis="Luật Trật tự, an toàn giao thông đường bộ 36/2024/QH15 [?]", weight=6),
    # Đất đai (Land Registration Office)
    P("DD-01", "Đăng ký đất đai, tài sản gắn liền với đất, cấp Giấy chứng nhận lần đầu", "LAND", "CITY",
      "Văn phòng Đăng ký đất đai Hà Nội, Sở Nông nghiệp và Môi trường", "NNMT", False, 20, basis=DAT_DAI,
      fee_note=HDND, legacy=2, weight=5),
    P("DD-02", "Đăng ký biến động quyền sử dụng đất do chuyển nhượng, tặng cho, thừa kế", "LAND", "CITY",
      "Văn phòng Đăng ký đất đai Hà Nội, Sở Nông nghiệp và Môi trường", "NNMT", False, 10, basis=DAT_DAI,
      fee_note=HDND, weight=10),
    P("DD-03", "Cấp đổi Giấy chứng nhận quyền sử dụng đất", "LAND", "CITY",
      "Văn phòng Đăng ký đất đai Hà Nội, Sở Nông nghiệp và Môi trường", "NNMT", False, 7, basis=DAT_DAI,
      fee_note=HDND, weight=3),
    P("DD-04", "Cấp lại Giấy chứng nhận quyền sử dụng đất do bị mất", "LAND", "CITY",
      "Văn phòng Đăng ký đất đai Hà Nội, Sở Nông nghiệp và Môi trường", "NNMT", False, 10, basis=DAT_DAI,
      fee_note=HDND, weight=1),
    P("DD-05", "Đăng ký thế chấp quyền sử dụng đất, tài sản gắn liền với đất", "LAND", "CITY",
      "Văn phòng Đăng ký đất đai Hà Nội, Sở Nông nghiệp và Môi trường", "NNMT", True, 3,
      basis="Nghị định 99/2022/NĐ-CP về đăng ký biện pháp bảo đảm", weight=8),
    P("DD-06", "Cung cấp thông tin, dữ liệu đất đai", "LAND", "CITY",
      "Văn phòng Đăng ký đất đai Hà Nội, Sở Nông nghiệp và Môi trường", "NNMT", False, 2, basis=DAT_DAI,
      weight=4),
    P("DD-07", "Tách thửa hoặc hợp thửa đất", "LAND", "CITY",
      "Văn phòng Đăng ký đất đai Hà Nội, Sở Nông nghiệp và Môi trường", "NNMT", False, 15, basis=DAT_DAI,
      weight=2),
    # Lao động (Dept of Home Affairs)
    P("LD-01", "Cấp giấy phép lao động cho người lao động nước ngoài", "LABOUR", "CITY",
      "Sở Nội vụ thành phố Hà Nội", "NV", True, 5, basis=LAO_DONG, fee_note=HDND, weight=4,
      applicant="ENTERPRISE"),
    P("LD-02", "Cấp lại giấy phép lao động cho người lao động nước ngoài", "LABOUR", "CITY",
      "Sở Nội vụ thành phố Hà Nội", "NV", True, 3, basis=LAO_DONG, fee_note=HDND, weight=1,
      applicant="ENTERPRISE"),
    P("LD-03", "Gia hạn giấy phép lao động cho người lao động nước ngoài", "LABOUR", "CITY",
      "Sở Nội vụ thành phố Hà Nội", "NV", True, 5, basis=LAO_DONG, fee_note=HDND, weight=2,
      applicant="ENTERPRISE"),
    # Bảo trợ xã hội (commune)
    P("XH-01", "Trợ cấp xã hội hàng tháng đối với đối tượng bảo trợ xã hội", "SOCIAL_PROTECTION", "COMMUNE",
      UBND_XA, None, False, 15, basis=BTXH, weight=2),
    P("XH-02", "Hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội", "SOCIAL_PROTECTION", "COMMUNE", UBND_XA,
      None, False, 5, basis=BTXH, weight=1),
    P("XH-03", "Xác định, xác định lại mức độ khuyết tật và cấp Giấy xác nhận khuyết tật", "SOCIAL_PROTECTION",
      "COMMUNE", UBND_XA, None, False, 20, basis="Luật Người khuyết tật 51/2010/QH12", weight=1),
    P("XH-04", "Công nhận hộ nghèo, hộ cận nghèo phát sinh trong năm", "SOCIAL_PROTECTION", "COMMUNE", UBND_XA,
      None, False, 10, basis="Nghị định 07/2021/NĐ-CP về chuẩn nghèo đa chiều", weight=0.5),
    # Giáo dục
    P("GD-01", "Chuyển trường đối với học sinh trung học phổ thông", "EDUCATION", "CITY",
      "Sở Giáo dục và Đào tạo thành phố Hà Nội", "GDDT", True, 3, basis="Luật Giáo dục 43/2019/QH14", weight=2),
    P("GD-02", "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc", "EDUCATION", "CITY",
      "Sở Giáo dục và Đào tạo thành phố Hà Nội", "GDDT", True, 0, same_day=True,
      basis="Nghị định 23/2015/NĐ-CP", weight=3),
    P("GD-03", "Chỉnh sửa nội dung văn bằng, chứng chỉ", "EDUCATION", "CITY",
      "Sở Giáo dục và Đào tạo thành phố Hà Nội", "GDDT", False, 5, basis="Luật Giáo dục 43/2019/QH14", weight=0.5),
    P("GD-04", "Cấp phép hoạt động trung tâm ngoại ngữ, tin học", "EDUCATION", "CITY",
      "Sở Giáo dục và Đào tạo thành phố Hà Nội", "GDDT", False, 20, basis="Luật Giáo dục 43/2019/QH14",
      weight=0.3, applicant="ORGANISATION"),
    P("GD-05", "Chuyển trường đối với học sinh trung học cơ sở", "EDUCATION", "COMMUNE", UBND_XA, None, True, 3,
      basis="Luật Giáo dục 43/2019/QH14", weight=2),
    # Y tế
    P("YT-01", "Cấp giấy phép hành nghề khám bệnh, chữa bệnh", "HEALTH", "CITY", "Sở Y tế thành phố Hà Nội", "YT",
      False, 30, unit=D, basis="Luật Khám bệnh, chữa bệnh 15/2023/QH15 [?]", weight=2),
    P("YT-02", "Cấp giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm", "HEALTH", "CITY",
      "Sở Y tế thành phố Hà Nội", "YT", False, 20, basis="Luật An toàn thực phẩm 55/2010/QH12 [?]", weight=2,
      applicant="ENTERPRISE"),
    P("YT-03", "Cấp chứng chỉ hành nghề dược", "HEALTH", "CITY", "Sở Y tế thành phố Hà Nội", "YT", True, 20, unit=D,
      basis="Luật Dược 105/2016/QH13, Điều 27", weight=1),
    # Công Thương
    P("TM-01", "Cấp giấy phép bán lẻ sản phẩm rượu", "INDUSTRY_AND_TRADE", "COMMUNE", UBND_XA + " [?: từ 2025]",
      None, True, 10, basis="Nghị định 105/2017/NĐ-CP về kinh doanh rượu", weight=1, applicant="ENTERPRISE"),
    P("TM-02", "Cấp giấy phép bán lẻ sản phẩm thuốc lá", "INDUSTRY_AND_TRADE", "COMMUNE", UBND_XA + " [?: từ 2025]",
      None, False, 15, basis="Nghị định 67/2013/NĐ-CP", weight=1, applicant="ENTERPRISE"),
    P("TM-03", "Đăng ký thực hiện khuyến mại", "INDUSTRY_AND_TRADE", "CITY", "Sở Công Thương thành phố Hà Nội",
      "CT", True, 5, basis="Nghị định 81/2018/NĐ-CP về xúc tiến thương mại", weight=3, applicant="ENTERPRISE"),
    P("TM-04", "Cấp giấy chứng nhận cửa hàng đủ điều kiện bán lẻ xăng dầu", "INDUSTRY_AND_TRADE", "CITY",
      "Sở Công Thương thành phố Hà Nội", "CT", False, 15, basis="Nghị định 83/2014/NĐ-CP [?]", weight=0.3,
      applicant="ENTERPRISE"),
    # Văn hóa, du lịch
    P("VH-01", "Cấp giấy phép kinh doanh dịch vụ karaoke", "CULTURE_AND_TOURISM", "COMMUNE", UBND_XA + " [?]", None,
      False, 5, basis="Nghị định 54/2019/NĐ-CP", weight=0.5, applicant="ENTERPRISE"),
    P("VH-02", "Cấp giấy phép kinh doanh dịch vụ vũ trường", "CULTURE_AND_TOURISM", "CITY",
      "Sở Văn hóa và Thể thao thành phố Hà Nội", "VHTT", False, 5, basis="Nghị định 54/2019/NĐ-CP", weight=0.2,
      applicant="ENTERPRISE"),
    P("VH-03", "Cấp giấy phép kinh doanh dịch vụ lữ hành nội địa", "CULTURE_AND_TOURISM", "CITY",
      "Sở Du lịch thành phố Hà Nội", "DL", True, 10, basis="Luật Du lịch 09/2017/QH14, Điều 32", weight=0.5,
      applicant="ENTERPRISE"),
    P("VH-04", "Cấp thẻ hướng dẫn viên du lịch nội địa", "CULTURE_AND_TOURISM", "CITY",
      "Sở Du lịch thành phố Hà Nội", "DL", True, 10, unit=D, basis="Luật Du lịch 09/2017/QH14, Điều 62",
      weight=0.5),
    P("VH-05", "Cấp giấy phép tổ chức biểu diễn nghệ thuật", "CULTURE_AND_TOURISM", "CITY",
      "Sở Văn hóa và Thể thao thành phố Hà Nội", "VHTT", False, 5, basis="Nghị định 144/2020/NĐ-CP [?]",
      weight=0.5, applicant="ORGANISATION"),
    # Môi trường
    P("MT-01", "Cấp giấy phép môi trường", "ENVIRONMENT", "CITY", "Sở Nông nghiệp và Môi trường thành phố Hà Nội",
      "NNMT", False, 30, unit=D, basis="Luật Bảo vệ môi trường 72/2020/QH14; Nghị định 08/2022/NĐ-CP", legacy=2,
      weight=0.5, applicant="ENTERPRISE"),
    P("MT-02", "Đăng ký môi trường", "ENVIRONMENT", "COMMUNE", UBND_XA, None, True, 5,
      basis="Luật Bảo vệ môi trường 72/2020/QH14, Điều 49 [?]", weight=1, applicant="ENTERPRISE"),
    P("MT-03", "Cấp giấy phép khai thác nước dưới đất", "ENVIRONMENT", "CITY",
      "Sở Nông nghiệp và Môi trường thành phố Hà Nội", "NNMT", False, 30, unit=D,
      basis="Luật Tài nguyên nước 28/2023/QH15", weight=0.2, applicant="ENTERPRISE"),
    # Tư pháp (city)
    P("TP-01", "Đăng ký hoạt động văn phòng công chứng", "CERTIFICATION", "CITY", "Sở Tư pháp thành phố Hà Nội",
      "TP", False, 10, basis="Luật Công chứng 46/2024/QH15 [?]", weight=0.2, applicant="ORGANISATION"),
    P("TP-02", "Đăng ký hành nghề và cấp thẻ công chứng viên", "CERTIFICATION", "CITY",
      "Sở Tư pháp thành phố Hà Nội", "TP", False, 10, basis="Luật Công chứng 46/2024/QH15 [?]", weight=0.3),
    P("TP-03", "Thành lập văn phòng công chứng", "CERTIFICATION", "CITY", "Sở Tư pháp thành phố Hà Nội", "TP",
      False, 20, unit=D, basis="Luật Công chứng 46/2024/QH15 [?]", weight=0.1, applicant="ORGANISATION"),
]
# fmt: on


@dataclass(frozen=True)
class F:
    procedure: str
    channel: str
    fee_type: str
    amount: int
    per: str
    basis: str
    valid_from: dt.date
    verified: bool
    valid_to: dt.date | None = None
    cap: int | None = None
    note: str | None = None


RESIDENCE_FEES = "Thông tư 75/2022/TT-BTC (lệ phí đăng ký cư trú)"
CERT_FEES = "Thông tư 226/2016/TT-BTC (phí chứng thực)"
T2017 = dt.date(2017, 1, 1)
T2023 = dt.date(2023, 2, 5)
FREE_HT = "Luật Hộ tịch 60/2014/QH13, Điều 11 (miễn lệ phí)"
ENTERPRISE_FEE = "Thông tư 47/2019/TT-BTC (lệ phí đăng ký doanh nghiệp) [M]"


def _both(code: str, person: int, online: int, basis: str, start: dt.date, verified: bool, per: str = "CASE",
          note: str | None = None, fee_type: str = "LE_PHI") -> list[F]:  # fmt: skip
    return [
        F(code, "IN_PERSON", fee_type, person, per, basis, start, verified, note=note),
        F(code, "ONLINE", fee_type, online, per, basis, start, verified, note=note),
    ]


# fmt: off
FEES: list[F] = [
    *_both("HT-01", 0, 0, FREE_HT, T2017, False, note="Miễn lệ phí khi đăng ký đúng hạn (60 ngày)"),
    *_both("HT-02", 0, 0, FREE_HT, T2017, False, note="Miễn lệ phí cho công dân Việt Nam cư trú trong nước"),
    *_both("HT-03", 0, 0, FREE_HT, T2017, False, note="Miễn lệ phí khi đăng ký đúng hạn (15 ngày)"),
    *_both("HT-07", 8_000, 8_000, "Thông tư 281/2016/TT-BTC [M]", T2017, False, per="COPY", fee_type="PHI"),
    F("CT-01", "IN_PERSON", "PHI", 2_000, "PAGE", CERT_FEES, T2017, True, cap=200_000,
      note="2.000 đồng/trang cho trang thứ nhất và thứ hai; từ trang thứ ba 1.000 đồng/trang; tối đa 200.000 "
      "đồng/bản"),
    F("CT-02", "IN_PERSON", "PHI", 10_000, "CASE", CERT_FEES, T2017, True),
    F("CT-03", "IN_PERSON", "PHI", 30_000, "CONTRACT", "Thông tư liên tịch năm 2015 của Bộ Tài chính và Bộ Tư pháp",
      dt.date(2015, 12, 1), True, valid_to=dt.date(2016, 12, 31), note="Mức thu cũ, thay bởi Thông tư 226/2016"),
    F("CT-03", "IN_PERSON", "PHI", 50_000, "CONTRACT", CERT_FEES + " [M]", T2017, False),
    *_both("CA-01", 20_000, 10_000, RESIDENCE_FEES, T2023, True),
    *_both("CA-02", 15_000, 7_000, RESIDENCE_FEES, T2023, True,
           note="Đăng ký tạm trú theo danh sách: 10.000 / 5.000 đồng mỗi người"),
    *_both("CA-03", 15_000, 7_000, RESIDENCE_FEES, T2023, True),
    *_both("CA-06", 10_000, 5_000, RESIDENCE_FEES, T2023, True),
    F("CC-01", "IN_PERSON", "LE_PHI", 0, "CASE", CAN_CUOC + " (cấp lần đầu không thu lệ phí) [M]", T2017, False),
    F("CC-02", "IN_PERSON", "LE_PHI", 30_000, "CASE", "Thông tư 73/2024/TT-BTC [M]", dt.date(2024, 7, 1), False),
    F("CC-03", "IN_PERSON", "LE_PHI", 50_000, "CASE", "Thông tư 73/2024/TT-BTC [M]", dt.date(2024, 7, 1), False),
    F("CC-04", "IN_PERSON", "LE_PHI", 200_000, "CASE", "Thông tư 25/2021/TT-BTC [M]", T2017, False),
    *_both("CC-05", 200_000, 200_000, "Thông tư 25/2021/TT-BTC [M]", T2017, False),
    *_both("LL-01", 200_000, 200_000, "Thông tư 244/2016/TT-BTC [M]", T2017, False, fee_type="PHI",
           note="Sinh viên, người có công: 100.000 đồng"),
    *_both("GT-02", 135_000, 135_000, "Thông tư 37/2023/TT-BTC [M]", T2017, False),
    *[fee for code in ("DN-01", "DN-02", "DN-03", "DN-04") for fee in (
        F(code, "IN_PERSON", "LE_PHI", 50_000, "CASE", ENTERPRISE_FEE, T2017, False),
        F(code, "ONLINE", "LE_PHI", 0, "CASE", ENTERPRISE_FEE, T2017, False, note="Miễn lệ phí khi đăng ký qua mạng"),
        F(code, "ONLINE", "PHI", 100_000, "CASE", "Phí công bố nội dung đăng ký doanh nghiệp [M]", T2017, False),
    )],
    F("KT-01", "ONLINE", "PHI", 30_000, "LOOKUP",
      "Nghị quyết HĐND thành phố Hà Nội về phí khai thác CSDL công chứng (mức thu chưa đối chiếu)", T2023, False),
    F("KT-02", "ONLINE", "PHI", 1_000, "LOOKUP",
      "Thông tư của Bộ Tài chính về phí khai thác CSDL quốc gia về dân cư (số hiệu và mức thu chưa đối chiếu)",
      T2023, False),
    F("KT-03", "ONLINE", "PHI", 0, "LOOKUP", "Nghị định 163/2024/NĐ-CP; nhắn TTTB gửi 1414 miễn phí [M]", T2023,
      False),
]
# fmt: on

# ---------------------------------------------------------------------------------------------------------
# Dossier generation
# ---------------------------------------------------------------------------------------------------------

PAUSE_NOTES = [
    "Bổ sung bản sao Giấy khai sinh",
    "Bổ sung giấy tờ chứng minh chỗ ở hợp pháp",
    "Bổ sung văn bản đồng ý của chủ hộ",
    "Bổ sung bản vẽ thiết kế có chữ ký của chủ đầu tư",
    "Bổ sung giấy ủy quyền có chứng thực",
    "Hoàn thiện tờ khai theo mẫu",
    "Bổ sung hợp đồng thuê nhà có công chứng",
]


@cache
def _wd_add(day: dt.date, days: int) -> dt.date:
    return add_working_days(day, days)


def _at(day: dt.date, hour: float) -> dt.datetime:
    """A local time on ``day`` (hour as a fraction), in UTC."""
    h = int(hour)
    m = int((hour - h) * 60)
    return dt.datetime(day.year, day.month, day.day, h, m, tzinfo=HANOI).astimezone(dt.UTC)


def _office_hour(rng: random.Random) -> float:
    return rng.uniform(8.0, 11.5) if rng.random() < 0.55 else rng.uniform(13.5, 16.9)


def _online_hour(rng: random.Random) -> float:
    return min(23.9, max(0.0, rng.gauss(14.0, 4.0)))


def _office_time_after(t: dt.datetime, rng: random.Random) -> dt.datetime:
    """When the one-stop desk picks up an online dossier received at ``t``: within office hours."""
    local = t.astimezone(HANOI)
    day = local.date()
    hour = local.hour + local.minute / 60
    if is_working_day(day) and hour < 16.0:
        start = max(hour, 8.0) + rng.uniform(0.1, 2.5)
        if 11.5 < start < 13.5:
            start += 2.0
        return _at(day, min(start, 16.9))
    return _at(next_working_day(day), rng.uniform(8.0, 11.0))


@dataclass
class Office:
    code: str
    unit: str | None
    adults: list[Person]


class DossierFactory:
    def __init__(self, ctx: SeedContext, rng: random.Random, offices: dict[str, Office], wards: list[Office],
                 city: dict[str, str], now: dt.datetime) -> None:  # fmt: skip
        self.ctx = ctx
        self.rng = rng
        self.now = now
        self.offices = offices
        self.wards = wards
        self.ward_cum = list(itertools.accumulate(len(w.adults) + 50 for w in wards))
        self.city = city
        self.procs = [p for p in CATALOGUE if p.weight > 0]
        self.proc_cum = list(itertools.accumulate(p.weight for p in self.procs))
        self.all_adults = [p for o in wards for p in o.adults]
        self.fee_procs = {f.procedure for f in FEES if f.amount > 0}
        self.seq: Counter[tuple[str, dt.date]] = Counter()
        self.statuses: Counter[str] = Counter()

    def _applicant(self, office: Office) -> str:
        pool = office.adults if office.adults and self.rng.random() < 0.9 else self.all_adults
        return self.rng.choice(pool).pid

    def day(self, day: dt.date, count: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        rng = self.rng
        working = is_working_day(day)
        drafts = []
        for _ in range(count):
            proc = rng.choices(self.procs, cum_weights=self.proc_cum)[0]
            if proc.agency:
                office = self.offices[self.city[proc.agency]]
            else:
                office = rng.choices(self.wards, cum_weights=self.ward_cum)[0]
            p_online = 1.0 if proc.online_only else (0.95 if proc.full else 0.84)
            if not working or rng.random() < p_online:
                channel, hour = "ONLINE", _online_hour(rng)
            else:
                channel, hour = ("POST" if rng.random() < 0.15 else "IN_PERSON"), _office_hour(rng)
            received = _at(day, hour)
            if received > self.now:  # today's later hours have not happened yet: received just now instead
                received = max(self.now - dt.timedelta(minutes=rng.randint(1, 60)), _at(day, 0))
            drafts.append((received, proc, office, channel))
        drafts.sort(key=lambda d: d[0])
        rows: list[tuple[Any, ...]] = []
        pauses: list[tuple[Any, ...]] = []
        for received, proc, office, channel in drafts:
            self.seq[(office.code, day)] += 1
            code = rules.dossier_code(office.code, day, self.seq[(office.code, day)])
            row, row_pauses = self._life(code, received, proc, office, channel)
            rows.append(row)
            pauses += row_pauses
            self.statuses[row[6]] += 1
        return rows, pauses

    def _life(
        self, code: str, received: dt.datetime, proc: P, office: Office, channel: str
    ) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
        rng, now = self.rng, self.now
        applicant_type = proc.applicant if rng.random() < 0.97 else rng.choice(["ORGANISATION", "OTHER"])
        base = [code, proc.code, office.code, self._applicant(office), applicant_type, channel]
        accepted = received if channel != "ONLINE" else _office_time_after(received, rng)

        def row(status: str, status_at: dt.datetime, acc: dt.datetime | None = None, due: dt.datetime | None = None,
                done: dt.datetime | None = None, ret: dt.datetime | None = None,
                apology: tuple[dt.datetime | None, dt.datetime | None] = (None, None)) -> tuple[Any, ...]:  # fmt: skip
            times = (received, acc, due, done, ret, status_at, *apology)
            return (*base, status, *(t.astimezone(dt.UTC) if t is not None else None for t in times))

        if accepted > now:
            return row("SUBMITTED", received), []
        if rng.random() < 0.025:
            return row("REFUSED", accepted), []
        pauses: list[tuple[Any, ...]] = []
        spans: list[tuple[dt.date, dt.date]] = []
        resumed: dt.datetime | None = None
        acc_day = accepted.astimezone(HANOI).date()
        legal = max(proc.days, 1)
        if rng.random() < 0.08:
            k = rng.randint(0, max(legal - 1, 0))
            asked = _at(_wd_add(acc_day, k), _office_hour(rng))
            asked = max(asked, accepted + dt.timedelta(minutes=30))
            if asked <= now:
                back = asked + dt.timedelta(days=rng.randint(1, 10), hours=rng.uniform(-3, 3))
                note = rng.choice(PAUSE_NOTES)
                if back > now:
                    pauses.append((code, "ADDITIONAL_DOCUMENTS", asked, None, note))
                    due = rules.due_at(accepted, proc.days, proc.same_day, rules.TimeUnit(proc.unit))
                    return row("ADDITIONAL_DOCUMENTS_REQUESTED", asked, accepted, due), pauses
                pauses.append((code, "ADDITIONAL_DOCUMENTS", asked, back, note))
                spans = rules.pause_days([(asked, back)], now.date())
                resumed = back
        due = rules.due_at(accepted, proc.days, proc.same_day, rules.TimeUnit(proc.unit), spans, resumed)
        start = resumed or accepted
        roll = rng.random()
        if roll < 0.012:
            when = start + dt.timedelta(hours=rng.uniform(2, 48))
            if when <= now:
                return row("WITHDRAWN", when, accepted, due), pauses
        elif roll < 0.018:
            when = start + dt.timedelta(hours=rng.uniform(4, 72))
            if when <= now:
                return row("STOPPED", when, accepted, due), pauses
        late = rng.random() < 0.04
        if late:
            extra = rng.randint(1, 6)
            done = _at(_wd_add(due.astimezone(HANOI).date(), extra), _office_hour(rng))
        else:
            span = max((due - start).total_seconds(), 1800.0)
            done = start + dt.timedelta(seconds=rng.uniform(0.25, 0.97) * span)
            done = min(max(done, start + dt.timedelta(minutes=20)), due - dt.timedelta(minutes=5))
        apology: tuple[dt.datetime | None, dt.datetime | None] = (None, None)
        if late and rng.random() < 0.7:
            issued = due - dt.timedelta(hours=rng.uniform(1, 20))
            if issued <= now:
                new_due = dt.datetime.combine(done.astimezone(HANOI).date(), rules.OFFICE_CLOSE, tzinfo=HANOI)
                apology = (issued, new_due.astimezone(dt.UTC))
        if done > now:
            if code[-1] in "05" and proc.code in self.fee_procs and rng.random() < 0.4:
                asked = now - dt.timedelta(hours=rng.uniform(1, 60))
                if asked > accepted:
                    pauses.append((code, "FINANCIAL_OBLIGATION", asked, None, "Nộp lệ phí trước khi trả kết quả"))
                    return row("PAYMENT_REQUESTED", asked, accepted, due, apology=apology), pauses
            status = "ACCEPTED" if now - accepted < dt.timedelta(hours=3) else "PROCESSING"
            return row(status, accepted, accepted, due, apology=apology), pauses
        if channel == "ONLINE":
            returned = done + dt.timedelta(minutes=rng.uniform(5, 180))
        else:
            returned = _at(_wd_add(done.astimezone(HANOI).date(), rng.choice([0, 0, 1, 1, 2, 3])), _office_hour(rng))
            returned = max(returned, done + dt.timedelta(minutes=10))
        if returned > now:
            return row("RESOLVED", done, accepted, due, done, apology=apology), pauses
        return row("RESULT_RETURNED", returned, accepted, due, done, returned, apology), pauses


DOSSIER_COLUMNS = [
    "code", "procedure_code", "agency_code", "applicant_pid", "applicant_type", "channel", "status",
    "received_at", "accepted_at", "due_at", "completed_at", "returned_at", "status_at", "apology_at", "new_due_at",
]  # fmt: skip
PAUSE_COLUMNS = ["dossier_code", "reason", "requested_at", "resumed_at", "note"]


def _days(today: dt.date, n: int) -> Iterator[dt.date]:
    for i in range(n, -1, -1):
        yield today - dt.timedelta(days=i)


async def _seed_dossiers(ctx: SeedContext, rng: random.Random, factory: DossierFactory, total: int) -> None:
    store = ctx.stores["services"]
    days = list(_days(ctx.today, 365))
    weights = [1.0 if is_working_day(d) else 0.12 for d in days]
    scale = total / sum(weights)
    counts = [int(scale * w * rng.uniform(0.85, 1.15)) for w in weights]
    # Exactly `total` dossiers: spread the rounding and jitter difference over the working days.
    working = [i for i, w in enumerate(weights) if w == 1.0]
    diff = total - sum(counts)
    step = 1 if diff > 0 else -1
    while diff:
        i = working[abs(diff) % len(working)]
        if counts[i] + step >= 0:
            counts[i] += step
            diff -= step
    rows: list[tuple[Any, ...]] = []
    pauses: list[tuple[Any, ...]] = []
    with ctx.task("services: dossiers", total) as advance:
        for day, n in zip(days, counts, strict=True):
            day_rows, day_pauses = factory.day(day, n)
            rows += day_rows
            pauses += day_pauses
            if len(rows) >= BATCH or day == days[-1]:
                await store.bulk_insert(dossiers, rows, DOSSIER_COLUMNS)
                await store.bulk_insert(dossier_pauses, pauses, PAUSE_COLUMNS)
                advance(len(rows))
                rows, pauses = [], []


# ---------------------------------------------------------------------------------------------------------
# Appointments and look-ups
# ---------------------------------------------------------------------------------------------------------

HOURS = (8, 9, 10, 13, 14, 15, 16)
_CODE_CHARS = rules.BOOKING_CHARS


def _booking_code(rng: random.Random, used: set[str]) -> str:
    while True:
        code = "LH" + "".join(rng.choices(_CODE_CHARS, k=8))
        if code not in used:
            used.add(code)
            return code


async def _seed_appointments(ctx: SeedContext, rng: random.Random, wards: list[Office], now: dt.datetime) -> None:
    store = ctx.stores["services"]
    days = [ctx.today + dt.timedelta(days=i) for i in range(14)]
    days = [d for d in days if is_working_day(d)]
    slot_rows: list[tuple[Any, ...]] = []
    booking_rows: list[tuple[Any, ...]] = []
    used: set[str] = set()
    ward_procs = [p.code for p in CATALOGUE if p.level == "COMMUNE"]
    for office in wards:
        if not office.adults:
            continue
        for i, day in enumerate(days):
            for hour in HOURS:
                capacity = rng.randint(3, 6)
                fill = max(0.05, 0.85 - 0.08 * i)
                booked = sum(rng.random() < fill for _ in range(capacity))
                key = f"{office.code}:{day.isoformat()}:{hour:02d}"
                slot_rows.append((key, office.code, day, hour, capacity, booked))
                starts = _at(day, hour)
                for j in range(booked + (1 if rng.random() < 0.1 else 0)):
                    status = "CANCELLED" if j >= booked else "BOOKED"
                    if status == "BOOKED" and starts + dt.timedelta(hours=1) < now:
                        status = "CHECKED_IN" if rng.random() < 0.85 else "NO_SHOW"
                    booked_at = min(now, starts) - dt.timedelta(hours=rng.uniform(2, 24 * 6))
                    booking_rows.append((_booking_code(rng, used), key, rng.choice(office.adults).pid,
                                         rng.choice(ward_procs), status, booked_at))  # fmt: skip
    await ctx.insert(store, appointment_slots, slot_rows, "services: appointment slots")
    columns = ["booking_code", "slot_key", "citizen_pid", "procedure_code", "status", "booked_at"]
    await ctx.insert(store, appointments, booking_rows, "services: appointments", columns=columns)


NOTARY_OFFICES = [
    "Phòng Công chứng số 1 thành phố Hà Nội",
    "Phòng Công chứng số 2 thành phố Hà Nội",
    "Phòng Công chứng số 3 thành phố Hà Nội",
    "Phòng Công chứng số 5 thành phố Hà Nội",
]
PURPOSES = {
    "NOTARISATION_RECORD": ["Kiểm tra tình trạng giao dịch trước khi nhận chuyển nhượng",
                            "Xác minh tài sản trước khi nhận thế chấp"],
    "ID_CARD": ["Xác thực thông tin khách hàng mở tài khoản", "Đối chiếu thông tin người lao động"],
    "SIM_REGISTRATION": ["Kiểm tra thuê bao chính chủ"],
}  # fmt: skip
LOOKUP_PROCEDURE = {kind.value: code for kind, code in rules.LOOKUP_PROCEDURE.items()}


def _lookup_row(rng: random.Random, kind: str, n: int, when: dt.datetime, requester: Person, other: Person,
                fee_id: int, amount: int, now: dt.datetime) -> tuple[Any, ...]:  # fmt: skip
    if kind == "NOTARISATION_RECORD":
        subject = (f"Thửa đất số {rng.randint(1, 400)}, tờ bản đồ số {rng.randint(1, 80)}, "
                   f"số {rng.randint(1, 200)} {rng.choice(STREETS)}")  # fmt: skip
        if rng.random() < 0.6:
            result = "Không tìm thấy hợp đồng, giao dịch đã công chứng liên quan đến tài sản."
        else:
            seen = (when - dt.timedelta(days=rng.randint(30, 2000))).astimezone(HANOI)
            result = (f"01 hợp đồng chuyển nhượng đã công chứng ngày {seen:%d/%m/%Y} tại "
                      f"{rng.choice(NOTARY_OFFICES)}.")  # fmt: skip
        consent = True
    elif kind == "ID_CARD":
        subject = f"Số định danh cá nhân {other.pid}"
        result = "Thông tin khớp với Cơ sở dữ liệu quốc gia về dân cư (họ tên, ngày sinh, nơi thường trú)."
        if rng.random() >= 0.93:
            result = "Không khớp: ngày sinh khác với Cơ sở dữ liệu quốc gia về dân cư."
        consent = rng.random() < 0.97
    else:
        phone = requester.phone or mobile(rng)
        subject = f"Thuê bao {phone}"
        result = (f"Thuê bao {phone} đã đăng ký thông tin trùng khớp với số định danh cá nhân của người yêu cầu."
                  if rng.random() < 0.9 else f"Thuê bao {phone} chưa chuẩn hóa thông tin thuê bao.")  # fmt: skip
        consent = True
    if amount == 0:
        payment = "UNPAID"
    else:
        payment = rng.choices(["PAID", "PENDING", "UNPAID", "CANCELLED", "REFUNDED"], [75, 8, 10, 4, 3])[0]
    paid_at = min(now, when + dt.timedelta(minutes=rng.uniform(1, 90))) if payment in ("PAID", "REFUNDED") else None
    code = f"KT-{when.astimezone(HANOI):%y%m%d}-{n:06d}"
    return (code, kind, LOOKUP_PROCEDURE[kind], requester.pid, subject, rng.choice(PURPOSES[kind]), consent, when,
            fee_id, amount, payment, paid_at, result)  # fmt: skip


async def _seed_lookups(ctx: SeedContext, rng: random.Random, adults: list[Person], fee_ids: dict[str, int],
                        fee_amounts: dict[str, int], now: dt.datetime) -> None:  # fmt: skip
    total = ctx.sized(demo=600, city=30_000)
    rows = []
    for n in range(1, total + 1):
        kind = rng.choices(list(LOOKUP_PROCEDURE), weights=[4, 4, 2])[0]
        proc = LOOKUP_PROCEDURE[kind]
        when = now - dt.timedelta(minutes=rng.uniform(5, 60 * 24 * 180))
        rows.append(_lookup_row(rng, kind, n, when, rng.choice(adults), rng.choice(adults), fee_ids[proc],
                                fee_amounts[proc], now))  # fmt: skip
    await ctx.insert(ctx.stores["services"], paid_lookups, rows, "services: paid look-ups")


# ---------------------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------------------


async def seed(ctx: SeedContext) -> None:
    rng = ctx.rng("services")
    store = ctx.stores["services"]
    now = dt.datetime.now(dt.UTC)
    if ctx.today < now.astimezone(HANOI).date():
        now = _at(ctx.today, 17.5)
    adult_cut = ctx.today - dt.timedelta(days=18 * 365)

    agency_rows: list[tuple[Any, ...]] = []
    offices: dict[str, Office] = {}
    city_codes: dict[str, str] = {}
    for key, (code, name, kind) in CITY_AGENCIES.items():
        agency_rows.append((code, name, fold(name), kind, None, None, f"Bộ phận Một cửa, {name}"))
        offices[code] = Office(code, None, [])
        city_codes[key] = code
    wards: list[Office] = []
    counters: Counter[str] = Counter()
    for unit in gazetteer().current():
        counters[unit.kind] += 1
        code = ward_agency_code(unit.kind, counters[unit.kind])
        name = nfc(f"Ủy ban nhân dân {unit.name}")
        agency_rows.append((code, name, fold(name), "WARD_PEOPLES_COMMITTEE", unit.code, CURRENT.value,
                            f"Bộ phận Một cửa, Trung tâm phục vụ hành chính công {unit.name}"))  # fmt: skip
        adults = [p for p in ctx.by_unit.get(unit.code, []) if p.dob <= adult_cut]
        office = Office(code, unit.code, adults)
        offices[code] = office
        wards.append(office)
    await ctx.insert(store, agencies, agency_rows, "services: agencies")

    proc_rows = [
        (p.code, nfc(p.name), fold(p.name), p.field, p.level, p.authority,
         city_codes[p.agency] if p.agency else None, "FULL_PROCESS" if p.full else "PARTIAL",
         p.legacy or (4 if p.full else 3), p.days, p.unit, p.same_day, p.online_only, p.basis, p.fee_note)
        for p in CATALOGUE
    ]  # fmt: skip
    await ctx.insert(store, procedures, proc_rows, "services: procedures")
    fee_rows = [(f.procedure, f.channel, f.fee_type, f.amount, f.per, f.cap, f.note, f.basis, f.valid_from,
                 f.valid_to, f.verified) for f in FEES]  # fmt: skip
    fee_columns = ["procedure_code", "channel", "fee_type", "amount", "per", "cap", "note", "legal_basis",
                   "valid_from", "valid_to", "verified"]  # fmt: skip
    await ctx.insert(store, fees, fee_rows, "services: fees", columns=fee_columns)

    factory = DossierFactory(ctx, rng, offices, wards, city_codes, now)
    await _seed_dossiers(ctx, rng, factory, ctx.sized(demo=20_000, city=1_000_000))
    await _seed_appointments(ctx, rng, wards, now)

    fee_ids: dict[str, int] = {}
    fee_amounts: dict[str, int] = {}
    for r in await store.all(select(fees.c.id, fees.c.procedure_code, fees.c.amount)
                             .where(fees.c.procedure_code.in_(list(LOOKUP_PROCEDURE.values())))):  # fmt: skip
        fee_ids[r.procedure_code] = r.id
        fee_amounts[r.procedure_code] = r.amount
    adults = [p for o in wards for p in o.adults]
    await _seed_lookups(ctx, rng, adults, fee_ids, fee_amounts, now)
    ctx.shared["services"] = {
        "ward_agency": {o.unit: o.code for o in wards},
        "statuses": dict(factory.statuses),
    }

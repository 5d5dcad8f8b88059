"""Seed the parking store (DOMAIN.md §8).

demo: the 2017 iParking pilot (17 street points, 248 car spaces on Trần Hưng Đạo and Lý Thường Kiệt, in the pilot
ward) with a month of sessions, plus a city-wide inventory of car parks and building basements whose recent hours
are simulated. city: the 2018 expansion to 151 street points in the inner wards (>4,500 spaces) with a month of
sessions (about a million), and the same car parks and basements over a day.

Occupancy is simulated per space: each space alternates idle gaps (arrivals follow an hourly rate profile per
kind of facility) and stays (durations per kind and arrival hour), in time order across the city, so a facility
never holds more vehicles than spaces and a vehicle is never in two places at once. The session that covers
"now" is left open.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from govgraph.datasources.base import Store
from govgraph.datasources.parking import facilities, sessions, spots, tariff_rule, tariffs
from govgraph.datasources.places import CURRENT, gazetteer
from govgraph.domain.parking import HANOI_SERIES, HANOI_TZ, TariffRule, parking_fee
from govgraph.domain.text import fold, nfc
from govgraph.seed import BATCH, PILOT_WARD, SeedContext

OPERATOR = "Công ty TNHH MTV Khai thác điểm đỗ xe Hà Nội"
LEGAL_BASIS = "Quyết định 44/2017/QĐ-UBND ngày 13/12/2017 của UBND thành phố Hà Nội (giá dịch vụ trông giữ xe)"
ASSUMED = (
    "Giả định của govgraph: chưa tìm được hệ số lũy tiến chính thức (DOMAIN.md §11). "
    "Assumed by govgraph; replace with the official figures when known."
)

TARIFFS: list[dict[str, Any]] = [
    dict(code="IPK-CAR-2018", zone="Điểm đỗ xe iParking trên các tuyến phố nội thành (Trần Hưng Đạo, Lý Thường "
         "Kiệt và 151 điểm mở rộng từ 1/1/2018)", vehicle_class="CAR", first_block_minutes=120,
         first_block_price=25_000, step_minutes=60, step_price=15_000, step_increment=5_000,
         overnight_from=dt.time(18), overnight_to=dt.time(6), overnight_turns=6, overnight_price=None,
         daily_cap=None, monthly_price=None, legal_basis=LEGAL_BASIS, valid_from=dt.date(2018, 1, 1),
         notes="25.000 đ/xe/lượt 2 giờ đầu; lũy tiến từ giờ thứ 3; qua đêm (18:00-06:00) tính 6 lượt. " + ASSUMED
         + " Progressive steps: 3rd hour 15,000, +5,000 per further hour; no monthly ticket on street points."),
    dict(code="BDX-CAR-2018", zone="Bãi đỗ xe ô tô công cộng và tầng hầm tòa nhà trong các quận nội thành",
         vehicle_class="CAR", first_block_minutes=120, first_block_price=30_000, step_minutes=60,
         step_price=15_000, step_increment=0, overnight_from=dt.time(18), overnight_to=dt.time(6),
         overnight_turns=4, overnight_price=None, daily_cap=None, monthly_price=1_500_000,
         legal_basis=LEGAL_BASIS, valid_from=dt.date(2018, 1, 1),
         notes="Tối đa 30.000 đ/xe/lượt. " + ASSUMED + " Steps of 15,000 per hour, a night as 4 turns, monthly "
         "ticket 1,500,000."),
    dict(code="XM-2018", zone="Các quận nội thành và điểm du lịch", vehicle_class="MOTORBIKE",
         first_block_minutes=720, first_block_price=5_000, step_minutes=720, step_price=5_000, step_increment=0,
         overnight_from=dt.time(18), overnight_to=dt.time(6), overnight_turns=None, overnight_price=8_000,
         daily_cap=12_000, monthly_price=120_000, legal_basis=LEGAL_BASIS, valid_from=dt.date(2018, 1, 1),
         notes="Ban ngày 5.000 đ, ban đêm 8.000 đ, cả ngày và đêm 12.000 đ, tháng 120.000 đ."),
    dict(code="XD-2018", zone="Các quận nội thành và điểm du lịch", vehicle_class="BICYCLE",
         first_block_minutes=720, first_block_price=3_000, step_minutes=720, step_price=3_000, step_increment=0,
         overnight_from=dt.time(18), overnight_to=dt.time(6), overnight_turns=None, overnight_price=5_000,
         daily_cap=7_000, monthly_price=70_000, legal_basis=LEGAL_BASIS, valid_from=dt.date(2018, 1, 1),
         notes="Ban ngày 3.000 đ, ban đêm 5.000 đ, cả ngày và đêm 7.000 đ, tháng 70.000 đ."),
]  # fmt: skip

# The pilot: cross streets from west to east, and the points (segment index, side, spaces). 9 + 8 = 17 points,
# 248 spaces.
PILOT_STREETS: dict[str, tuple[str, list[str], list[tuple[int, str, int]], tuple[float, float, float]]] = {
    "Trần Hưng Đạo": (
        "THD",
        ["Lê Duẩn", "Quán Sứ", "Thợ Nhuộm", "Bà Triệu", "Hàng Bài", "Ngô Quyền", "Phan Chu Trinh",
         "Lê Thánh Tông", "Trần Khánh Dư"],
        [(0, "ODD", 12), (1, "EVEN", 14), (2, "ODD", 16), (3, "EVEN", 18), (3, "ODD", 15), (4, "EVEN", 13),
         (5, "ODD", 17), (6, "EVEN", 14), (7, "ODD", 11)],
        (21.0236, 21.0206, 105.8412),
    ),
    "Lý Thường Kiệt": (
        "LTK",
        ["Lê Duẩn", "Thợ Nhuộm", "Quán Sứ", "Quang Trung", "Bà Triệu", "Hàng Bài", "Ngô Quyền", "Lê Thánh Tông"],
        [(0, "EVEN", 10), (1, "ODD", 15), (2, "EVEN", 16), (3, "ODD", 20), (4, "EVEN", 14), (4, "ODD", 13),
         (5, "EVEN", 16), (6, "ODD", 14)],
        (21.0262, 21.0240, 105.8418),
    ),
}  # fmt: skip
PILOT_POINTS = 17
PILOT_SPACES = 248

# Streets of the wards where the city's car parks, basements and (city scale) street points are, with a rough
# centre of each ward.
WARDS: dict[str, tuple[float, float, list[str]]] = {
    "00004": (21.0390, 105.8370, ["Phan Đình Phùng", "Quán Thánh", "Hùng Vương", "Nguyễn Biểu", "Hoàng Diệu"]),
    "00008": (21.0370, 105.8240, ["Hoàng Hoa Thám", "Đội Cấn", "Liễu Giai", "Văn Cao", "Ngọc Hà"]),
    "00025": (21.0280, 105.8170, ["Giảng Võ", "Kim Mã", "Núi Trúc", "Ngọc Khánh", "Phạm Huy Thông"]),
    "00070": (21.0300, 105.8520, ["Hàng Bạc", "Hàng Gai", "Đinh Tiên Hoàng", "Lò Sũ", "Tràng Tiền", "Lý Thái Tổ"]),
    "00082": (21.0245, 105.8460, ["Hai Bà Trưng", "Quang Trung", "Bà Triệu", "Hàng Bài", "Quán Sứ", "Ngô Quyền"]),
    "00097": (21.0380, 105.8560, ["Trần Quang Khải", "Trần Nhật Duật", "Yên Phụ", "Hàng Đậu"]),
    "00103": (21.0640, 105.8230, ["Xuân Diệu", "Tô Ngọc Vân", "Đặng Thai Mai", "Quảng An", "Thụy Khuê"]),
    "00118": (21.0450, 105.8760, ["Nguyễn Văn Cừ", "Ngọc Lâm", "Bồ Đề", "Hồng Tiến"]),
    "00127": (21.0590, 105.9000, ["Nguyễn Cao Luyện", "Đoàn Khuê", "Việt Hưng"]),
    "00136": (21.0450, 105.9250, ["Phúc Lợi", "Hoa Lan", "Vạn Hạnh"]),
    "00145": (21.0230, 105.8950, ["Nguyễn Văn Linh", "Cổ Linh", "Thạch Bàn", "Long Biên"]),
    "00160": (21.0460, 105.7980, ["Hoàng Quốc Việt", "Nguyễn Văn Huyên", "Hoàng Sâm", "Trần Cung"]),
    "00166": (21.0330, 105.7990, ["Cầu Giấy", "Xuân Thủy", "Trần Thái Tông", "Dịch Vọng Hậu", "Duy Tân"]),
    "00175": (21.0120, 105.7970, ["Trần Duy Hưng", "Nguyễn Khang", "Trung Kính", "Hoàng Minh Giám", "Yên Hòa"]),
    "00190": (21.0210, 105.8240, ["Xã Đàn", "Hoàng Cầu", "Đê La Thành", "Nguyễn Lương Bằng"]),
    "00199": (21.0170, 105.8100, ["Láng", "Nguyễn Chí Thanh", "Huỳnh Thúc Kháng", "Láng Hạ"]),
    "00226": (21.0270, 105.8350, ["Tôn Đức Thắng", "Quốc Tử Giám", "Nguyễn Thái Học", "Văn Miếu", "Hàng Cháo"]),
    "00229": (21.0080, 105.8360, ["Phạm Ngọc Thạch", "Lương Định Của", "Đông Tác", "Kim Liên Mới"]),
    "00235": (21.0100, 105.8230, ["Thái Hà", "Tây Sơn", "Chùa Bộc", "Thái Thịnh"]),
    "00256": (21.0130, 105.8510, ["Lê Đại Hành", "Trần Nhân Tông", "Nguyễn Du", "Phố Huế", "Tuệ Tĩnh"]),
    "00283": (21.0000, 105.8720, ["Minh Khai", "Kim Ngưu", "Lạc Trung", "Vĩnh Tuy"]),
    "00292": (21.0010, 105.8480, ["Bạch Mai", "Đại La", "Trần Đại Nghĩa", "Giải Phóng", "Lê Thanh Nghị"]),
    "00301": (20.9900, 105.8750, ["Vĩnh Hưng", "Thanh Đàm"]),
    "00316": (20.9850, 105.8300, ["Định Công", "Kim Đồng"]),
    "00322": (20.9900, 105.8450, ["Trương Định", "Tân Mai", "Tương Mai"]),
    "00328": (20.9800, 105.8850, ["Lĩnh Nam", "Nguyễn Khoái"]),
    "00331": (20.9760, 105.8600, ["Tam Trinh", "Nguyễn Tam Trinh", "Mai Động"]),
    "00337": (20.9650, 105.8400, ["Linh Đàm", "Nguyễn Hữu Thọ", "Ngọc Hồi"]),
    "00340": (20.9650, 105.8700, ["Yên Sở", "Pháp Vân"]),
    "00352": (20.9980, 105.8350, ["Trường Chinh", "Phương Liệt", "Hoàng Văn Thái"]),
    "00364": (20.9900, 105.8150, ["Khương Đình", "Lê Trọng Tấn", "Kim Giang", "Nguyễn Xiển"]),
    "00367": (20.9950, 105.8050, ["Nguyễn Trãi", "Lê Văn Lương", "Nguyễn Tuân", "Vũ Trọng Phụng", "Khuất Duy Tiến"]),
    "00592": (21.0100, 105.7700, ["Phạm Hùng", "Mễ Trì", "Lê Đức Thọ", "Hàm Nghi", "Đỗ Đức Dục"]),
    "00602": (21.0850, 105.7800, ["Đông Ngạc", "Phạm Văn Đồng"]),
    "00611": (21.0700, 105.7900, ["Xuân Đỉnh", "Võ Chí Công", "Phạm Văn Đồng"]),
    "00619": (21.0450, 105.7650, ["Hồ Tùng Mậu", "Phú Diễn", "Cầu Diễn"]),
    "00622": (21.0300, 105.7450, ["Xuân Phương", "Trịnh Văn Bô"]),
    "00634": (21.0050, 105.7450, ["Đại lộ Thăng Long", "Tây Mỗ"]),
    "00637": (20.9900, 105.7650, ["Đại Mỗ", "Tố Hữu"]),
    "00643": (20.9700, 105.8150, ["Nghiêm Xuân Yêm", "Nguyễn Xiển"]),
    "09552": (20.9550, 105.7900, ["Văn Phú", "Kiến Hưng"]),
    "09556": (20.9700, 105.7750, ["Quang Trung", "Trần Phú", "Tô Hiệu", "Lê Lợi"]),
    "09562": (20.9500, 105.7450, ["Yên Nghĩa", "Quốc lộ 6"]),
    "09574": (21.1400, 105.5050, ["Phó Đức Chính", "Lê Lợi", "Quang Trung"]),
    "00433": (21.2150, 105.8050, ["Võ Nguyên Giáp"]),
    "00454": (21.1400, 105.8450, ["Cao Lỗ", "Uy Nỗ"]),
    "00565": (21.0200, 105.9400, ["Ngô Xuân Quảng", "Nguyễn Đức Thuận"]),
}  # fmt: skip

# The old inner districts where iParking expanded in 2018 (city scale), as current wards.
INNER_WARDS = ["00070", "00082", "00097", "00004", "00008", "00025", "00226", "00190", "00235", "00229", "00199",
               "00256", "00283", "00292", "00166", "00175", "00160", "00103", "00367", "00145", "00118", "00331",
               "00322"]  # fmt: skip

# Named car parks: (name, street, ward, spaces, opened).
CAR_PARKS: list[tuple[str, str, str, int, int]] = [
    ("Bãi đỗ xe ngầm Công viên Thống Nhất", "Trần Nhân Tông", "00256", 500, 2023),
    ("Bãi đỗ xe ngầm vườn hoa Indira Gandhi", "Đinh Tiên Hoàng", "00070", 300, 2022),
    ("Bãi đỗ xe ngầm Công viên Nghĩa Đô", "Hoàng Quốc Việt", "00160", 450, 2021),
    ("Bãi đỗ xe ngầm Công viên Thủ Lệ", "Kim Mã", "00025", 400, 2022),
    ("Bãi đỗ xe ngầm Công viên Cầu Giấy", "Trần Thái Tông", "00166", 400, 2020),
    ("Bãi đỗ xe ngầm Công viên Chu Văn An", "Nguyễn Tuân", "00367", 350, 2023),
    ("Bãi đỗ xe Công viên Hòa Bình", "Phạm Văn Đồng", "00611", 250, 2016),
    ("Bãi đỗ xe Công viên Yên Sở", "Yên Sở", "00340", 200, 2014),
    ("Bãi đỗ xe Công viên Tuổi Trẻ Thủ Đô", "Bạch Mai", "00292", 220, 2012),
    ("Bãi đỗ xe Công viên Bách Thảo", "Hoàng Hoa Thám", "00008", 120, 2010),
    ("Bãi đỗ xe Công viên Thiên văn học", "Tố Hữu", "00637", 300, 2019),
    ("Bãi đỗ xe Trần Nhật Duật", "Trần Nhật Duật", "00097", 250, 2008),
    ("Bãi đỗ xe Trần Khánh Dư", "Trần Quang Khải", "00097", 180, 2009),
    ("Bãi đỗ xe chân cầu Long Biên", "Trần Nhật Duật", "00097", 200, 2011),
    ("Bãi đỗ xe Ngọc Khánh", "Phạm Huy Thông", "00025", 160, 2013),
    ("Bãi đỗ xe Sân vận động Quốc gia Mỹ Đình", "Lê Đức Thọ", "00592", 800, 2003),
    ("Bãi đỗ xe Bến xe Mỹ Đình", "Phạm Hùng", "00592", 300, 2004),
    ("Bãi đỗ xe Bến xe Giáp Bát", "Giải Phóng", "00322", 250, 2005),
    ("Bãi đỗ xe Bến xe Nước Ngầm", "Ngọc Hồi", "00337", 200, 2006),
    ("Bãi đỗ xe Bến xe Gia Lâm", "Ngọc Lâm", "00118", 150, 2005),
    ("Bãi đỗ xe Bến xe Yên Nghĩa", "Quốc lộ 6", "09562", 220, 2009),
    ("Bãi đỗ xe Nhà ga T1 Cảng hàng không quốc tế Nội Bài", "Võ Nguyên Giáp", "00433", 700, 2001),
    ("Bãi đỗ xe Nhà ga T2 Cảng hàng không quốc tế Nội Bài", "Võ Nguyên Giáp", "00433", 900, 2015),
    ("Bãi đỗ xe Bệnh viện Bạch Mai", "Giải Phóng", "00292", 300, 2010),
    ("Bãi đỗ xe Bệnh viện Hữu nghị Việt Đức", "Phủ Doãn", "00070", 80, 2012),
    ("Bãi đỗ xe Bệnh viện Trung ương Quân đội 108", "Trần Hưng Đạo", "00256", 250, 2011),
    ("Bãi đỗ xe Bệnh viện E", "Trần Cung", "00160", 200, 2014),
    ("Bãi đỗ xe Bệnh viện Nhi Trung ương", "La Thành", "00190", 180, 2013),
    ("Bãi đỗ xe Bệnh viện K Tân Triều", "Nghiêm Xuân Yêm", "00643", 250, 2017),
    ("Bãi đỗ xe Trung tâm Hội nghị Quốc gia", "Phạm Hùng", "00592", 500, 2006),
    ("Bãi đỗ xe Hoàng thành Thăng Long", "Hoàng Diệu", "00004", 120, 2012),
    ("Bãi đỗ xe Văn Miếu - Quốc Tử Giám", "Văn Miếu", "00226", 90, 2010),
    ("Bãi đỗ xe Phủ Tây Hồ", "Đặng Thai Mai", "00103", 150, 2012),
    ("Bãi đỗ xe chợ Đồng Xuân", "Đồng Xuân", "00070", 60, 2009),
    ("Bãi đỗ xe Nguyễn Công Trứ", "Nguyễn Công Trứ", "00256", 110, 2015),
    ("Bãi đỗ xe Cung thể thao Quần Ngựa", "Văn Cao", "00008", 200, 2003),
    ("Bãi đỗ xe Bảo tàng Hà Nội", "Phạm Hùng", "00592", 250, 2010),
    ("Bãi đỗ xe Ga Hà Nội", "Lê Duẩn", "00082", 120, 2007),
]  # fmt: skip

# Basements of known buildings: (name, street, ward, spaces, opened).
BASEMENTS: list[tuple[str, str, str, int, int]] = [
    ("Tầng hầm Keangnam Hanoi Landmark Tower", "Phạm Hùng", "00592", 1000, 2011),
    ("Tầng hầm Lotte Center Hà Nội", "Liễu Giai", "00008", 650, 2014),
    ("Tầng hầm Vincom Center Bà Triệu", "Bà Triệu", "00256", 600, 2004),
    ("Tầng hầm Tràng Tiền Plaza", "Hai Bà Trưng", "00070", 120, 2013),
    ("Tầng hầm Vincom Mega Mall Royal City", "Nguyễn Trãi", "00367", 1500, 2013),
    ("Tầng hầm Vincom Mega Mall Times City", "Minh Khai", "00283", 1500, 2013),
    ("Tầng hầm Indochina Plaza Hà Nội", "Xuân Thủy", "00166", 500, 2011),
    ("Tầng hầm Vincom Metropolis Liễu Giai", "Liễu Giai", "00008", 500, 2018),
    ("Tầng hầm Vincom Center Nguyễn Chí Thanh", "Nguyễn Chí Thanh", "00199", 600, 2015),
    ("Tầng hầm AEON Mall Long Biên", "Cổ Linh", "00145", 1000, 2015),
    ("Tầng hầm AEON Mall Hà Đông", "Quang Trung", "09556", 900, 2019),
    ("Tầng hầm Hà Nội Centre Point", "Lê Văn Lương", "00367", 300, 2012),
    ("Tầng hầm Mipec Tower Tây Sơn", "Tây Sơn", "00235", 400, 2013),
    ("Tầng hầm Pacific Place", "Lý Thường Kiệt", "00082", 250, 2007),
    ("Tầng hầm Hanoi Tower", "Hai Bà Trưng", "00082", 180, 2001),
    ("Tầng hầm Cung Văn hóa Hữu nghị Việt Xô", "Trần Hưng Đạo", "00082", 100, 1985),
    ("Tầng hầm Discovery Complex", "Cầu Giấy", "00166", 500, 2018),
    ("Tầng hầm Sun Grand City Thụy Khuê", "Thụy Khuê", "00103", 450, 2018),
    ("Tầng hầm The Garden Shopping Center", "Mễ Trì", "00592", 400, 2010),
    ("Tầng hầm GO! Thăng Long", "Trần Duy Hưng", "00175", 500, 2005),
    ("Tầng hầm Vincom Plaza Trần Duy Hưng", "Trần Duy Hưng", "00175", 350, 2017),
    ("Tầng hầm Capital Place", "Liễu Giai", "00008", 600, 2017),
    ("Tầng hầm Daeha Business Center", "Kim Mã", "00025", 350, 1996),
    ("Tầng hầm Vincom Mega Mall Smart City", "Đại lộ Thăng Long", "00634", 800, 2020),
    ("Tầng hầm Vincom Mega Mall Ocean Park", "Ngô Xuân Quảng", "00565", 800, 2021),
    ("Tầng hầm Mandarin Garden", "Hoàng Minh Giám", "00175", 600, 2014),
    ("Tầng hầm Times Tower HACC1", "Lê Văn Lương", "00367", 400, 2012),
    ("Tầng hầm PVI Tower", "Phạm Văn Bạch", "00166", 400, 2015),
    ("Tầng hầm Vietcombank Tower", "Trần Quang Khải", "00097", 300, 2015),
    ("Tầng hầm Hapulico Complex", "Vũ Trọng Phụng", "00367", 500, 2012),
    ("Tầng hầm Golden Palace Mễ Trì", "Mễ Trì", "00592", 450, 2016),
    ("Tầng hầm Savico Megamall", "Nguyễn Văn Linh", "00145", 500, 2017),
    ("Tầng hầm Vincom Center Phạm Ngọc Thạch", "Phạm Ngọc Thạch", "00229", 350, 2015),
    ("Tầng hầm Artemis Lê Trọng Tấn", "Lê Trọng Tấn", "00364", 400, 2019),
    ("Tầng hầm Goldmark City", "Hồ Tùng Mậu", "00619", 600, 2018),
    ("Tầng hầm Hồ Gươm Plaza", "Trần Phú", "09556", 400, 2010),
    ("Tầng hầm Vincom Plaza Long Biên", "Phúc Lợi", "00136", 600, 2012),
]  # fmt: skip

APARTMENT_BLOCKS = ["CT1", "CT2", "CT3", "HH1", "HH2", "HH4A", "N01", "N04", "17T1", "24T2", "A1", "B2", "C3",
                    "Tháp A", "Tháp B", "Park 1", "Park 2", "West Point", "Sky Tower"]  # fmt: skip
OFFICE_WORDS = ["Tòa nhà văn phòng", "Tòa nhà hỗn hợp", "Trung tâm thương mại", "Khách sạn", "Tòa nhà"]


@dataclass
class Profile:
    """How one kind of facility fills up: arrival rate per idle space per minute by local hour, stay lengths."""

    rates: list[float]
    weekend: float
    median_stay: float
    sigma: float
    overnight: float
    office_share: float = 0.0


def _rates(spec: dict[tuple[int, int], float]) -> list[float]:
    out = [0.0] * 24
    for (lo, hi), mean_gap in spec.items():
        for h in range(lo, hi):
            out[h] = 1.0 / mean_gap
    return out


PROFILES: dict[str, Profile] = {
    "STREET_IPARKING": Profile(
        _rates({(0, 6): 900, (6, 7): 150, (7, 9): 45, (9, 17): 40, (17, 20): 45, (20, 22): 120, (22, 24): 360}),
        weekend=0.85, median_stay=115, sigma=0.6, overnight=0.04,
    ),
    "CAR_PARK": Profile(
        _rates({(0, 6): 1200, (6, 7): 120, (7, 10): 30, (10, 17): 40, (17, 21): 45, (21, 24): 180}),
        weekend=1.0, median_stay=120, sigma=0.8, overnight=0.12,
    ),
    "BASEMENT": Profile(
        _rates({(0, 6): 1500, (6, 7): 90, (7, 9): 12, (9, 12): 45, (12, 14): 35, (14, 18): 50, (18, 21): 40,
                (21, 24): 240}),
        weekend=0.7, median_stay=110, sigma=0.6, overnight=0.2, office_share=0.55,
    ),
}  # fmt: skip

CHANNELS: dict[str, tuple[list[str], list[float]]] = {
    "STREET_IPARKING": (["SMS", "APP", "CARD", "STAFF"], [0.55, 0.25, 0.05, 0.15]),
    "CAR_PARK": (["SMS", "APP", "CARD", "STAFF"], [0.10, 0.20, 0.25, 0.45]),
    "BASEMENT": (["SMS", "APP", "CARD", "STAFF"], [0.0, 0.10, 0.45, 0.45]),
}
CHANNEL_CUTS = {kind: (names, list(itertools.accumulate(w))) for kind, (names, w) in CHANNELS.items()}
SMS_PAYER_KNOWN = 0.4
"""Share of SMS payments sent from a number registered to the vehicle's owner."""

HANOI_CAR_SERIES = [("30", "AEFGHKL", 60), ("29", "ACD", 15), ("31", "A", 4), ("32", "A", 3), ("33", "A", 5),
                    ("40", "A", 3)]  # fmt: skip
OTHER_CAR_SERIES = ["88A", "99A", "34A", "17A", "90A", "35A", "36A", "14A", "19A", "89A", "51G", "43A", "98A", "37A"]


# ---------------------------------------------------------------------------------------------------------
# Inventory
# ---------------------------------------------------------------------------------------------------------


def _unit_name(code: str) -> str:
    unit = gazetteer().get(code, CURRENT)
    if unit is None:
        raise ValueError(f"unknown current unit {code}")
    return unit.name


def _facility(code: str, name: str, kind: str, street: str, unit: str, capacity: int, operator: str,
              lat: float, lon: float, tariff: str, opened: dt.date, address: str,
              side: str | None = None, segment: str | None = None) -> dict[str, Any]:  # fmt: skip
    name = nfc(name)
    return dict(code=code, name=name, name_folded=fold(name), kind=kind, street=street, side=side,
                segment=segment, address=address, unit_code=unit, unit_structure=CURRENT.value, capacity=capacity,
                operator=operator, latitude=round(lat, 6), longitude=round(lon, 6), tariff_code=tariff,
                opened_on=opened)  # fmt: skip


def pilot_points() -> list[dict[str, Any]]:
    """The 17 iParking points of the 2017 pilot (248 spaces) in the pilot ward."""
    out = []
    ward = _unit_name(PILOT_WARD)
    for street, (abbr, cross, points, (lat_w, lat_e, lon_w)) in PILOT_STREETS.items():
        for i, (seg, side, spaces) in enumerate(points, start=1):
            a, b = cross[seg], cross[seg + 1]
            frac = (seg + 0.5) / (len(cross) - 1)
            lat = lat_w + (lat_e - lat_w) * frac + (0.00008 if side == "EVEN" else -0.00008)
            lon = lon_w + 0.0165 * frac
            segment = f"đoạn {a} - {b}"
            side_vi = "bên chẵn" if side == "EVEN" else "bên lẻ"
            out.append(_facility(
                f"IPK-{abbr}-{i:02d}", f"Điểm đỗ xe {street} ({a} - {b}, {side_vi})", "STREET_IPARKING", street,
                PILOT_WARD, spaces, OPERATOR, lat, lon, "IPK-CAR-2018", dt.date(2017, 5, 1),
                f"Phố {street}, {segment}, {side_vi}, {ward}, Hà Nội", side, segment,
            ))  # fmt: skip
    return out


def city_points(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """More iParking points on inner-ward streets (the 2018 expansion)."""
    out = []
    per_ward: dict[str, int] = {}
    for n in range(count):
        ward = INNER_WARDS[n % len(INNER_WARDS)]
        lat0, lon0, streets = WARDS[ward]
        street = streets[(n // len(INNER_WARDS)) % len(streets)]
        per_ward[ward] = per_ward.get(ward, 0) + 1
        house = rng.randrange(2, 180, 2)
        side = rng.choice(["EVEN", "ODD"])
        side_vi = "bên chẵn" if side == "EVEN" else "bên lẻ"
        segment = f"đoạn số {house} - số {house + rng.randrange(20, 60, 2)}"
        out.append(_facility(
            f"IPK-{ward}-{per_ward[ward]:02d}", f"Điểm đỗ xe {street} ({segment}, {side_vi})", "STREET_IPARKING",
            street, ward, rng.randint(20, 48), OPERATOR, lat0 + rng.uniform(-0.006, 0.006),
            lon0 + rng.uniform(-0.006, 0.006), "IPK-CAR-2018", dt.date(2018, 1, 1),
            f"Phố {street}, {segment}, {side_vi}, {_unit_name(ward)}, Hà Nội", side, segment,
        ))  # fmt: skip
    return out


def car_parks_and_basements(rng: random.Random, generated: int) -> list[dict[str, Any]]:
    """Named car parks and basements, then ``generated`` more on real streets of the wards."""
    out: list[dict[str, Any]] = []
    counters: dict[tuple[str, str], int] = {}

    def code(prefix: str, ward: str) -> str:
        counters[(prefix, ward)] = counters.get((prefix, ward), 0) + 1
        return f"{prefix}-{ward}-{counters[(prefix, ward)]:02d}"

    def add(name: str, kind: str, street: str, ward: str, spaces: int, opened: int, operator: str) -> None:
        lat0, lon0, _streets = WARDS[ward]
        prefix = "BDX" if kind == "CAR_PARK" else "HAM"
        tariff = "BDX-CAR-2018"
        address = f"Số {rng.randint(1, 300)} {street}, {_unit_name(ward)}, Hà Nội"
        out.append(_facility(
            code(prefix, ward), name, kind, street, ward, spaces, operator, lat0 + rng.uniform(-0.007, 0.007),
            lon0 + rng.uniform(-0.007, 0.007), tariff, dt.date(opened, rng.randint(1, 12), rng.randint(1, 28)),
            address,
        ))  # fmt: skip

    for name, street, ward, spaces, opened in CAR_PARKS:
        add(name, "CAR_PARK", street, ward, spaces, opened, OPERATOR)
    for name, street, ward, spaces, opened in BASEMENTS:
        add(name, "BASEMENT", street, ward, spaces, opened, f"Ban quản lý {name.removeprefix('Tầng hầm ')}")
    wards = list(WARDS)
    seen: set[str] = {f["name"] for f in out}
    while generated > 0:
        ward = rng.choice(wards)
        street = rng.choice(WARDS[ward][2])
        if rng.random() < 0.45:
            kind = "CAR_PARK"
            name = rng.choice([f"Bãi đỗ xe số {rng.randint(2, 250)} {street}",
                               f"Bãi đỗ xe ngõ {rng.randint(2, 200)} {street}",
                               f"Bãi đỗ xe tập trung {street}"])  # fmt: skip
            spaces = rng.randint(20, 90)
            operator = OPERATOR if rng.random() < 0.5 else f"Hợp tác xã Dịch vụ {_unit_name(ward).split(' ', 1)[1]}"
        else:
            kind = "BASEMENT"
            if rng.random() < 0.5:
                building = f"chung cư {rng.choice(APARTMENT_BLOCKS)} {street}"
            else:
                building = f"{rng.choice(OFFICE_WORDS).lower()} số {rng.randint(1, 300)} {street}"
            name = f"Tầng hầm {building}"
            spaces = rng.randint(30, 160)
            operator = f"Ban quản lý {building}"
        if name in seen:
            continue
        seen.add(name)
        add(name, kind, street, ward, spaces, rng.randint(2005, 2024), operator)
        generated -= 1
    return out


# ---------------------------------------------------------------------------------------------------------
# Vehicles and sessions
# ---------------------------------------------------------------------------------------------------------


def _pick(rng: random.Random, items: Sequence[Any], cumulative: Sequence[float]) -> Any:
    """``rng.choices(items, cum_weights=cumulative)[0]``, without its overhead."""
    return items[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


_SERIES = [(p, letters) for p, letters, _w in HANOI_CAR_SERIES]
_SERIES_CUTS = list(itertools.accumulate(w for _p, _l, w in HANOI_CAR_SERIES))


def _plate(rng: random.Random) -> str:
    if rng.random() < 0.88:
        province, letters = _pick(rng, _SERIES, _SERIES_CUTS)
        series = province + rng.choice(letters)
    else:
        series = rng.choice(OTHER_CAR_SERIES)
    if series.startswith("29") and rng.random() < 0.3:
        return f"{series}-{rng.randint(1, 9999):04d}"  # older four-digit plates
    n = rng.randint(1, 99_999)
    return f"{series}-{n // 100:03d}.{n % 100:02d}"


@dataclass
class Vehicle:
    plate: str
    owner: str | None
    free_at: float = -math.inf


def vehicles(ctx: SeedContext, rng: random.Random, count: int) -> list[Vehicle]:
    """Cars with unique plates. The first ones (the regulars, who park most often) mostly belong to adults of the
    population register, as registered app and card users do; the rest are owners the city does not know."""
    adults = [p.pid for p in ctx.people if (ctx.today - p.dob).days >= 20 * 365 and p.phone]
    owned = min(int(count * 0.8), len(adults) // 2)
    plates: set[str] = set()
    out: list[Vehicle] = []
    while len(out) < count:
        plate = _plate(rng)
        if plate in plates:
            continue
        plates.add(plate)
        known = len(out) < owned and plate[:2] in HANOI_SERIES
        out.append(Vehicle(plate, rng.choice(adults) if known else None))
    return out


@dataclass
class Space:
    facility: int
    kind: str
    spot: int | None
    popularity: float
    keep_from: float
    """Minutes before now where this space's history starts."""


class Simulator:
    """Arrivals and departures of every space, in time order, in minutes relative to ``now``."""

    def __init__(self, rng: random.Random, now: dt.datetime, fleet: list[Vehicle]) -> None:
        self.rng = rng
        self.now = now
        local_now = now.astimezone(HANOI_TZ)
        self.now_minute_of_week = local_now.weekday() * 1440 + local_now.hour * 60 + local_now.minute
        self.fleet = fleet
        self.plates = {v.plate for v in fleet}

    def _clock(self, t: float) -> tuple[int, int, float]:
        """Local (hour, weekday, minutes to the next hour) at offset ``t``."""
        m = (self.now_minute_of_week + t) % 10080
        return int(m // 60) % 24, int(m // 1440), 60 - (m % 60)

    def _rate(self, space: Space, hour: int, weekday: int) -> float:
        profile = PROFILES[space.kind]
        return profile.rates[hour] * space.popularity * (profile.weekend if weekday >= 5 else 1.0)

    def next_arrival(self, space: Space, t: float) -> float:
        """Exact sampling for a piecewise-constant hourly rate: spend an Exp(1) budget hour by hour."""
        need = self.rng.expovariate(1.0)
        for _ in range(24 * 14):
            hour, weekday, left = self._clock(t)
            rate = self._rate(space, hour, weekday)
            if need <= rate * left:
                return t + need / rate
            need -= rate * left
            t += left
        return t

    def start(self, space: Space) -> tuple[float, float] | None:
        """The stay in progress when the space's history starts, drawn from the steady state of that hour."""
        hour, weekday, _left = self._clock(space.keep_from)
        profile = PROFILES[space.kind]
        mean_stay = profile.median_stay * math.exp(profile.sigma**2 / 2)
        busy = self._rate(space, hour, weekday) * mean_stay
        if self.rng.random() >= busy / (1 + busy):
            return None
        begin = space.keep_from - self.rng.uniform(0, mean_stay * 1.5)
        return begin, max(begin + self.stay(space.kind, begin), space.keep_from + 1)

    def stay(self, kind: str, t: float) -> float:
        profile = PROFILES[kind]
        hour, _weekday, left = self._clock(t)
        rng = self.rng
        if hour >= 17 and rng.random() < profile.overnight:
            # stays the night: leaves the next morning between 06:00 and 09:30
            return (23 - hour) * 60 + left + rng.uniform(6 * 60, 9.5 * 60)
        if profile.office_share and 7 <= hour < 10 and rng.random() < profile.office_share:
            return max(240.0, rng.lognormvariate(math.log(540), 0.15))
        return min(max(rng.lognormvariate(math.log(profile.median_stay), profile.sigma), 8.0), 14 * 60.0)

    def pick_vehicle(self, t: float) -> Vehicle:
        """A vehicle not parked elsewhere at ``t``; regulars (low indices) park more often."""
        for _ in range(6):
            v = self.fleet[int(len(self.fleet) * self.rng.random() ** 1.5)]
            if v.free_at <= t:
                return v
        plate = _plate(self.rng)
        while plate in self.plates:
            plate = _plate(self.rng)
        self.plates.add(plate)
        v = Vehicle(plate, None)
        self.fleet.append(v)
        return v


SESSION_COLUMNS = ["plate", "vehicle_class", "facility_code", "spot_number", "started_at", "ended_at", "channel",
                   "amount_vnd", "payer_pid"]  # fmt: skip


async def _insert_sessions(store: Store, rows: list[tuple[Any, ...]]) -> None:
    """COPY on PostgreSQL; on SQLite a plain executemany, with times in SQLAlchemy's storage format (UTC)."""
    if not store.is_sqlite:
        await store.bulk_insert(sessions, rows, SESSION_COLUMNS)
        return
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    raw = [(*r[:4], r[4].strftime(fmt), r[5].strftime(fmt) if r[5] else None, *r[6:]) for r in rows]
    sql = f"INSERT INTO sessions ({', '.join(SESSION_COLUMNS)}) VALUES ({', '.join('?' * len(SESSION_COLUMNS))})"  # noqa: S608 - fixed names
    async with store.begin() as conn:
        await conn.exec_driver_sql(sql, raw)


async def seed(ctx: SeedContext) -> None:
    rng = ctx.rng("parking")
    store = ctx.stores["parking"]
    await ctx.insert(store, tariffs, TARIFFS, "parking: tariffs")
    rules: dict[str, TariffRule] = {t["code"]: tariff_rule(_Row(t)) for t in TARIFFS}

    street = pilot_points()
    if ctx.scale != "demo":
        street += city_points(rng, 151 - PILOT_POINTS)
    others = car_parks_and_basements(rng, generated=ctx.sized(demo=150, city=300))
    inventory = street + others
    await ctx.insert(store, facilities, inventory, "parking: facilities")
    spot_rows = [(f["code"], n) for f in street for n in range(1, f["capacity"] + 1)]
    await ctx.insert(store, spots, spot_rows, "parking: street spaces")
    ctx.shared["parking"] = {
        "pilot_codes": [f["code"] for f in street[:PILOT_POINTS]],
        "facility_codes": [f["code"] for f in inventory],
    }

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    if now.astimezone(HANOI_TZ).date() != ctx.today:
        now = dt.datetime.combine(ctx.today, dt.time(12), HANOI_TZ).astimezone(dt.UTC)
    street_days = 30
    other_hours = ctx.sized(demo=1, city=24)
    capacity = sum(f["capacity"] for f in inventory)
    sim = Simulator(rng, now, vehicles(ctx, rng, capacity * ctx.sized(demo=11, city=30) // 10))

    spaces: list[Space] = []
    for i, f in enumerate(inventory):
        popularity = rng.uniform(0.5, 1.3)
        if f["kind"] == "STREET_IPARKING":
            spaces += [Space(i, f["kind"], n, popularity, -street_days * 1440.0) for n in range(1, f["capacity"] + 1)]
        else:
            spaces += [Space(i, f["kind"], None, popularity, -other_hours * 60.0) for _ in range(f["capacity"])]
    heap: list[tuple[float, int, float | None]] = []
    for k, space in enumerate(spaces):
        ongoing = sim.start(space)
        if ongoing is None:
            heap.append((sim.next_arrival(space, space.keep_from), k, None))
        else:
            heap.append((ongoing[0], k, ongoing[1]))
    heapq.heapify(heap)

    async with store.begin() as conn:  # bulk load without the indexes, then build them once
        for index in sessions.indexes:
            await conn.run_sync(index.drop)
    buffer: list[tuple[Any, ...]] = []
    origin = -street_days * 1440.0
    hour_done = 0
    with ctx.task("parking: sessions (simulated hours)", street_days * 24) as advance:
        while heap:
            t, k, planned_end = heapq.heappop(heap)
            if t >= 0:
                continue  # arrivals after now have not happened yet
            space = spaces[k]
            f = inventory[space.facility]
            end = planned_end if planned_end is not None else t + sim.stay(space.kind, t)
            vehicle = sim.pick_vehicle(t)
            vehicle.free_at = end if end < 0 else math.inf
            buffer.append(_session(rng, sim, f, space, vehicle, t, end, rules[f["tariff_code"]]))
            if end < 0:
                heapq.heappush(heap, (sim.next_arrival(space, end), k, None))
            elapsed = int((max(t, origin) - origin) // 60)
            if elapsed > hour_done:
                advance(elapsed - hour_done)
                hour_done = elapsed
            if len(buffer) >= BATCH:
                await _insert_sessions(store, buffer)
                buffer.clear()
        if buffer:
            await _insert_sessions(store, buffer)
    with ctx.task("parking: session indexes", len(sessions.indexes)) as advance:
        async with store.begin() as conn:
            for index in sessions.indexes:
                await conn.run_sync(index.create)
                advance()
            if not store.is_sqlite:
                await conn.exec_driver_sql("ANALYZE sessions")


class _Row:
    """Attribute access to a dict, for ``tariff_rule``."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.__dict__.update(data)


def _session(
    rng: random.Random, sim: Simulator, f: dict[str, Any], space: Space, vehicle: Vehicle, t: float, end: float,
    rule: TariffRule,
) -> tuple[Any, ...]:  # fmt: skip
    channel = _pick(rng, *CHANNEL_CUTS[space.kind])
    if vehicle.owner is None and channel in ("APP", "CARD"):
        channel = "STAFF" if space.kind == "BASEMENT" else rng.choice(["SMS", "STAFF"])
    payer = None
    if channel in ("APP", "CARD") or (channel == "SMS" and rng.random() < SMS_PAYER_KNOWN):
        payer = vehicle.owner
    started = sim.now + dt.timedelta(seconds=int(t * 60))
    ended = sim.now + dt.timedelta(seconds=int(end * 60)) if end < 0 else None
    amount = parking_fee(rule, started, ended) if ended is not None else None
    return (vehicle.plate, "CAR", f["code"], space.spot, started, ended, channel, amount, payer)

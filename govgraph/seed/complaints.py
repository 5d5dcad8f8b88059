"""Seed the complaints store: complaints and denunciations over the past two years, with their history.

Demo: a few hundred cases at five pilot wards (Phường Cửa Nam 00082 and four other central wards). City:
cases across all 126 units. Each case is simulated through the life cycle of the laws (receipt, intake,
acceptance, verification, dialogue, extensions, decision or conclusion, publication, closing; or transfer,
refusal, withdrawal, suspension, a second complaint, a lawsuit) and cut at the present moment, so open cases,
a few overdue ones and denunciations with extensions appear naturally. Cases received before 1 Jul 2025 are
recorded in the legacy (three-tier) ward they were received in: records keep the structure of their time.

Complainants come from the population seed. Denouncers too, but their identity goes only into the sealed
table (under an opaque token) and is redacted out of the petition text kept on the case (Art. 56).
"""

from __future__ import annotations

import datetime as dt
import heapq
import random
from dataclasses import dataclass, field
from typing import Any

from govgraph.datasources.complaints import HANOI, case_events, cases, complainants, denouncer_identities
from govgraph.datasources.places import CURRENT, LEGACY, Unit, gazetteer
from govgraph.domain.calendar import add_working_days, is_working_day, next_working_day
from govgraph.domain.complaints import (
    CaseKind,
    CaseStatus,
    Complexity,
    Instance,
    can_change,
    complaint_time_limit,
    max_extensions,
    redact_petition,
    resolution_days,
)
from govgraph.domain.identity import Sex
from govgraph.seed import PILOT_WARD, Person, SeedContext
from govgraph.seed.names import STREETS, person_name

PILOT_UNITS = [PILOT_WARD, "00070", "00004", "00235", "00166"]
"""Phường Cửa Nam, Hoàn Kiếm, Ba Đình, Đống Đa, Cầu Giấy (2025-07 codes)."""

REMOTE_UNITS = {"09661", "09694", "09700", "09706"}
"""Xã Minh Châu (island commune in the Red River), Suối Hai, Ba Vì, Yên Bài: mountain and island communes of the
former Ba Vì district, where the complaints law gives longer deadlines (vùng đi lại khó khăn)."""

REFORM = dt.date(2025, 7, 1)
"""Two-tier local government from this day: before it, cases were handled in the legacy wards and districts."""

FLUSH = 5_000
SEXES: list[Sex] = ["MALE", "FEMALE"]
S = CaseStatus


# ---------------------------------------------------------------------------------------------------------
# Texts
# ---------------------------------------------------------------------------------------------------------

COMPLAINT_TOPICS: list[tuple[str, str, str]] = [
    ("Quyết định số {n}/QĐ-XPHC ngày {d} của {agency} về việc xử phạt vi phạm hành chính trong lĩnh vực "
     "trật tự xây dựng",
     "Khiếu nại quyết định xử phạt; cho rằng việc cải tạo nhà ở tại {addr} chỉ là sửa chữa bên trong, "
     "không phải xin giấy phép xây dựng, đề nghị hủy quyết định.", "QĐ-XPHC"),
    ("Quyết định số {n}/QĐ-UBND ngày {d} của {agency} về việc phê duyệt phương án bồi thường, hỗ trợ khi "
     "Nhà nước thu hồi đất thực hiện dự án cải tạo, mở rộng phố {street}",
     "Khiếu nại đơn giá bồi thường đất ở và tài sản trên đất tại {addr}; đề nghị áp dụng giá đất cụ thể "
     "tại thời điểm thu hồi và hỗ trợ tái định cư.", "QĐ-UBND"),
    ("Văn bản số {n}/UBND-ĐC ngày {d} của {agency} về việc từ chối đăng ký biến động quyền sử dụng đất",
     "Khiếu nại việc từ chối đăng ký thừa kế quyền sử dụng đất tại {addr}; cho rằng hồ sơ đã đủ giấy tờ "
     "theo quy định.", "UBND-ĐC"),
    ("Quyết định số {n}/QĐ-CCXP ngày {d} của {agency} về việc cưỡng chế buộc tháo dỡ công trình vi phạm",
     "Khiếu nại quyết định cưỡng chế tháo dỡ phần cơi nới tầng tum tại {addr}; đề nghị cho tồn tại "
     "và nộp phạt.", "QĐ-CCXP"),
    ("Quyết định số {n}/QĐ-XPHC ngày {d} của {agency} về việc xử phạt hành vi sử dụng tạm thời vỉa hè "
     "để kinh doanh không đúng quy định",
     "Khiếu nại quyết định xử phạt và tịch thu bàn ghế kinh doanh trước nhà {addr}; cho rằng phần vỉa hè "
     "đã được cấp phép sử dụng tạm thời.", "QĐ-XPHC"),
    ("Quyết định số {n}/QĐ-UBND ngày {d} của {agency} về việc thôi hưởng trợ cấp xã hội hàng tháng",
     "Khiếu nại việc cắt trợ cấp xã hội hàng tháng đối với người cao tuổi; đề nghị khôi phục chế độ "
     "từ tháng bị cắt.", "QĐ-UBND"),
    ("Hành vi của cán bộ Bộ phận Một cửa {unit} không tiếp nhận hồ sơ đăng ký hộ kinh doanh",
     "Khiếu nại hành vi hành chính: hồ sơ đăng ký hộ kinh doanh tại {addr} bị trả lại không có văn bản "
     "nêu lý do.", ""),
]  # fmt: skip

DENUNCIATION_TOPICS: list[str] = [
    "Tố cáo công chức địa chính - xây dựng {unit} có hành vi nhũng nhiễu, gây khó khăn khi giải quyết hồ sơ "
    "đăng ký biến động đất đai, gợi ý nộp thêm tiền ngoài quy định.",
    "Tố cáo Tổ trưởng tổ dân phố số {k} lập danh sách hộ cận nghèo không đúng đối tượng, đưa người thân "
    "vào danh sách để hưởng hỗ trợ.",
    "Tố cáo việc xây dựng công trình sai giấy phép tại {addr} nhưng cán bộ quản lý trật tự xây dựng "
    "không lập biên bản, không xử lý.",
    "Tố cáo cơ sở karaoke tại {addr} hoạt động quá giờ quy định, gây ồn kéo dài; cán bộ được giao quản lý "
    "địa bàn biết nhưng không xử lý.",
    "Tố cáo cán bộ Bộ phận Một cửa {unit} thu tiền ngoài quy định khi chứng thực bản sao giấy tờ.",
    "Tố cáo việc lấn chiếm vỉa hè phố {street} để trông giữ xe máy trái phép, thu tiền cao hơn giá quy định.",
    "Tố cáo Ban quản lý chợ dân sinh thu phí vệ sinh, phí trông giữ xe của tiểu thương không đúng quy định.",
    "Tố cáo việc tổ chức bán đấu giá tài sản của {unit} không công khai, có dấu hiệu thông đồng dìm giá.",
]

COMPLAINT_DECISIONS = [
    (0.58, "khiếu nại là sai; giữ nguyên quyết định, hành vi bị khiếu nại."),
    (0.27, "khiếu nại đúng một phần; sửa đổi một phần quyết định bị khiếu nại."),
    (0.15, "khiếu nại là đúng; hủy quyết định bị khiếu nại, yêu cầu khắc phục hậu quả."),
]
SECOND_DECISIONS = [
    (0.75, "công nhận quyết định giải quyết khiếu nại lần đầu."),
    (0.25, "khiếu nại đúng một phần; yêu cầu người giải quyết lần đầu sửa đổi quyết định."),
]
DENUNCIATION_CONCLUSIONS = [
    (0.50, "tố cáo sai; thông báo cho người bị tố cáo và khôi phục quyền lợi.", False),
    (0.32, "tố cáo đúng một phần; yêu cầu kiểm điểm trách nhiệm cá nhân có liên quan.", True),
    (0.18, "tố cáo đúng; kiến nghị xử lý kỷ luật và thu hồi khoản thu sai quy định.", True),
]
NOT_ACCEPTED_COMPLAINT = [
    "Không thụ lý: quá thời hiệu khiếu nại (Điều 9 Luật Khiếu nại).",
    "Không thụ lý: quyết định bị khiếu nại không liên quan trực tiếp đến quyền, lợi ích hợp pháp của người "
    "khiếu nại (Điều 11 Luật Khiếu nại).",
    "Không thụ lý: việc khiếu nại đã có quyết định giải quyết lần hai (Điều 11 Luật Khiếu nại).",
]
NOT_ACCEPTED_DENUNCIATION = [
    "Không thụ lý: nội dung tố cáo không có cơ sở để xác minh (Điều 29 Luật Tố cáo).",
    "Không thụ lý: nội dung đã được giải quyết, người tố cáo không cung cấp thông tin, tình tiết mới.",
]
TRANSFER_TARGETS = [
    "Sở Nông nghiệp và Môi trường Hà Nội",
    "Công an thành phố Hà Nội",
    "Thanh tra thành phố Hà Nội",
    "Sở Xây dựng Hà Nội",
]


def _pick(rng: random.Random, weighted: list[Any]) -> Any:
    return rng.choices(weighted, weights=[w[0] for w in weighted])[0]


def _lower_kind(name: str) -> str:
    """'Phường Cửa Nam' -> 'phường Cửa Nam' (how the name reads inside a sentence)."""
    for kind in ("Phường", "Xã", "Quận", "Huyện", "Thị xã", "Thị trấn"):
        if name.startswith(kind + " "):
            return kind.lower() + name[len(kind) :]
    return name


# ---------------------------------------------------------------------------------------------------------
# Staff
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Staff:
    staff_id: str
    name: str


@dataclass
class UnitStaff:
    reception: Staff
    inspectors: list[Staff]


def _staff(rng: random.Random, units: list[Unit], per_unit: int) -> dict[str, UnitStaff]:
    out = {}
    n = 0
    for i, u in enumerate(units, start=1):
        inspectors = []
        for _ in range(per_unit):
            n += 1
            inspectors.append(Staff(f"TTr-HN-{n:03d}", person_name(rng, rng.choice(SEXES)).full))
        out[u.code] = UnitStaff(Staff(f"TCD-HN-{i:03d}", person_name(rng, rng.choice(SEXES)).full), inspectors)
    return out


# ---------------------------------------------------------------------------------------------------------
# One case's life
# ---------------------------------------------------------------------------------------------------------


@dataclass(order=True)
class Pending:
    """A second-instance complaint waiting for its day (cases are generated in order of receipt)."""

    received_at: dt.datetime
    parent_code: str = field(compare=False)
    unit: Unit = field(compare=False)
    people: list[Person] = field(compare=False)
    topic: int = field(compare=False)
    contested_act: str = field(compare=False)
    first_agency: str = field(compare=False)
    remote: bool = field(compare=False)


class Timeline:
    """Events of one case, cut at ``now``: what has happened so far makes the case's current state."""

    def __init__(self, rng: random.Random, now: dt.datetime) -> None:
        self.rng = rng
        self.now = now
        self.events: list[tuple[dt.datetime, str, Staff, str | None]] = []
        self.last: dt.datetime | None = None
        self.cut = False

    def at_office(self, day: dt.date) -> dt.datetime:
        if not is_working_day(day):
            day = next_working_day(day)
        minutes = self.rng.randint(7 * 60 + 45, 16 * 60 + 45)
        t = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), HANOI).astimezone(dt.UTC)
        if self.last is not None and t <= self.last:
            t = self.last + dt.timedelta(minutes=self.rng.randint(5, 90))
        return t

    def add(self, when: dt.datetime, status: CaseStatus, actor: Staff, note: str | None = None) -> bool:
        """Record the event if it has happened by now; False (and nothing more) once the future is reached."""
        if self.cut or when > self.now:
            self.cut = True
            return False
        self.events.append((when, status.name, actor, note))
        self.last = when
        return True

    def on(self, day: dt.date, status: CaseStatus, actor: Staff, note: str | None = None) -> bool:
        return self.add(self.at_office(day), status, actor, note)

    @property
    def day(self) -> dt.date:
        if self.last is None:
            raise RuntimeError("no event yet")
        return self.last.astimezone(HANOI).date()


class CaseMaker:
    def __init__(self, ctx: SeedContext, rng: random.Random, staff: dict[str, UnitStaff]) -> None:
        self.ctx = ctx
        self.rng = rng
        self.staff = staff
        self.g = gazetteer()
        self.now = dt.datetime.now(dt.UTC)
        self.serial: dict[tuple[str, int], int] = {}
        self.adults: dict[str, list[Person]] = {}
        self.pending: list[Pending] = []
        self.case_rows: list[dict[str, Any]] = []
        self.event_rows: list[tuple[Any, ...]] = []
        self.complainant_rows: list[tuple[Any, ...]] = []
        self.identity_rows: list[tuple[Any, ...]] = []

    # -- helpers ------------------------------------------------------------------------------------------

    def code(self, kind: CaseKind, received: dt.datetime) -> str:
        year = received.astimezone(HANOI).year
        prefix = "KN" if kind is CaseKind.COMPLAINT else "TC"
        n = self.serial[(prefix, year)] = self.serial.get((prefix, year), 0) + 1
        return f"{prefix}-{year}-{n:06d}"

    def adults_of(self, unit: str) -> list[Person]:
        found = self.adults.get(unit)
        if found is None:
            cutoff = self.ctx.today - dt.timedelta(days=18 * 366)
            found = self.adults[unit] = [p for p in self.ctx.by_unit.get(unit, []) if p.dob <= cutoff]
        return found

    def where(self, unit: Unit, received: dt.date, district_level: bool) -> tuple[str, str, str, str]:
        """(unit code, structure, agency, place name for texts) for a case received on ``received``."""
        if received >= REFORM:
            return unit.code, CURRENT.value, f"Chủ tịch UBND {_lower_kind(unit.name)}", _lower_kind(unit.name)
        legacy_codes = self.g.legacy_codes_of(unit.code) or [unit.code]
        ward = self.g.get(self.rng.choice(legacy_codes), LEGACY) or unit
        district = self.g.get(ward.district_code, LEGACY) if ward.district_code else None
        if district_level and district is not None:
            agency = f"Chủ tịch UBND {_lower_kind(district.name)}"
        else:
            agency = f"Chủ tịch UBND {_lower_kind(ward.name)}"
        return ward.code, LEGACY.value, agency, _lower_kind(ward.name)

    def address(self, p: Person) -> str:
        return p.address or f"Số {self.rng.randint(1, 120)} {self.rng.choice(STREETS)}, Hà Nội"

    def doc_date(self, day: dt.date) -> str:
        return day.strftime("%d/%m/%Y")

    # -- generation ---------------------------------------------------------------------------------------

    def make(self, unit: Unit, received: dt.datetime) -> None:
        """One new case (and any second-instance complaints due before it)."""
        while self.pending and self.pending[0].received_at <= received:
            self.second_instance(heapq.heappop(self.pending))
        if self.rng.random() < 0.62:
            self.complaint(unit, received)
        else:
            self.denunciation(unit, received)

    def drain(self) -> None:
        while self.pending:
            self.second_instance(heapq.heappop(self.pending))

    def complaint(self, unit: Unit, received: dt.datetime) -> None:
        rng = self.rng
        people = self.adults_of(unit.code)
        if not people:
            return
        lead = rng.choice(people)
        group = [lead]
        if rng.random() < 0.12:
            group += [p for p in rng.sample(people, min(len(people), rng.randint(1, 3))) if p is not lead]
        rday = received.astimezone(HANOI).date()
        ucode, structure, agency, place = self.where(unit, rday, district_level=rng.random() < 0.65)
        topic = rng.randrange(len(COMPLAINT_TOPICS))
        act_t, subject_t, _doc = COMPLAINT_TOPICS[topic]
        contested_on = rday - dt.timedelta(days=rng.randint(100, 220) if rng.random() < 0.03 else rng.randint(3, 80))
        late_filing = complaint_time_limit(contested_on) < rday
        issuer = agency.removeprefix("Chủ tịch ")
        fill = {
            "n": rng.randint(12, 2400),
            "d": self.doc_date(contested_on - dt.timedelta(days=rng.randint(0, 6))),
            "agency": issuer,
            "street": rng.choice(STREETS),
            "addr": self.address(lead),
            "unit": place,
        }
        contested_act = act_t.format(**fill)
        remote = unit.code in REMOTE_UNITS
        self.complaint_case(
            unit, received, ucode, structure, agency, Instance.FIRST, group, topic, contested_act,
            subject_t.format(**fill), contested_on, late_filing, remote, None,
        )  # fmt: skip

    def second_instance(self, p: Pending) -> None:
        rday = p.received_at.astimezone(HANOI).date()
        if rday >= REFORM or "thành phố" in p.first_agency:
            ucode, structure, _agency, _place = self.where(p.unit, rday, district_level=False)
            agency = "Chủ tịch UBND thành phố Hà Nội"
        else:
            ucode, structure, agency, _place = self.where(p.unit, rday, district_level=True)
            if agency == p.first_agency:
                agency = "Chủ tịch UBND thành phố Hà Nội"
        subject = (
            "Khiếu nại lần hai: không đồng ý với quyết định giải quyết khiếu nại lần đầu của "
            + p.first_agency.removeprefix("Chủ tịch ")
            + "."
        )
        self.complaint_case(
            p.unit, p.received_at, ucode, structure, agency, Instance.SECOND, p.people, p.topic, p.contested_act,
            subject, None, False, p.remote, p.parent_code,
        )  # fmt: skip

    def complaint_case(
        self,
        unit: Unit,
        received: dt.datetime,
        ucode: str,
        structure: str,
        agency: str,
        instance: Instance,
        group: list[Person],
        topic: int,
        contested_act: str,
        subject: str,
        contested_on: dt.date | None,
        late_filing: bool,
        remote: bool,
        parent: str | None,
    ) -> None:
        rng = self.rng
        staff = self.staff[unit.code]
        inspector = rng.choice(staff.inspectors)
        code = self.code(CaseKind.COMPLAINT, received)
        complexity = rng.choices(list(Complexity), weights=[0.74, 0.2, 0.06])[0]
        tl = Timeline(rng, self.now)
        tl.add(received, S.RECEIVED, staff.reception)
        accepted_at: dt.datetime | None = None
        concluded_at: dt.datetime | None = None
        outcome: str | None = None
        rday = received.astimezone(HANOI).date()
        if tl.on(rday + dt.timedelta(days=rng.randint(0, 2)), S.CLASSIFYING, staff.reception):
            roll = rng.random()
            intake_days = rng.randint(11, 16) if rng.random() < 0.04 else rng.randint(2, 9)
            intake_day = rday + dt.timedelta(days=intake_days)
            if late_filing or roll < 0.05:
                reason = NOT_ACCEPTED_COMPLAINT[0] if late_filing else rng.choice(NOT_ACCEPTED_COMPLAINT[1:])
                if tl.on(intake_day, S.NOT_ACCEPTED, staff.reception, reason):
                    concluded_at, outcome = tl.last, reason
            elif roll < 0.10:
                note = f"Chuyển đơn đến {rng.choice(TRANSFER_TARGETS)} theo thẩm quyền."
                if tl.on(intake_day, S.TRANSFERRED, staff.reception, note):
                    concluded_at, outcome = tl.last, note
            elif roll < 0.15:
                note = (
                    "Hướng dẫn công dân khởi kiện tại Tòa án nhân dân khu vực hoặc gửi đơn đến cơ quan có thẩm quyền."
                )
                if tl.on(intake_day, S.GUIDED, staff.reception, note):
                    concluded_at, outcome = tl.last, note
            elif roll < 0.17:
                if tl.on(intake_day, S.WITHDRAWN, staff.reception, "Người khiếu nại rút đơn trước khi thụ lý."):
                    concluded_at, outcome = tl.last, "Người khiếu nại rút đơn."
            elif tl.on(intake_day, S.ACCEPTED, staff.reception, f"Thông báo thụ lý số {rng.randint(5, 900)}/TB-UBND"):
                accepted_at = tl.last
                concluded_at, outcome = self.resolve_complaint(
                    tl, staff, inspector, instance, complexity, remote, unit, group, topic, contested_act, agency, code
                )
        row = self.case_row(code, CaseKind.COMPLAINT, instance, complexity, remote, received, accepted_at, concluded_at,
                            ucode, structure, agency, inspector if accepted_at else None, subject, contested_act,
                            contested_on, outcome, parent, tl, None)  # fmt: skip
        self.case_rows.append(row)
        for i, p in enumerate(group, start=1):
            self.complainant_rows.append((code, i, p.pid, p.name.full, self.address(p), p.phone))

    def resolve_complaint(
        self,
        tl: Timeline,
        staff: UnitStaff,
        inspector: Staff,
        instance: Instance,
        complexity: Complexity,
        remote: bool,
        unit: Unit,
        group: list[Person],
        topic: int,
        contested_act: str,
        agency: str,
        code: str,
    ) -> tuple[dt.datetime | None, str | None]:
        rng = self.rng
        acc = tl.day
        allowed = resolution_days(CaseKind.COMPLAINT, instance, complexity, remote, 0)
        duration = self.duration(rng, allowed, acc)
        if not tl.on(
            acc + dt.timedelta(days=rng.randint(1, 5)), S.VERIFYING, inspector, "Quyết định xác minh nội dung khiếu nại"
        ):
            return None, None
        if rng.random() < 0.04:
            when = acc + dt.timedelta(days=rng.randint(6, max(7, duration - 1)))
            if tl.on(when, S.WITHDRAWN, inspector, "Người khiếu nại có đơn rút khiếu nại."):
                return tl.last, "Người khiếu nại rút khiếu nại; đình chỉ giải quyết."
            return None, None
        if rng.random() < 0.7 or instance is Instance.SECOND:
            when = acc + dt.timedelta(days=max((tl.day - acc).days + 1, int(duration * rng.uniform(0.55, 0.85))))
            if not tl.on(when, S.DIALOGUE, inspector, "Biên bản đối thoại với người khiếu nại"):
                return None, None
        decided = acc + dt.timedelta(days=max((tl.day - acc).days + 1, duration))
        n = rng.randint(10, 3000)
        if instance is Instance.FIRST:
            verdict = _pick(rng, COMPLAINT_DECISIONS)[1]
            outcome = f"Quyết định giải quyết khiếu nại lần đầu số {n}/QĐ-UBND: {verdict}"
        else:
            verdict = _pick(rng, SECOND_DECISIONS)[1]
            outcome = f"Quyết định giải quyết khiếu nại lần hai số {n}/QĐ-UBND: {verdict}"
        if not tl.on(decided, S.DECIDED, inspector, f"Quyết định số {n}/QĐ-UBND"):
            return None, None
        concluded = tl.last
        upheld = "giữ nguyên" in outcome or "công nhận" in outcome
        if instance is Instance.FIRST and upheld and rng.random() < 0.2:
            # The complainant complains again to the superior within 30 days (45 in remote areas).
            again = tl.at_office(tl.day + dt.timedelta(days=rng.randint(8, 28)))
            if tl.add(again, S.SECOND_INSTANCE, staff.reception, "Người khiếu nại khiếu nại lần hai"):
                heapq.heappush(self.pending, Pending(again, code, unit, group, topic, contested_act, agency, remote))
            return concluded, outcome
        if upheld and rng.random() < 0.05:
            tl.on(tl.day + dt.timedelta(days=rng.randint(10, 40)), S.LITIGATION, inspector,
                  "Người khiếu nại khởi kiện vụ án hành chính tại Tòa án")  # fmt: skip
            return concluded, outcome
        if rng.random() < 0.6:
            tl.on(
                tl.day + dt.timedelta(days=rng.randint(3, 10)),
                S.PUBLISHED,
                inspector,
                "Công khai trên Cổng thông tin điện tử",
            )
        tl.on(
            tl.day + dt.timedelta(days=rng.randint(10, 40)), S.CLOSED, inspector, "Lập, lưu hồ sơ giải quyết khiếu nại"
        )
        return concluded, outcome

    def duration(self, rng: random.Random, allowed: int, accepted: dt.date) -> int:
        """Days from acceptance to the decision: mostly within the deadline; recent cases sometimes stall."""
        recent = (self.ctx.today - accepted).days < 120
        if recent and rng.random() < 0.2:
            return int(allowed * rng.uniform(1.3, 3.0))
        if rng.random() < 0.06:
            return int(allowed * rng.uniform(1.02, 1.3))
        return int(allowed * rng.uniform(0.45, 0.97))

    def denunciation(self, unit: Unit, received: dt.datetime) -> None:
        rng = self.rng
        people = self.adults_of(unit.code)
        if not people:
            return
        denouncer = rng.choice(people)
        staff = self.staff[unit.code]
        inspector = rng.choice(staff.inspectors)
        rday = received.astimezone(HANOI).date()
        ucode, structure, agency, place = self.where(unit, rday, district_level=rng.random() < 0.4)
        code = self.code(CaseKind.DENUNCIATION, received)
        addr = self.address(denouncer)
        allegation = rng.choice(DENUNCIATION_TOPICS).format(
            unit=place, k=rng.randint(1, 40), addr=f"số {rng.randint(1, 150)} phố {rng.choice(STREETS)}",
            street=rng.choice(STREETS),
        )  # fmt: skip
        petition = (
            f"Tôi là {denouncer.name.full}, số định danh cá nhân {denouncer.pid}, trú tại {addr}, "
            f"điện thoại {denouncer.phone or 'không có'}. {allegation}"
        )
        subject = redact_petition(petition, [denouncer.name.full, denouncer.pid, addr, denouncer.phone])
        token = f"{rng.getrandbits(128):032x}"
        self.identity_rows.append((token, denouncer.pid, denouncer.name.full, addr, denouncer.phone, received))
        complexity = rng.choices(list(Complexity), weights=[0.55, 0.3, 0.15])[0]
        tl = Timeline(rng, self.now)
        tl.add(received, S.RECEIVED, staff.reception)
        accepted_at: dt.datetime | None = None
        concluded_at: dt.datetime | None = None
        outcome: str | None = None
        if tl.on(rday + dt.timedelta(days=rng.randint(0, 2)), S.CLASSIFYING, staff.reception):
            wd = rng.randint(8, 12) if rng.random() < 0.04 else rng.randint(2, 7)
            intake_day = add_working_days(rday, wd)
            roll = rng.random()
            if roll < 0.08:
                reason = rng.choice(NOT_ACCEPTED_DENUNCIATION)
                if tl.on(intake_day, S.NOT_ACCEPTED, staff.reception, reason):
                    concluded_at, outcome = tl.last, reason
            elif roll < 0.16:
                note = (
                    f"Chuyển đơn tố cáo đến {rng.choice(TRANSFER_TARGETS)} theo thẩm quyền (không quá 5 ngày làm việc)."
                )
                if tl.on(add_working_days(rday, rng.randint(2, 5)), S.TRANSFERRED, staff.reception, note):
                    concluded_at, outcome = tl.last, note
            elif tl.on(
                intake_day, S.ACCEPTED, staff.reception, f"Quyết định thụ lý tố cáo số {rng.randint(3, 600)}/QĐ-UBND"
            ):
                accepted_at = tl.last
                concluded_at, outcome = self.resolve_denunciation(tl, inspector, complexity)
        extensions = sum(1 for e in tl.events if e[1] == S.EXTENDED.name)
        row = self.case_row(code, CaseKind.DENUNCIATION, None, complexity, unit.code in REMOTE_UNITS, received,
                            accepted_at, concluded_at, ucode, structure, agency, inspector if accepted_at else None,
                            subject, None, None, outcome, None, tl, token, extensions)  # fmt: skip
        self.case_rows.append(row)

    def resolve_denunciation(
        self, tl: Timeline, inspector: Staff, complexity: Complexity
    ) -> tuple[dt.datetime | None, str | None]:
        rng = self.rng
        acc = tl.day
        allowed_ext = max_extensions(complexity)
        planned_ext = 0 if allowed_ext == 0 else (rng.choice([0, 1, 1]) if allowed_ext == 1 else rng.choice([1, 2, 2]))
        duration = self.duration(rng, resolution_days(CaseKind.DENUNCIATION, None, complexity, False, planned_ext), acc)
        if not tl.on(
            acc + dt.timedelta(days=rng.randint(1, 5)), S.VERIFYING, inspector, "Quyết định thành lập Tổ xác minh"
        ):
            return None, None
        if rng.random() < 0.03:
            if tl.on(acc + dt.timedelta(days=rng.randint(6, 25)), S.WITHDRAWN, inspector, "Người tố cáo rút tố cáo"):
                return tl.last, "Người tố cáo rút toàn bộ nội dung tố cáo; đình chỉ việc giải quyết."
            return None, None
        if rng.random() < 0.02:
            pause = acc + dt.timedelta(days=rng.randint(8, 20))
            if not tl.on(pause, S.SUSPENDED, inspector, "Tạm đình chỉ: chờ kết quả giám định"):
                return None, None
            if not tl.on(pause + dt.timedelta(days=rng.randint(15, 40)), S.VERIFYING, inspector, "Tiếp tục giải quyết"):
                return None, None
        for i in range(planned_ext):
            # An extension is decided before the running deadline (30 / 60 days) expires.
            when = acc + dt.timedelta(days=30 * (i + 1) - rng.randint(1, 5))
            if when <= tl.day:
                when = tl.day + dt.timedelta(days=1)
            if not tl.on(when, S.EXTENDED, inspector, f"Quyết định gia hạn giải quyết tố cáo lần {i + 1}"):
                return None, None
        n = rng.randint(5, 900)
        verdict, violation = _pick(rng, DENUNCIATION_CONCLUSIONS)[1:]
        outcome = f"Kết luận nội dung tố cáo số {n}/KL-UBND: {verdict}"
        if not tl.on(
            acc + dt.timedelta(days=max((tl.day - acc).days + 1, duration)),
            S.CONCLUDED,
            inspector,
            f"Kết luận số {n}/KL-UBND",
        ):
            return None, None
        concluded = tl.last
        if violation and not tl.on(tl.day + dt.timedelta(days=rng.randint(2, 7)), S.HANDLING_CONCLUSION, inspector,
                                   "Quyết định xử lý kết luận nội dung tố cáo"):  # fmt: skip
            return concluded, outcome
        if rng.random() < 0.7 and not tl.on(tl.day + dt.timedelta(days=rng.randint(3, 10)), S.PUBLISHED, inspector,
                                            "Công khai kết luận nội dung tố cáo"):  # fmt: skip
            return concluded, outcome
        tl.on(tl.day + dt.timedelta(days=rng.randint(10, 40)), S.CLOSED, inspector, "Lập, lưu hồ sơ giải quyết tố cáo")
        return concluded, outcome

    def case_row(
        self,
        code: str,
        kind: CaseKind,
        instance: Instance | None,
        complexity: Complexity,
        remote: bool,
        received: dt.datetime,
        accepted_at: dt.datetime | None,
        concluded_at: dt.datetime | None,
        ucode: str,
        structure: str,
        agency: str,
        inspector: Staff | None,
        subject: str,
        contested_act: str | None,
        contested_on: dt.date | None,
        outcome: str | None,
        parent: str | None,
        tl: Timeline,
        token: str | None,
        extensions: int = 0,
    ) -> dict[str, Any]:
        status = S.RECEIVED
        for at, st, actor, note in tl.events:
            new = S(st)
            if new is not S.RECEIVED and not can_change(kind, status, new):
                raise AssertionError(f"seed produced {status.name} -> {new.name} for {code}")
            status = new
            self.event_rows.append((code, at, st, actor.staff_id, actor.name, note))
        return {
            "code": code, "kind": kind.name, "instance": instance.name if instance else None, "status": status.name,
            "complexity": complexity.name, "remote_area": remote, "received_at": received,
            "accepted_at": accepted_at, "extensions": extensions, "concluded_at": concluded_at,
            "unit_code": ucode, "unit_structure": structure, "agency_name": agency,
            "inspector_id": inspector.staff_id if inspector else None,
            "inspector_name": inspector.name if inspector else None, "subject": subject,
            "contested_act": contested_act, "contested_on": contested_on, "outcome": outcome,
            "first_instance_code": parent, "denouncer_token": token,
        }  # fmt: skip


def _received_times(rng: random.Random, today: dt.date, n: int) -> list[dt.datetime]:
    """Receipt times over the past two years: office hours, mostly on working days, sorted."""
    start = today - dt.timedelta(days=730)
    out: list[dt.datetime] = []
    while len(out) < n:
        day = start + dt.timedelta(days=rng.randrange(730))
        if not is_working_day(day) and rng.random() < 0.9:
            continue  # petitions arrive online at weekends too, but rarely
        minutes = rng.randint(7 * 60 + 30, 17 * 60)
        out.append(dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), HANOI).astimezone(dt.UTC))
    return sorted(out)


async def seed(ctx: SeedContext) -> None:
    rng = ctx.rng("complaints")
    g = gazetteer()
    if ctx.scale == "demo":
        units = [u for code in PILOT_UNITS if (u := g.get(code)) is not None]
        weights = [3.0 if u.code == PILOT_WARD else 1.0 for u in units]
        per_unit = 3
    else:
        units = list(g.current())
        weights = [max(1.0, len(ctx.by_unit.get(u.code, []))) for u in units]
        per_unit = 2
    staff = _staff(rng, units, per_unit)
    total = ctx.sized(demo=400, city=50_000)
    times = _received_times(rng, ctx.today, total)
    picks: list[Unit] = rng.choices(units, weights=weights, k=total)
    maker = CaseMaker(ctx, rng, staff)
    store = ctx.stores["complaints"]

    async def flush() -> None:
        rows = maker.case_rows
        await store.bulk_insert(cases, rows)
        await store.bulk_insert(complainants, maker.complainant_rows,
                                ["case_code", "position", "pid", "full_name", "address", "phone"])  # fmt: skip
        await store.bulk_insert(case_events, maker.event_rows,
                                ["case_code", "at", "status", "actor_id", "actor_name", "note"])  # fmt: skip
        await store.bulk_insert(denouncer_identities, maker.identity_rows,
                                ["token", "pid", "full_name", "address", "phone", "sealed_at"])  # fmt: skip
        maker.case_rows, maker.complainant_rows, maker.event_rows, maker.identity_rows = [], [], [], []

    with ctx.task("complaints: cases", total) as advance:
        for unit, received in zip(picks, times, strict=True):
            maker.make(unit, received)
            advance(1)
            if len(maker.case_rows) >= FLUSH:
                await flush()
        maker.drain()
        await flush()
    ctx.shared["complaints"] = {
        "pilot_units": [u.code for u in units] if ctx.scale == "demo" else PILOT_UNITS,
        "inspectors": {code: [s.staff_id for s in st.inspectors] for code, st in staff.items()},
    }

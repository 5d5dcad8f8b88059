"""Public-service (dịch vụ công) rules: dossier codes, statuses, deadlines, overdue, fees, paid look-ups.

DOMAIN.md §4. Pure functions, no I/O. Deadlines are counted in working days with the shared calendar
(``govgraph.domain.calendar``); a request for additional documents or for a financial obligation stops the
clock for the days it lasts. Overdue (trễ hạn) is derived, never a status.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from govgraph.domain.calendar import add_days, add_working_days, is_working_day, next_working_day

HANOI = dt.timezone(dt.timedelta(hours=7), "ICT")
SAME_DAY_CUTOFF = dt.time(15, 0)
"""Dossiers of same-day procedures accepted after 15:00 are due the next working day."""
OFFICE_CLOSE = dt.time(17, 0)
"""A deadline day ends when the one-stop desk closes."""


class Status(StrEnum):
    """The 10 dossier statuses synchronised with the National Public Service Portal (DVCQG)."""

    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    REFUSED = "REFUSED"
    PROCESSING = "PROCESSING"
    ADDITIONAL_DOCUMENTS_REQUESTED = "ADDITIONAL_DOCUMENTS_REQUESTED"
    PAYMENT_REQUESTED = "PAYMENT_REQUESTED"
    WITHDRAWN = "WITHDRAWN"
    STOPPED = "STOPPED"
    RESOLVED = "RESOLVED"
    RESULT_RETURNED = "RESULT_RETURNED"


NATIONAL_CODE: dict[Status, int] = {s: i for i, s in enumerate(Status, start=1)}
"""DVCQG sync code (TRANGTHAIHOSO) 1-10."""

VIETNAMESE: dict[Status, str] = {
    Status.SUBMITTED: "Mới đăng ký",
    Status.ACCEPTED: "Được tiếp nhận",
    Status.REFUSED: "Không được tiếp nhận",
    Status.PROCESSING: "Đang xử lý",
    Status.ADDITIONAL_DOCUMENTS_REQUESTED: "Yêu cầu bổ sung giấy tờ",
    Status.PAYMENT_REQUESTED: "Yêu cầu thực hiện nghĩa vụ tài chính",
    Status.WITHDRAWN: "Công dân yêu cầu rút hồ sơ",
    Status.STOPPED: "Dừng xử lý",
    Status.RESOLVED: "Đã xử lý xong",
    Status.RESULT_RETURNED: "Đã trả kết quả",
}

COMPLETED: frozenset[Status] = frozenset({Status.RESOLVED, Status.RESULT_RETURNED})
"""The agency has done its part: the deadline is met or missed for good."""
CLOCK_RUNNING: frozenset[Status] = frozenset({Status.ACCEPTED, Status.PROCESSING})
"""Statuses in which the legal time runs against the agency. The clock is stopped while the applicant owes
documents or money (5, 6), and a dossier refused, withdrawn or stopped (3, 7, 8) has no deadline left."""


class PauseReason(StrEnum):
    ADDITIONAL_DOCUMENTS = "ADDITIONAL_DOCUMENTS"
    FINANCIAL_OBLIGATION = "FINANCIAL_OBLIGATION"


class TimeUnit(StrEnum):
    WORKING_DAY = "WORKING_DAY"
    CALENDAR_DAY = "CALENDAR_DAY"


# ---------------------------------------------------------------------------------------------------------
# Dossier codes: <agency electronic code>-<yymmdd>-<4-digit sequence>
# ---------------------------------------------------------------------------------------------------------

AGENCY_CODE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.H26$")
"""Electronic agency code (mã định danh điện tử, Decision 20/2020/QĐ-TTg): AAA.BB.CC.H26, H26 = Hà Nội."""
DOSSIER_CODE = re.compile(r"^(?P<agency>\d{3}\.\d{2}\.\d{2}\.H26)-(?P<day>\d{6})-(?P<seq>\d{4})$")


class InvalidDossierCode(ValueError):
    """Not a dossier code of the form 000.00.20.H26-250702-0001."""


@dataclass(frozen=True)
class DossierCode:
    agency: str
    day: dt.date
    seq: int

    def __str__(self) -> str:
        return dossier_code(self.agency, self.day, self.seq)


def dossier_code(agency_code: str, day: dt.date, seq: int) -> str:
    """``000.00.20.H26-250702-0001``: the agency, the local date of receipt and that day's sequence."""
    if not AGENCY_CODE.match(agency_code):
        raise InvalidDossierCode(f"{agency_code!r} is not an electronic agency code like 000.00.20.H26")
    if not 1 <= seq <= 9999:
        raise InvalidDossierCode(f"sequence {seq} is outside 1-9999")
    return f"{agency_code}-{day:%y%m%d}-{seq:04d}"


def parse_dossier_code(code: str) -> DossierCode:
    m = DOSSIER_CODE.match(code.strip())
    if not m:
        raise InvalidDossierCode(f"{code!r} is not a dossier code like 000.00.20.H26-250702-0001")
    try:
        day = dt.datetime.strptime(m["day"], "%y%m%d").date()
    except ValueError as exc:
        raise InvalidDossierCode(f"{code!r} has no valid date") from exc
    seq = int(m["seq"])
    if seq == 0:
        raise InvalidDossierCode(f"{code!r}: sequence numbers start at 0001")
    return DossierCode(m["agency"], day, seq)


# ---------------------------------------------------------------------------------------------------------
# Deadlines
# ---------------------------------------------------------------------------------------------------------


def to_local(value: dt.datetime) -> dt.datetime:
    """Hanoi wall time; naive values are UTC (how SQLite returns them)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(HANOI)


def pause_days(
    spans: Iterable[tuple[dt.datetime, dt.datetime | None]], today: dt.date
) -> list[tuple[dt.date, dt.date]]:
    """Paused (from, to) times as inclusive local date ranges; an open pause runs until ``today``.

    The day of the request and the day the applicant answers are both left out of the count: the agency
    cannot work on the dossier on either day in full.
    """
    out = []
    for start, end in spans:
        first = to_local(start).date()
        last = to_local(end).date() if end is not None else today
        out.append((first, max(first, last)))
    return out


def due_at(
    accepted_at: dt.datetime,
    legal_days: int,
    same_day: bool = False,
    unit: TimeUnit = TimeUnit.WORKING_DAY,
    paused: Sequence[tuple[dt.date, dt.date]] = (),
    resumed_at: dt.datetime | None = None,
) -> dt.datetime:
    """The promised return time (ngày hẹn trả) for a dossier accepted at ``accepted_at``.

    - Same-day procedures: due at close of the day of acceptance; accepted after 15:00 (or on a day off) →
      the next working day. A pause restarts the same-day clock at ``resumed_at``.
    - N working days: N working days after the day of acceptance (that day not counted), skipping paused
      days. Calendar-day procedures count every day, plus the paused days.
    The result is 17:00 Hanoi time on the due day.
    """
    local = to_local(accepted_at)
    if same_day or legal_days == 0:
        anchor = to_local(resumed_at) if resumed_at is not None and resumed_at > accepted_at else local
        day = anchor.date()
        if not is_working_day(day) or anchor.time() >= SAME_DAY_CUTOFF:
            day = next_working_day(day)
    elif unit == TimeUnit.WORKING_DAY:
        day = add_working_days(local.date(), legal_days, paused)
    else:
        extra = sum((b - a).days + 1 for a, b in paused)
        day = add_days(local.date(), legal_days + extra)
        while not is_working_day(day):
            day = next_working_day(day)
    return dt.datetime.combine(day, OFFICE_CLOSE, tzinfo=HANOI)


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def is_late(due: dt.datetime | None, completed: dt.datetime | None) -> bool:
    """Resolved after the promised time (đã xử lý trễ hạn)."""
    return due is not None and completed is not None and _aware(completed) > _aware(due)


def is_overdue(status: Status, due: dt.datetime | None, completed: dt.datetime | None, now: dt.datetime) -> bool:
    """Trễ hạn: past the due time while the clock still runs, or resolved after it."""
    if due is None:
        return False
    if status in CLOCK_RUNNING and _aware(now) > _aware(due):
        return True
    return is_late(due, completed)


# ---------------------------------------------------------------------------------------------------------
# Fees
# ---------------------------------------------------------------------------------------------------------


class Channel(StrEnum):
    IN_PERSON = "IN_PERSON"
    ONLINE = "ONLINE"
    POST = "POST"


@dataclass(frozen=True)
class FeeRule:
    channel: Channel
    amount: int
    valid_from: dt.date
    valid_to: dt.date | None
    fee_type: str = "LE_PHI"
    """LE_PHI (lệ phí) or PHI (phí): a procedure may owe one of each (e.g. company registration online:
    no registration charge, but the publication fee)."""
    id: int | None = None


def applicable_fee(rules: Sequence[FeeRule], channel: Channel, on: dt.date) -> FeeRule | None:
    """The rule in force on ``on`` for ``channel``. Post pays the in-person fee unless a post fee exists."""
    for wanted in (channel, Channel.IN_PERSON) if channel == Channel.POST else (channel,):
        for r in rules:
            if r.channel == wanted and r.valid_from <= on and (r.valid_to is None or on <= r.valid_to):
                return r
    return None


def fees_owed(rules: Sequence[FeeRule], channel: Channel, on: dt.date) -> list[FeeRule]:
    """The rules that apply on ``on`` for ``channel``: one per fee type (lệ phí, phí), by ``applicable_fee``."""
    out = []
    for fee_type in sorted({r.fee_type for r in rules}):
        found = applicable_fee([r for r in rules if r.fee_type == fee_type], channel, on)
        if found is not None:
            out.append(found)
    return out


def certified_copy_fee(pages: int) -> int:
    """Chứng thực bản sao từ bản chính (Circular 226/2016/TT-BTC): 2,000 VND for each of the first two
    pages, 1,000 VND for each page from the third, at most 200,000 VND per copy."""
    if pages < 1:
        raise ValueError("a copy has at least one page")
    return min(2_000 * min(pages, 2) + 1_000 * max(pages - 2, 0), 200_000)


class PaymentStatus(StrEnum):
    """Payment status of the DVCQG payment platform (trạng thái thanh toán)."""

    UNPAID = "UNPAID"
    PENDING = "PENDING"
    PAID = "PAID"
    REFUNDED = "REFUNDED"
    CANCELLED = "CANCELLED"


def lookup_result_released(amount: int, payment: PaymentStatus) -> bool:
    """A paid look-up's result is released only once paid (or when nothing is owed, and not refunded)."""
    if payment == PaymentStatus.PAID:
        return True
    return amount == 0 and payment not in (PaymentStatus.REFUNDED, PaymentStatus.CANCELLED)


class LookupKind(StrEnum):
    NOTARISATION_RECORD = "NOTARISATION_RECORD"
    ID_CARD = "ID_CARD"
    SIM_REGISTRATION = "SIM_REGISTRATION"


LOOKUP_PROCEDURE: dict[LookupKind, str] = {
    LookupKind.NOTARISATION_RECORD: "KT-01",
    LookupKind.ID_CARD: "KT-02",
    LookupKind.SIM_REGISTRATION: "KT-03",
}
"""The catalogue procedure (and so the fee-table rows) of each kind of paid look-up."""
LOOKUP_CHANNEL = Channel.ONLINE
"""Paid look-ups are requested on the portal: their fees are the online rows of the fee table."""


# ---------------------------------------------------------------------------------------------------------
# The one-stop flow as a state machine (DOMAIN.md §4.2, §4.3)
# ---------------------------------------------------------------------------------------------------------


class Action(StrEnum):
    """What an officer or applicant does to a dossier; each is one mutation (``dossier<Action>``)."""

    ACCEPT = "ACCEPT"
    REFUSE = "REFUSE"
    PROCESS = "PROCESS"
    REQUEST_DOCUMENTS = "REQUEST_DOCUMENTS"
    PROVIDE_DOCUMENTS = "PROVIDE_DOCUMENTS"
    REQUEST_PAYMENT = "REQUEST_PAYMENT"
    RECORD_PAYMENT = "RECORD_PAYMENT"
    COMPLETE = "COMPLETE"
    RETURN_RESULT = "RETURN_RESULT"
    WITHDRAW = "WITHDRAW"
    STOP = "STOP"


_OPEN = frozenset({Status.ACCEPTED, Status.PROCESSING, Status.ADDITIONAL_DOCUMENTS_REQUESTED, Status.PAYMENT_REQUESTED})

TRANSITIONS: dict[Action, tuple[frozenset[Status], Status]] = {
    Action.ACCEPT: (frozenset({Status.SUBMITTED}), Status.ACCEPTED),
    Action.REFUSE: (frozenset({Status.SUBMITTED}), Status.REFUSED),
    Action.PROCESS: (frozenset({Status.ACCEPTED}), Status.PROCESSING),
    Action.REQUEST_DOCUMENTS: (CLOCK_RUNNING, Status.ADDITIONAL_DOCUMENTS_REQUESTED),
    Action.PROVIDE_DOCUMENTS: (frozenset({Status.ADDITIONAL_DOCUMENTS_REQUESTED}), Status.PROCESSING),
    Action.REQUEST_PAYMENT: (CLOCK_RUNNING, Status.PAYMENT_REQUESTED),
    Action.RECORD_PAYMENT: (frozenset({Status.PAYMENT_REQUESTED}), Status.PROCESSING),
    Action.COMPLETE: (CLOCK_RUNNING, Status.RESOLVED),
    Action.RETURN_RESULT: (frozenset({Status.RESOLVED}), Status.RESULT_RETURNED),
    Action.WITHDRAW: (_OPEN | {Status.SUBMITTED}, Status.WITHDRAWN),
    Action.STOP: (_OPEN, Status.STOPPED),
}
"""Allowed source statuses and the target of each action. Refused, withdrawn, stopped and returned dossiers
(3, 7, 8, 10) are final. A pause (5, 6) ends only by its answer (documents, payment), a withdrawal or a stop."""

FINAL: frozenset[Status] = frozenset({Status.REFUSED, Status.WITHDRAWN, Status.STOPPED, Status.RESULT_RETURNED})
APOLOGY_ALLOWED: frozenset[Status] = _OPEN | {Status.RESOLVED}
"""A written apology may be issued while the dossier is open, or once resolved late before the return."""

PAUSE_OF: dict[Action, PauseReason] = {
    Action.REQUEST_DOCUMENTS: PauseReason.ADDITIONAL_DOCUMENTS,
    Action.REQUEST_PAYMENT: PauseReason.FINANCIAL_OBLIGATION,
}
"""Actions that stop the clock; the pause closes on the answer, a withdrawal or a stop."""


class InvalidTransition(ValueError):
    """The action is not allowed in the dossier's current status."""

    def __init__(self, action: Action, current: Status) -> None:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[action][0]))
        super().__init__(
            f"Cannot {action.value.lower().replace('_', ' ')} a dossier in status {current.value} "
            f"({NATIONAL_CODE[current]}, {VIETNAMESE[current]}); allowed from: {allowed}"
        )
        self.action = action
        self.current = current


def transition(action: Action, current: Status) -> Status:
    """The status after ``action``, or InvalidTransition."""
    sources, target = TRANSITIONS[action]
    if current not in sources:
        raise InvalidTransition(action, current)
    return target


def recompute_due(
    accepted_at: dt.datetime,
    legal_days: int,
    same_day: bool,
    unit: TimeUnit,
    closed_pauses: Sequence[tuple[dt.datetime, dt.datetime]],
) -> dt.datetime:
    """The due time once pauses have closed: the paused days do not count (``pause_days``), and a same-day
    procedure restarts at the last answer."""
    resumed = max((end for _, end in closed_pauses), default=None)
    today = to_local(resumed).date() if resumed is not None else to_local(accepted_at).date()
    spans = pause_days(closed_pauses, today)
    return due_at(accepted_at, legal_days, same_day, unit, spans, resumed)


class ApologyNeeded(ValueError):
    """Resolving or returning after the due time needs the written apology with a new date still ahead."""


def check_late_completion(
    due: dt.datetime | None, apology_at: dt.datetime | None, new_due: dt.datetime | None, now: dt.datetime
) -> None:
    """Phiếu xin lỗi và hẹn lại ngày trả kết quả: a dossier resolved after its due time must have an apology
    issued, and must meet the new date it promised (otherwise a new apology is due first)."""
    if due is None or not is_late(due, now):
        return
    if apology_at is None:
        raise ApologyNeeded(
            f"The dossier is past its due time ({to_local(due):%Y-%m-%d %H:%M}): issue the written apology with "
            "a new return date (dossierApologize) first"
        )
    if new_due is not None and _aware(now) > _aware(new_due):
        raise ApologyNeeded(
            f"The new return date promised in the apology ({to_local(new_due):%Y-%m-%d %H:%M}) has passed too: "
            "issue a new apology first"
        )


def check_new_due(new_due: dt.datetime, now: dt.datetime) -> dt.datetime:
    """The new return date of an apology: later than now, on a working day; due at office close that day."""
    local = to_local(new_due)
    if not is_working_day(local.date()):
        raise ValueError(f"{local.date()} is not a working day")
    promised = dt.datetime.combine(local.date(), OFFICE_CLOSE, tzinfo=HANOI)
    if promised <= _aware(now):
        raise ValueError("The new return date must be in the future")
    return promised


# ---------------------------------------------------------------------------------------------------------
# Appointments
# ---------------------------------------------------------------------------------------------------------

CHECK_IN_EARLY = dt.timedelta(minutes=10)
CHECK_IN_LATE = dt.timedelta(minutes=10)
"""Check-in is accepted from 10 minutes before to 10 minutes after the slot starts."""


def slot_start(day: dt.date, start_hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(start_hour), tzinfo=HANOI)


def check_in_window(starts: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    return starts - CHECK_IN_EARLY, starts + CHECK_IN_LATE


def can_check_in(starts: dt.datetime, now: dt.datetime) -> bool:
    first, last = check_in_window(starts)
    return first <= _aware(now) <= last


BOOKING_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""Booking codes: LH + 8 characters without the look-alikes O/0 and I/1."""

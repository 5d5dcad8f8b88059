"""Complaints (khiếu nại) and denunciations (tố cáo): statuses, deadlines, overdue, redaction (DOMAIN.md §6).

Pure functions, no I/O. Deadlines are COMPUTED from the dates a case records (receipt, acceptance, extensions),
never stored, so a change of rule or of the holiday calendar changes every deadline consistently.

Rules encoded here
- Law on Complaints 02/2011/QH13: time limit to complain 90 days (Art. 9); acceptance (thụ lý) within 10 days of
  receipt (Art. 27); first-instance resolution 30 days from acceptance, complex 45, remote areas 45 / 60
  (Art. 28); second complaint within 30 days (remote 45) of the first-instance decision (Art. 33); second-instance
  resolution 45 days, complex 60, remote 60 / 70 (Art. 37).
- Law on Denunciations 25/2018/QH14: intake (xử lý ban đầu) within 7 WORKING days of receipt (Art. 24);
  resolution 30 days from acceptance, extended by at most 30 days once for a complex case and twice for an
  especially complex one, so 60 or 90 days at most (Art. 30).
- Periods counted in days are calendar days; when the last day is a weekend day or a holiday the period ends
  at the end of the next working day (Civil Code 91/2015/QH13 Art. 148(5), which applies to periods set by
  other laws unless they say otherwise). Working-day periods use the calendar in ``govgraph.domain.calendar``.
- Art. 56 of the Law on Denunciations: the denouncer's name, address, personal ID, phone and handwriting are
  removed (lược bỏ) from the petition before it is handed to whoever verifies it: :func:`redact_petition`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from functools import partial

from govgraph.domain.calendar import add_days, add_working_days, is_working_day, next_working_day


class CaseKind(Enum):
    COMPLAINT = "COMPLAINT"
    """Khiếu nại: a request to review an administrative decision or act affecting the complainant's own rights."""
    DENUNCIATION = "DENUNCIATION"
    """Tố cáo: a report of a legal violation by any agency or person; the denouncer's identity is secret."""


class Instance(Enum):
    FIRST = "FIRST"
    """Giải quyết khiếu nại lần đầu (first instance)."""
    SECOND = "SECOND"
    """Giải quyết khiếu nại lần hai (second instance)."""


class Complexity(Enum):
    NORMAL = "NORMAL"
    COMPLEX = "COMPLEX"
    """Vụ việc phức tạp."""
    ESPECIALLY_COMPLEX = "ESPECIALLY_COMPLEX"
    """Vụ việc đặc biệt phức tạp (denunciations: two extensions allowed)."""


class Phase(Enum):
    """Which deadline, if any, is running for a case in a given status."""

    INTAKE = "INTAKE"
    """Waiting to be accepted: the acceptance (complaints) or intake (denunciations) deadline runs."""
    RESOLUTION = "RESOLUTION"
    """Accepted and not yet decided: the resolution deadline runs."""
    PAUSED = "PAUSED"
    """Suspended (tạm đình chỉ): the clock stops, nothing can be overdue."""
    DONE = "DONE"
    """Decided, concluded, or ended otherwise: no deadline runs."""


class CaseStatus(Enum):
    """The unified status list of both laws (DOMAIN.md §6.3). Values equal names; ``.vi`` is the legal term."""

    RECEIVED = "RECEIVED"
    CLASSIFYING = "CLASSIFYING"
    TRANSFERRED = "TRANSFERRED"
    GUIDED = "GUIDED"
    NOT_ACCEPTED = "NOT_ACCEPTED"
    ACCEPTED = "ACCEPTED"
    VERIFYING = "VERIFYING"
    EXTENDED = "EXTENDED"
    DIALOGUE = "DIALOGUE"
    DECIDED = "DECIDED"
    CONCLUDED = "CONCLUDED"
    HANDLING_CONCLUSION = "HANDLING_CONCLUSION"
    PUBLISHED = "PUBLISHED"
    CLOSED = "CLOSED"
    WITHDRAWN = "WITHDRAWN"
    SUSPENDED = "SUSPENDED"
    TERMINATED = "TERMINATED"
    SECOND_INSTANCE = "SECOND_INSTANCE"
    LITIGATION = "LITIGATION"

    @property
    def vi(self) -> str:
        return STATUS_VI[self]

    @property
    def phase(self) -> Phase:
        return STATUS_PHASE[self]


S = CaseStatus

STATUS_VI: dict[CaseStatus, str] = {
    S.RECEIVED: "Tiếp nhận đơn (received)",
    S.CLASSIFYING: "Xử lý đơn: phân loại, kiểm tra điều kiện thụ lý (classifying)",
    S.TRANSFERRED: "Chuyển đơn đến cơ quan có thẩm quyền (transferred: not within competence)",
    S.GUIDED: "Hướng dẫn người gửi đơn đến cơ quan có thẩm quyền (guided elsewhere)",
    S.NOT_ACCEPTED: "Không thụ lý, có nêu lý do (not accepted, with the reason)",
    S.ACCEPTED: "Thụ lý giải quyết: the resolution deadline starts",
    S.VERIFYING: "Xác minh nội dung (verifying the content)",
    S.EXTENDED: "Gia hạn thời hạn giải quyết tố cáo (resolution extended; denunciations only)",
    S.DIALOGUE: "Đối thoại với người khiếu nại (dialogue; complaints only)",
    S.DECIDED: "Ban hành quyết định giải quyết khiếu nại (decision issued; complaints only)",
    S.CONCLUDED: "Kết luận nội dung tố cáo (conclusion issued; denunciations only)",
    S.HANDLING_CONCLUSION: "Xử lý kết luận nội dung tố cáo (acting on the conclusion; denunciations only)",
    S.PUBLISHED: "Công khai quyết định / kết luận (made public)",
    S.CLOSED: "Kết thúc, lưu hồ sơ (closed and archived)",
    S.WITHDRAWN: "Rút khiếu nại / rút tố cáo (withdrawn by the complainant or denouncer)",
    S.SUSPENDED: "Tạm đình chỉ giải quyết (suspended: the clock stops)",
    S.TERMINATED: "Đình chỉ giải quyết (terminated)",
    S.SECOND_INSTANCE: "Khiếu nại lần hai: the complainant complained again to the superior (complaints only)",
    S.LITIGATION: "Khởi kiện vụ án hành chính tại Tòa án (taken to the administrative court; complaints only)",
}

STATUS_PHASE: dict[CaseStatus, Phase] = {
    S.RECEIVED: Phase.INTAKE,
    S.CLASSIFYING: Phase.INTAKE,
    S.ACCEPTED: Phase.RESOLUTION,
    S.VERIFYING: Phase.RESOLUTION,
    S.EXTENDED: Phase.RESOLUTION,
    S.DIALOGUE: Phase.RESOLUTION,
    S.SUSPENDED: Phase.PAUSED,
    **{
        s: Phase.DONE
        for s in (
            S.TRANSFERRED, S.GUIDED, S.NOT_ACCEPTED, S.DECIDED, S.CONCLUDED, S.HANDLING_CONCLUSION,
            S.PUBLISHED, S.CLOSED, S.WITHDRAWN, S.TERMINATED, S.SECOND_INSTANCE, S.LITIGATION,
        )
    },
}  # fmt: skip

COMPLAINT_ONLY = frozenset({S.DIALOGUE, S.DECIDED, S.SECOND_INSTANCE, S.LITIGATION})
DENUNCIATION_ONLY = frozenset({S.EXTENDED, S.CONCLUDED, S.HANDLING_CONCLUSION})


def allowed_statuses(kind: CaseKind) -> frozenset[CaseStatus]:
    """The statuses a case of this kind may take."""
    other = DENUNCIATION_ONLY if kind is CaseKind.COMPLAINT else COMPLAINT_ONLY
    return frozenset(CaseStatus) - other


# Status changes a case may go through (the state machine both laws describe).
_COMMON_NEXT: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.RECEIVED: frozenset({S.CLASSIFYING, S.WITHDRAWN}),
    S.CLASSIFYING: frozenset({S.ACCEPTED, S.NOT_ACCEPTED, S.TRANSFERRED, S.GUIDED, S.WITHDRAWN}),
    S.ACCEPTED: frozenset({S.VERIFYING, S.WITHDRAWN, S.SUSPENDED, S.TERMINATED}),
    S.SUSPENDED: frozenset({S.VERIFYING, S.TERMINATED}),
    S.PUBLISHED: frozenset({S.CLOSED}),
    S.NOT_ACCEPTED: frozenset(),
    S.TRANSFERRED: frozenset(),
    S.GUIDED: frozenset(),
    S.CLOSED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.TERMINATED: frozenset(),
}
_COMPLAINT_NEXT: dict[CaseStatus, frozenset[CaseStatus]] = {
    **_COMMON_NEXT,
    S.VERIFYING: frozenset({S.DIALOGUE, S.DECIDED, S.WITHDRAWN, S.SUSPENDED, S.TERMINATED}),
    S.DIALOGUE: frozenset({S.DECIDED, S.WITHDRAWN}),
    S.DECIDED: frozenset({S.PUBLISHED, S.CLOSED, S.SECOND_INSTANCE, S.LITIGATION}),
    S.PUBLISHED: frozenset({S.CLOSED, S.SECOND_INSTANCE, S.LITIGATION}),
    S.SECOND_INSTANCE: frozenset(),
    S.LITIGATION: frozenset(),
}
_DENUNCIATION_NEXT: dict[CaseStatus, frozenset[CaseStatus]] = {
    **_COMMON_NEXT,
    S.VERIFYING: frozenset({S.EXTENDED, S.CONCLUDED, S.WITHDRAWN, S.SUSPENDED, S.TERMINATED}),
    S.EXTENDED: frozenset({S.EXTENDED, S.CONCLUDED, S.WITHDRAWN, S.SUSPENDED, S.TERMINATED}),
    S.CONCLUDED: frozenset({S.HANDLING_CONCLUSION, S.PUBLISHED, S.CLOSED}),
    S.HANDLING_CONCLUSION: frozenset({S.PUBLISHED, S.CLOSED}),
}


def can_change(kind: CaseKind, current: CaseStatus, new: CaseStatus) -> bool:
    """Whether a case of ``kind`` may go from ``current`` to ``new``."""
    table = _COMPLAINT_NEXT if kind is CaseKind.COMPLAINT else _DENUNCIATION_NEXT
    return new in table.get(current, frozenset())


# ---------------------------------------------------------------------------------------------------------
# Deadlines
# ---------------------------------------------------------------------------------------------------------

COMPLAINT_TIME_LIMIT_DAYS = 90  # Law on Complaints Art. 9
SECOND_COMPLAINT_DAYS = 30  # Art. 33: after the first-instance decision (remote areas: 45)
SECOND_COMPLAINT_DAYS_REMOTE = 45
COMPLAINT_ACCEPT_DAYS = 10  # Art. 27
DENUNCIATION_INTAKE_WORKING_DAYS = 7  # Law on Denunciations Art. 24
DENUNCIATION_RESOLVE_DAYS = 30  # Art. 30
DENUNCIATION_EXTENSION_DAYS = 30
MAX_EXTENSIONS = 2

# (instance, complex, remote) -> days; Art. 28 (first instance) and Art. 37 (second instance).
COMPLAINT_RESOLVE_DAYS: dict[tuple[Instance, bool, bool], int] = {
    (Instance.FIRST, False, False): 30,
    (Instance.FIRST, True, False): 45,
    (Instance.FIRST, False, True): 45,
    (Instance.FIRST, True, True): 60,
    (Instance.SECOND, False, False): 45,
    (Instance.SECOND, True, False): 60,
    (Instance.SECOND, False, True): 60,
    (Instance.SECOND, True, True): 70,
}


class DeadlineRuleError(ValueError):
    """Facts that no rule allows (a third extension, a complaint without instance)."""


def period_end(start: dt.date, days: int) -> dt.date:
    """The last day of a period of ``days`` calendar days from ``start``: moved to the next working day when
    it falls on a weekend day or holiday (Civil Code Art. 148(5))."""
    end = add_days(start, days)
    return end if is_working_day(end) else next_working_day(end)


def complaint_time_limit(learned_on: dt.date) -> dt.date:
    """Last day to complain about a decision or act the complainant received or learned of on ``learned_on``."""
    return period_end(learned_on, COMPLAINT_TIME_LIMIT_DAYS)


def second_complaint_by(first_decision_received_on: dt.date, remote_area: bool = False) -> dt.date:
    """Last day to complain again (lần hai) after receiving the first-instance decision."""
    days = SECOND_COMPLAINT_DAYS_REMOTE if remote_area else SECOND_COMPLAINT_DAYS
    return period_end(first_decision_received_on, days)


def max_extensions(complexity: Complexity) -> int:
    """Extensions a denunciation of this complexity may get: none, one (complex) or two (especially complex)."""
    return {Complexity.NORMAL: 0, Complexity.COMPLEX: 1, Complexity.ESPECIALLY_COMPLEX: 2}[complexity]


def can_extend(complexity: Complexity, extensions: int) -> bool:
    """Whether a denunciation that has had ``extensions`` extensions may get one more."""
    return extensions < max_extensions(complexity)


def accept_by(kind: CaseKind, received_on: dt.date) -> dt.date:
    """Deadline to accept (complaints: 10 days) or to finish intake (denunciations: 7 working days)."""
    if kind is CaseKind.COMPLAINT:
        return period_end(received_on, COMPLAINT_ACCEPT_DAYS)
    return add_working_days(received_on, DENUNCIATION_INTAKE_WORKING_DAYS)


def resolution_days(
    kind: CaseKind,
    instance: Instance | None,
    complexity: Complexity,
    remote_area: bool,
    extensions: int,
) -> int:
    """Days allowed to resolve, counted from acceptance."""
    if kind is CaseKind.COMPLAINT:
        if instance is None:
            raise DeadlineRuleError("a complaint is resolved at the first or the second instance")
        return COMPLAINT_RESOLVE_DAYS[(instance, complexity is not Complexity.NORMAL, remote_area)]
    if not 0 <= extensions <= MAX_EXTENSIONS:
        raise DeadlineRuleError(f"a denunciation can be extended at most {MAX_EXTENSIONS} times, not {extensions}")
    return DENUNCIATION_RESOLVE_DAYS + DENUNCIATION_EXTENSION_DAYS * extensions


def resolve_by(
    kind: CaseKind,
    instance: Instance | None,
    complexity: Complexity,
    remote_area: bool,
    extensions: int,
    accepted_on: dt.date,
) -> dt.date:
    """Deadline to decide a complaint or conclude a denunciation (with the extensions granted so far)."""
    return period_end(accepted_on, resolution_days(kind, instance, complexity, remote_area, extensions))


@dataclass(frozen=True)
class CaseFacts:
    """What a case records that its deadlines depend on (dates are Hanoi-local days)."""

    kind: CaseKind
    instance: Instance | None
    status: CaseStatus
    complexity: Complexity
    remote_area: bool
    extensions: int
    received_on: dt.date
    accepted_on: dt.date | None


@dataclass(frozen=True)
class Deadlines:
    accept_by: dt.date
    resolve_by: dt.date | None
    """None until the case is accepted."""
    pending: Phase | None
    """INTAKE or RESOLUTION when that deadline is running; None when no deadline runs."""
    overdue: bool
    days_left: int | None
    """Calendar days from ``today`` to the running deadline (negative when overdue); None if none runs."""


def deadlines(facts: CaseFacts, today: dt.date) -> Deadlines:
    """Every deadline of a case, which one is running, and whether it has passed (as of ``today``)."""
    accept = accept_by(facts.kind, facts.received_on)
    resolve = (
        resolve_by(facts.kind, facts.instance, facts.complexity, facts.remote_area, facts.extensions, facts.accepted_on)
        if facts.accepted_on is not None
        else None
    )
    phase = facts.status.phase
    due: dt.date | None = None
    if phase is Phase.INTAKE:
        due = accept
    elif phase is Phase.RESOLUTION and resolve is not None:
        due = resolve
    return Deadlines(
        accept_by=accept,
        resolve_by=resolve,
        pending=phase if due is not None else None,
        overdue=due is not None and today > due,
        days_left=(due - today).days if due is not None else None,
    )


def latest_overdue_start(today: dt.date, due: Callable[[dt.date], dt.date], min_days: int) -> dt.date:
    """The latest start date whose deadline ``due(start)`` is already past on ``today``.

    ``due`` must be non-decreasing and ``due(start) >= start + min_days``. A case whose running deadline
    starts on or before the returned date is overdue; this turns "overdue" into a date comparison that a
    database can evaluate.
    """
    start = today - dt.timedelta(days=min_days + 1)
    while due(start) >= today:
        start -= dt.timedelta(days=1)
    return start


@dataclass(frozen=True)
class OverdueRule:
    """Cases matching these facts, in a phase whose clock started on or before ``started_by``, are overdue."""

    kind: CaseKind
    phase: Phase
    started_by: dt.date
    instance: Instance | None = None
    complex_: bool | None = None
    remote_area: bool | None = None
    extensions: int | None = None


def overdue_rules(today: dt.date) -> list[OverdueRule]:
    """Every combination of facts that sets a different deadline, with its overdue threshold for ``today``."""
    rules = [
        OverdueRule(
            CaseKind.COMPLAINT,
            Phase.INTAKE,
            latest_overdue_start(today, lambda d: accept_by(CaseKind.COMPLAINT, d), COMPLAINT_ACCEPT_DAYS),
        ),
        OverdueRule(
            CaseKind.DENUNCIATION,
            Phase.INTAKE,
            latest_overdue_start(
                today, lambda d: accept_by(CaseKind.DENUNCIATION, d), DENUNCIATION_INTAKE_WORKING_DAYS
            ),
        ),
    ]
    for (instance, complex_, remote), days in COMPLAINT_RESOLVE_DAYS.items():
        start = latest_overdue_start(today, partial(period_end, days=days), days)
        rules.append(OverdueRule(CaseKind.COMPLAINT, Phase.RESOLUTION, start, instance, complex_, remote))
    for ext in range(MAX_EXTENSIONS + 1):
        days = DENUNCIATION_RESOLVE_DAYS + DENUNCIATION_EXTENSION_DAYS * ext
        start = latest_overdue_start(today, partial(period_end, days=days), days)
        rules.append(OverdueRule(CaseKind.DENUNCIATION, Phase.RESOLUTION, start, extensions=ext))
    return rules


def statuses_in(phase: Phase) -> list[CaseStatus]:
    return [s for s in CaseStatus if s.phase is phase]


# ---------------------------------------------------------------------------------------------------------
# Confidentiality of the denouncer (Law on Denunciations Art. 56)
# ---------------------------------------------------------------------------------------------------------

REDACTED = "[đã lược bỏ]"


def redact_petition(text: str, secrets: Iterable[str | None]) -> str:
    """The petition text with the denouncer's identifying details removed (Art. 56(2)).

    Every occurrence of each secret (full name, personal ID, address, phone), matched case-insensitively and
    also with spaces or dots inside digit strings, becomes ``[đã lược bỏ]``.
    """
    out = text
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        secret = secret.strip()
        if not secret:
            continue
        if secret.isdigit():
            pattern = r"[\s.]?".join(re.escape(ch) for ch in secret)
        else:
            pattern = r"\s+".join(re.escape(w) for w in secret.split())
        out = re.sub(pattern, REDACTED, out, flags=re.IGNORECASE)
    return out


# ---------------------------------------------------------------------------------------------------------
# Acting on cases (the mutations): filing limits, late acceptance, extensions, transitions
# ---------------------------------------------------------------------------------------------------------


def transition_refusal(kind: CaseKind, current: CaseStatus, new: CaseStatus) -> str | None:
    """Why a case of ``kind`` may not go from ``current`` to ``new`` (naming the current status); None if it may."""
    if can_change(kind, current, new):
        return None
    if new not in allowed_statuses(kind):
        return f"A {kind.name.lower()} never takes the status {new.name}; the case is {current.name}"
    return f"The case is {current.name}: it cannot become {new.name}"


def complaint_filed_in_time(contested_on: dt.date, received_on: dt.date) -> bool:
    """Whether a complaint received on ``received_on`` is within the 90 days of Art. 9 (moved off days off)."""
    return received_on <= complaint_time_limit(contested_on)


def second_complaint_in_time(first_decided_on: dt.date, remote_area: bool, received_on: dt.date) -> bool:
    """Whether a second complaint received on ``received_on`` is within 30 days (remote: 45) of the first decision."""
    return received_on <= second_complaint_by(first_decided_on, remote_area)


def acceptance_days_late(kind: CaseKind, received_on: dt.date, accepted_on: dt.date) -> int:
    """Calendar days an acceptance (thụ lý) came after its deadline; 0 when on time.

    A late acceptance is still an acceptance (the law sets a duty on the resolver, it does not void the
    petition): the case records it and the resolution clock starts on the day it was actually accepted.
    """
    return max(0, (accepted_on - accept_by(kind, received_on)).days)


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


def extension_refusal(kind: CaseKind, complexity: Complexity, extensions: int) -> Refusal | None:
    """Why one more resolution extension is not allowed (Law on Denunciations Art. 30); None if it is."""
    if kind is CaseKind.COMPLAINT:
        return Refusal(
            "NOT_EXTENDABLE",
            "Complaints are not extended: complex or remote complaints have longer periods from the start "
            "(Law on Complaints Art. 28, 37); classify the complexity at acceptance",
        )
    if extensions >= MAX_EXTENSIONS:
        return Refusal(
            "EXTENSION_LIMIT",
            f"A denunciation can be extended at most {MAX_EXTENSIONS} times (Law on Denunciations Art. 30); "
            f"this one has had {extensions}",
        )
    allowed = max_extensions(complexity)
    if extensions >= allowed:
        return Refusal(
            "EXTENSION_NOT_ALLOWED",
            f"A {complexity.name} denunciation may be extended {allowed} time(s) (Art. 30: complex once, "
            f"especially complex twice); this one has had {extensions}",
        )
    return None


def withdrawal_may_continue(kind: CaseKind) -> bool:
    """Only a denunciation may be continued after its withdrawal, when violations are evident or the withdrawal
    was coerced (Law on Denunciations Art. 33); a withdrawn complaint ends (Law on Complaints Art. 10)."""
    return kind is CaseKind.DENUNCIATION


ENDING_STATUSES = frozenset(
    {S.NOT_ACCEPTED, S.TRANSFERRED, S.GUIDED, S.DECIDED, S.CONCLUDED, S.WITHDRAWN, S.TERMINATED}
)
"""Entering one of these sets the case's ``concluded_at`` (decision, conclusion, or the end of handling)."""

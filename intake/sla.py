"""A case's SLA clocks, derived from its event log: response, update and fix, with pauses, at any instant.

Nothing here is stored: the clocks are a pure function of the case's creation, its events and the policy,
so they can be recomputed at any time (after a configuration change, or to explain them) and always agree.

- **response** runs from creation until the first response to the customer (a first response, or an update
  sent before one). Waiting for the customer does not pause it.
- **update** runs from the first response and restarts at each update sent to the customer: how long the
  customer has gone without news. Waiting for the customer pauses it.
- **fix** runs from creation until the case is resolved. Waiting for the customer pauses it.

Resolving freezes every clock; reopening resumes them (the update interval restarts at the reopening);
closing ends them. A severity change re-targets every clock from then on, keeping the time already counted.
Each clock counts calendar time or business time, as the case's severity's target says; calendar time is
elapsed time (DST never stretches it), business time skips closed hours, weekends and holidays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from intake.domain import CaseEventKind, CaseStatus, Severity, require_aware
from intake.policy import Policy, SlaClock, SlaTarget

__all__ = [
    "WARN_SHARE",
    "Alert",
    "ClockName",
    "ClockReading",
    "ClockState",
    "Pause",
    "SlaEvent",
    "Threshold",
    "clocks",
    "due_alerts",
    "history",
    "next_check",
]

# The share of a target at which the assignee is warned, unless configured otherwise.
WARN_SHARE = 0.75


class ClockName(StrEnum):
    """The three targets of a case."""

    RESPONSE = "response"
    UPDATE = "update"
    FIX = "fix"


class ClockState(StrEnum):
    """Where a clock stands at the instant it is read."""

    NONE = "none"  # no target for this severity (Sev4 has no update or fix target by default)
    WAITING = "waiting"  # not started yet (the update clock before the first response)
    RUNNING = "running"
    PAUSED = "paused"  # waiting for the customer
    FROZEN = "frozen"  # the case is resolved; a reopening resumes it
    MET = "met"  # stopped within its target
    BREACHED = "breached"  # past its target, running or stopped
    ENDED = "ended"  # the case is closed


@dataclass(frozen=True)
class SlaEvent:
    """One entry of the case's history, as far as the clocks care."""

    at: datetime
    kind: CaseEventKind
    detail: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Pause:
    """An interval during which a clock did not count; `end` None while it lasts."""

    start: datetime
    end: datetime | None
    reason: str


@dataclass(frozen=True)
class ClockReading:
    """One clock read at an instant: its target, the time counted, and when it is due or how late it is."""

    name: ClockName
    state: ClockState
    target: timedelta | None
    basis: SlaClock
    counted: timedelta  # time counted against the target (calendar or business time)
    started: datetime | None
    stopped: datetime | None  # when it was met, frozen or ended
    due: datetime | None  # when it breaches if it keeps running (None unless running)
    warn_at: datetime | None  # when WARN_SHARE of the target is reached (None unless running and not yet)
    pauses: tuple[Pause, ...] = ()
    interval: datetime | None = None  # when the current run began (an alert fires once per run)

    @property
    def remaining(self) -> timedelta | None:
        """Time left before the target (None without a target; negative once breached)."""
        return None if self.target is None else self.target - self.counted

    @property
    def breached_by(self) -> timedelta | None:
        """How far past the target, once breached."""
        left = self.remaining
        return -left if left is not None and left < timedelta(0) else None


@dataclass
class _Clock:
    """A clock while the events are replayed: the time counted, and since when it runs (None: not running)."""

    name: ClockName
    counted: timedelta = timedelta(0)
    since: datetime | None = None
    started: datetime | None = None
    stopped: datetime | None = None
    done: ClockState | None = None  # MET / BREACHED once stopped for good (until a reopening), FROZEN, ENDED
    held: timedelta | None = None  # the target it was met or breached against (a later severity change keeps it)
    interval: datetime | None = None  # when the current run began: creation, or the update interval's start
    pauses: list[Pause] = field(default_factory=list)


def clocks(
    policy: Policy,
    *,
    severity: Severity,
    created: datetime,
    events: Iterable[SlaEvent],
    now: datetime,
    warn_share: float = WARN_SHARE,
) -> tuple[ClockReading, ClockReading, ClockReading]:
    """The response, update and fix clocks of a case created at `created`, read at `now`.

    `severity` is the severity the case was created with; severity changes come from the events.
    """
    require_aware(created, "created")
    require_aware(now, "now")
    replay = _Replay(policy, severity, created)
    for event in sorted(events, key=lambda e: require_aware(e.at, "event").astimezone(UTC)):
        if event.at > now:
            break
        replay.apply(event)
    return replay.read(now, warn_share)


class _Replay:
    """The case's history replayed event by event, moving the three clocks."""

    def __init__(self, policy: Policy, severity: Severity, created: datetime) -> None:
        self.policy = policy
        self.severity = severity
        self.status = CaseStatus.NEW
        self.response = _Clock(ClockName.RESPONSE, since=created, started=created, interval=created)
        self.update = _Clock(ClockName.UPDATE)
        self.fix = _Clock(ClockName.FIX, since=created, started=created, interval=created)

    @property
    def target(self) -> SlaTarget:
        return self.policy.sla[self.severity]

    def _count(self, clock: _Clock, until: datetime) -> None:
        # Add the time since the clock last started to its count, and restart it at `until`.
        if clock.since is not None:
            clock.counted += _elapsed(self.policy, self.target.clock, clock.since, until)
            clock.since = until

    def _goal(self, clock: _Clock) -> timedelta | None:
        target = self.target
        return {ClockName.RESPONSE: target.response, ClockName.UPDATE: target.update, ClockName.FIX: target.fix}[
            clock.name
        ]

    def _stop(self, clock: _Clock, at: datetime, state: ClockState | None) -> None:
        self._count(clock, at)
        if clock.pauses and clock.pauses[-1].end is None:
            # Resolved or closed while waiting for the customer: the wait ends with the clock.
            clock.pauses[-1] = replace(clock.pauses[-1], end=at)
        clock.since = None
        clock.stopped = at
        clock.done = state
        clock.held = self._goal(clock)

    def _settle(self, clock: _Clock, at: datetime) -> None:
        # Stop a clock for good (until a reopening), met or breached against its target.
        self._count(clock, at)
        goal = self._goal(clock)
        self._stop(clock, at, ClockState.BREACHED if goal is not None and clock.counted > goal else ClockState.MET)

    def _pause(self, clock: _Clock, at: datetime, reason: str) -> None:
        if clock.since is not None:
            self._count(clock, at)
            clock.since = None
            clock.pauses.append(Pause(at, None, reason))

    def _resume(self, clock: _Clock, at: datetime) -> None:
        if clock.pauses and clock.pauses[-1].end is None:
            clock.pauses[-1] = replace(clock.pauses[-1], end=at)
            clock.since = at

    def _responded(self, at: datetime) -> None:
        if self.response.done is None and self.response.since is not None:
            self._settle(self.response, at)
        # Each word to the customer restarts the update interval.
        update = self.update
        update.counted, update.interval = timedelta(0), at
        update.started = update.started or at
        if self.status is not CaseStatus.PENDING_CUSTOMER:
            update.since = at
            return
        update.since = None  # news sent while waiting for the customer: the new interval starts paused
        if not (update.pauses and update.pauses[-1].end is None):
            update.pauses.append(Pause(at, None, "waiting for the customer"))

    def apply(self, event: SlaEvent) -> None:
        at = event.at
        if event.kind is CaseEventKind.SEVERITY_CHANGED:
            for clock in (self.response, self.update, self.fix):
                self._count(clock, at)  # what was counted so far counts on the old severity's clock
            self.severity = Severity(int(str(event.detail.get("to", int(self.severity)))))
        elif event.kind in (CaseEventKind.FIRST_RESPONSE, CaseEventKind.CUSTOMER_UPDATE):
            if self.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
                self._responded(at)
        elif event.kind is CaseEventKind.CUSTOMER_REPLIED and self.status is CaseStatus.PENDING_CUSTOMER:
            self._status(at, CaseStatus.IN_PROGRESS)
        elif event.kind is CaseEventKind.STATUS_CHANGED:
            self._status(at, CaseStatus(str(event.detail.get("to", self.status.value))))

    def _status(self, at: datetime, new: CaseStatus) -> None:
        old, self.status = self.status, new
        if old is new:
            return
        if new is CaseStatus.CLOSED:
            for clock in (self.response, self.update, self.fix):
                if clock.done is None:
                    self._stop(clock, at, ClockState.ENDED)
                elif clock.done is ClockState.FROZEN:
                    clock.done = ClockState.ENDED  # stopped when the case was resolved
            return
        if new is CaseStatus.RESOLVED:
            self._settle(self.fix, at)
            for clock in (self.response, self.update):
                if clock.done is None:
                    self._stop(clock, at, ClockState.FROZEN)
            return
        if old in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
            self._reopen(at)
        if new is CaseStatus.PENDING_CUSTOMER:
            self._pause(self.update, at, "waiting for the customer")
            self._pause(self.fix, at, "waiting for the customer")
        elif old is CaseStatus.PENDING_CUSTOMER:
            self._resume(self.update, at)
            self._resume(self.fix, at)

    def _reopen(self, at: datetime) -> None:
        # Reopened: the fix clock carries on from what it had counted; the response clock resumes only if
        # the customer never had an answer; the customer is owed news again one update interval from now.
        self.fix.done, self.fix.since, self.fix.stopped = None, at, None
        if self.response.done is ClockState.FROZEN:
            self.response.done, self.response.since, self.response.stopped = None, at, None
        if self.update.started is not None:
            self.update.done, self.update.stopped = None, None
            self.update.counted, self.update.since, self.update.interval = timedelta(0), at, at

    def read(self, now: datetime, warn_share: float) -> tuple[ClockReading, ClockReading, ClockReading]:
        return (
            self._reading(self.response, now, warn_share),
            self._reading(self.update, now, warn_share),
            self._reading(self.fix, now, warn_share),
        )

    def _reading(self, clock: _Clock, now: datetime, warn_share: float) -> ClockReading:
        basis = self.target.clock
        target = clock.held if clock.done in (ClockState.MET, ClockState.BREACHED) else self._goal(clock)
        counted = clock.counted
        if clock.since is not None:
            counted += _elapsed(self.policy, basis, clock.since, now)
        base = ClockReading(
            name=clock.name,
            state=ClockState.NONE,
            target=target,
            basis=basis,
            counted=counted,
            started=clock.started,
            stopped=clock.stopped,
            due=None,
            warn_at=None,
            pauses=tuple(clock.pauses),
            interval=clock.interval,
        )
        if target is None:
            return base
        if clock.done is not None:
            state = clock.done
            if state in (ClockState.FROZEN, ClockState.ENDED) and counted > target:
                state = ClockState.BREACHED
            return replace(base, state=state)
        if clock.started is None:
            return replace(base, state=ClockState.WAITING)
        if clock.since is None:
            return replace(base, state=ClockState.BREACHED if counted > target else ClockState.PAUSED)
        # Running: due when the count reaches the target, counting from the last instant it started.
        due = _add(self.policy, basis, clock.since, target - clock.counted)
        warn = target * warn_share
        warn_at = _add(self.policy, basis, clock.since, warn - clock.counted) if counted < warn else None
        state = ClockState.BREACHED if counted > target else ClockState.RUNNING
        return replace(base, state=state, due=due, warn_at=warn_at)


class Threshold(StrEnum):
    """The two alerts of a running clock."""

    WARN = "warn"  # WARN_SHARE of the target counted: the assignee (or the queue) is warned
    BREACH = "breach"  # the target passed: the case escalates


@dataclass(frozen=True)
class Alert:
    """An alert due on a clock; (clock, threshold, interval) names it, so it fires once per run of the clock."""

    clock: ClockName
    threshold: Threshold
    interval: datetime
    due: datetime | None


def due_alerts(readings: Sequence[ClockReading], warn_share: float = WARN_SHARE) -> list[Alert]:
    """The alerts a running clock has reached (a paused, stopped or target-less clock raises none)."""
    alerts: list[Alert] = []
    for r in readings:
        if r.target is None or r.due is None or r.interval is None:
            continue  # only a running clock has a due instant
        if r.counted >= r.target * warn_share:
            alerts.append(Alert(r.name, Threshold.WARN, r.interval, r.due))
        if r.counted > r.target:
            alerts.append(Alert(r.name, Threshold.BREACH, r.interval, r.due))
    return alerts


def next_check(readings: Sequence[ClockReading], now: datetime) -> datetime | None:
    """The next instant an alert can fall due if nothing else happens to the case (None: none can)."""
    upcoming = [at for r in readings for at in (r.warn_at, r.due) if at is not None and at > now]
    return min(upcoming, default=None)


def _elapsed(policy: Policy, basis: SlaClock, start: datetime, end: datetime) -> timedelta:
    if end <= start:
        return timedelta(0)
    if basis is SlaClock.BUSINESS:
        return policy.business_hours.business_time_between(start, end)
    return end.astimezone(UTC) - start.astimezone(UTC)


def _add(policy: Policy, basis: SlaClock, start: datetime, amount: timedelta) -> datetime:
    if amount <= timedelta(0):
        # Already due: the instant the count reached the target lies in the past; the start is a fair bound.
        return start.astimezone(UTC)
    if basis is SlaClock.BUSINESS:
        return policy.business_hours.add_business_time(start, amount).astimezone(UTC)
    return start.astimezone(UTC) + amount


def history(readings: Sequence[ClockReading], when: Callable[[datetime], str] | None = None) -> list[str]:
    """Plain lines describing each clock (for `intake sla explain`); `when` writes an instant (ISO by default)."""
    say = when or (lambda at: at.isoformat(timespec="minutes"))
    lines: list[str] = []
    for reading in readings:
        head = f"{reading.name.value}: {reading.state.value}"
        if reading.target is None:
            lines.append(f"{head} (no target)")
            continue
        head += f", target {_span(reading.target)} ({reading.basis.value}), counted {_span(reading.counted)}"
        if reading.breached_by is not None:
            head += f", breached by {_span(reading.breached_by)}"
        elif reading.remaining is not None and reading.state in (ClockState.RUNNING, ClockState.PAUSED):
            head += f", {_span(reading.remaining)} left"
        if reading.due is not None:
            head += f", due {say(reading.due)}"
        if reading.stopped is not None:
            head += f", stopped {say(reading.stopped)}"
        lines.append(head)
        lines.extend(f"  paused {say(p.start)} - {say(p.end) if p.end else 'now'} ({p.reason})" for p in reading.pauses)
    return lines


def _span(delta: timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [
        f"{days}d" if days else "",
        f"{hours}h" if hours else "",
        f"{mins}m" if mins or not (days or hours) else "",
    ]
    return ("-" if delta < timedelta(0) else "") + " ".join(p for p in parts if p)

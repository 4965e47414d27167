"""Maintenance windows in the store: the rules refuse before anything is written, every affected account's
notices are queued due at their instants, a change re-queues under the new version and skips the stale ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from intake.maintenance import NoticeTooShort, OverBudget, Rules, Window, reminder_at
from store import maintenance as store
from store.db import SessionMaker
from store.models import Account, MaintenanceWindow, Outbox, WindowStatus

NOW = datetime(2026, 2, 20, 15, 0, tzinfo=UTC)
DESK = ZoneInfo("America/New_York")
RULES = Rules()
ZONES = {"K100001": "America/New_York", "K100002": "Europe/Berlin", "K100003": ""}


@pytest.fixture
async def accounts(session_maker: SessionMaker) -> None:
    async with session_maker() as session, session.begin():
        for k, tz in ZONES.items():
            session.add(Account(k_number=k, name=f"Clinic {k}", timezone=tz, created_at=NOW, updated_at=NOW))


def _window(start: datetime, hours: float = 4, accounts: frozenset[str] | None = None, **more: object) -> Window:
    values: dict[str, object] = {
        "start": start,
        "end": start + timedelta(hours=hours),
        "accounts": accounts,
        "components": ("viewer",),
        "downtime": True,
        "summary": "Database upgrade",
    }
    values.update(more)
    return Window(**values)  # type: ignore[arg-type]


async def _pending(session_maker: SessionMaker) -> list[Outbox]:
    async with session_maker() as session:
        query = select(Outbox).where(Outbox.status == "pending").order_by(col(Outbox.id))
        return list((await session.exec(query)).all())


async def _schedule(session_maker: SessionMaker, window: Window, override: str = "") -> store.Scheduled:
    async with session_maker() as session, session.begin():
        return await store.schedule_window(
            session, window=window, override=override, actor="ops", at=NOW, rules=RULES, desk_tz=DESK
        )


@pytest.mark.usefixtures("accounts")
async def test_a_window_queues_each_accounts_notices_due_at_their_instants(session_maker: SessionMaker) -> None:
    # 9 March 2026: 09:00 in New York, after its spring change (8 March).
    start = datetime(2026, 3, 10, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    done = await _schedule(session_maker, _window(start, accounts=frozenset({"K100001", "K100002"})))
    assert done.window.status is WindowStatus.SCHEDULED and done.window.accounts == ["K100001", "K100002"]
    items = await _pending(session_maker)
    by = {(o.payload["k_number"], o.payload["extra"]["stage"]): o for o in items}
    assert sorted(by) == sorted(
        (k, s) for k in ("K100001", "K100002") for s in ("scheduled", "reminder", "started", "ended")
    )
    assert by["K100001", "scheduled"].next_attempt_at == NOW
    # The reminder at the same wall time three days ahead in each account's own zone: 09:00 EST on 7 March.
    ny_reminder = by["K100001", "reminder"].next_attempt_at
    assert ny_reminder == reminder_at(start, RULES.reminder, ZoneInfo("America/New_York"))
    assert ny_reminder.astimezone(ZoneInfo("America/New_York")).hour == 9
    assert start - ny_reminder == timedelta(hours=71)
    assert by["K100001", "started"].next_attempt_at == start
    assert by["K100001", "ended"].next_attempt_at == start + timedelta(hours=4)
    assert by["K100002", "scheduled"].payload["extra"]["title"] == "Database upgrade"
    assert done.queued == 8


@pytest.mark.usefixtures("accounts")
async def test_inside_the_notice_period_nothing_is_stored_without_an_override(session_maker: SessionMaker) -> None:
    soon = _window(NOW + timedelta(days=3))
    with pytest.raises(NoticeTooShort):
        await _schedule(session_maker, soon)
    async with session_maker() as session:
        assert (await session.exec(select(MaintenanceWindow))).all() == []
    assert await _pending(session_maker) == []
    done = await _schedule(session_maker, soon, override="urgent security fix")
    assert done.window.override_reason == "urgent security fix"
    async with session_maker() as session:
        audit = await store.audit_of(session, window_id=done.window.id)
    assert [(a.action, a.override_reason) for a in audit] == [("scheduled", "urgent security fix")]
    # Every account (the window names none) gets its notices; no reminder: its instant is past.
    stages = {(o.payload["k_number"], o.payload["extra"]["stage"]) for o in await _pending(session_maker)}
    assert stages == {(k, s) for k in ZONES for s in ("scheduled", "started", "ended")}


@pytest.mark.usefixtures("accounts")
async def test_an_unknown_account_is_refused(session_maker: SessionMaker) -> None:
    with pytest.raises(store.MaintenanceStoreError, match="K999999"):
        await _schedule(session_maker, _window(NOW + timedelta(days=20), accounts=frozenset({"K100001", "K999999"})))


@pytest.mark.usefixtures("accounts")
async def test_a_change_skips_the_stale_reminder_and_queues_the_new_version(session_maker: SessionMaker) -> None:
    first = await _schedule(session_maker, _window(NOW + timedelta(days=20), accounts=frozenset({"K100001"})))
    later = _window(NOW + timedelta(days=27), accounts=frozenset({"K100002"}))
    async with session_maker() as session, session.begin():
        changed = await store.change_window(
            session, window_id=first.window.id, window=later, override="", actor="ops", at=NOW, rules=RULES,
            desk_tz=DESK,
        )  # fmt: skip
    assert changed.window.version == 2 and changed.window.status is WindowStatus.CHANGED
    pending = await _pending(session_maker)
    assert {o.payload["extra"]["version"] for o in pending} == {"2"}
    stages = {(o.payload["k_number"], o.payload["extra"]["stage"]) for o in pending}
    # The newly named account hears of the change; the one dropped is told it is off for them.
    assert ("K100002", "changed") in stages and ("K100002", "reminder") in stages
    assert ("K100001", "cancelled") in stages and ("K100001", "reminder") not in stages
    async with session_maker() as session:
        skipped = (await session.exec(select(Outbox).where(Outbox.status == "skipped"))).all()
    assert {o.payload["extra"]["stage"] for o in skipped} == {"scheduled", "reminder", "started", "ended"}


@pytest.mark.usefixtures("accounts")
async def test_a_change_to_an_earlier_start_inside_the_notice_period_needs_an_override(
    session_maker: SessionMaker,
) -> None:
    first = await _schedule(session_maker, _window(NOW + timedelta(days=20)))
    async with session_maker() as session, session.begin():
        with pytest.raises(NoticeTooShort):
            await store.change_window(
                session, window_id=first.window.id, window=_window(NOW + timedelta(days=5)), override="", actor="ops",
                at=NOW, rules=RULES, desk_tz=DESK,
            )  # fmt: skip
        # A shorter window inside the notice period asks less of customers: no override needed.
        shorter = _window(NOW + timedelta(days=20), hours=2, summary="Shorter upgrade")
        await store.change_window(
            session, window_id=first.window.id, window=shorter, override="", actor="ops",
            at=NOW + timedelta(days=10), rules=RULES, desk_tz=DESK,
        )  # fmt: skip


@pytest.mark.usefixtures("accounts")
async def test_a_cancellation_tells_every_account_and_skips_the_rest(session_maker: SessionMaker) -> None:
    first = await _schedule(session_maker, _window(NOW + timedelta(days=20), accounts=frozenset({"K100001"})))
    async with session_maker() as session, session.begin():
        done = await store.cancel_window(session, window_id=first.window.id, actor="ops", at=NOW, desk_tz=DESK)
    assert done.window.status is WindowStatus.CANCELLED
    pending = await _pending(session_maker)
    assert [(o.payload["k_number"], o.payload["extra"]["stage"]) for o in pending] == [("K100001", "cancelled")]
    async with session_maker() as session, session.begin():
        with pytest.raises(store.MaintenanceStoreError, match="cancelled"):
            await store.cancel_window(session, window_id=first.window.id, actor="ops", at=NOW, desk_tz=DESK)


@pytest.mark.usefixtures("accounts")
async def test_the_yearly_cap_refuses_a_window_past_it_and_the_ledger_shows_it(session_maker: SessionMaker) -> None:
    start = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)
    for month in (4, 5):
        await _schedule(session_maker, _window(start.replace(month=month), hours=45, accounts=frozenset({"K100001"})))
    with pytest.raises(OverBudget, match="K100001"):
        await _schedule(session_maker, _window(start.replace(month=6), hours=7))
    done = await _schedule(session_maker, _window(start.replace(month=6), hours=7), override="customer agreed")
    assert [(b.k_number, b.used_hours) for b in done.over] == [("K100001", 97.0)]
    async with session_maker() as session:
        mine = await store.budgets(session, rules=RULES, desk_tz=DESK, k_number="k100001")
        every = await store.budgets(session, rules=RULES, desk_tz=DESK, year=2026)
    assert [(b.year, b.used_hours, b.over) for b in mine] == [(2026, 97.0, True)]
    assert {b.k_number: b.used_hours for b in every} == {"K100001": 97.0, "K100002": 7.0, "K100003": 7.0}

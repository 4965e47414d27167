"""Incidents on the bot's side: the components a report names and the reports rule when its case is filed.

The case, its components, its link to an incident and the incident's one page are written in one store job
(store.incidents.file_case); the dialogue then tells a later reporter about the known outage
(intake/wording_incident.py). What agents do to incidents is bot/incident_work.py's.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

from bot.paging import PAGE_KIND, page_item
from intake.components import DEFAULT_COMPONENTS, Components, ComponentsError, components_from_mapping
from intake.dialogue_events import IncidentLink
from intake.domain import CaseEventKind
from store import cases as case_store
from store import incidents as store
from store.jobs import Jobs
from store.models import CasePublic
from store.outbox import NewOutboxItem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IncidentConfig:
    """The components customers name and when their reports make an incident."""

    components: Components = DEFAULT_COMPONENTS
    rule: store.ReportsRule = field(default_factory=store.ReportsRule)

    @classmethod
    def build(cls, *, min_accounts: int, window_minutes: float, components_file: str = "") -> IncidentConfig:
        """From the settings: INCIDENT_MIN_ACCOUNTS, INCIDENT_WINDOW_MINUTES, INCIDENT_COMPONENTS_FILE."""
        components = DEFAULT_COMPONENTS
        if components_file:
            try:
                data = json.loads(Path(components_file).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ComponentsError(f"INCIDENT_COMPONENTS_FILE: cannot read {components_file}: {exc}") from exc
            if not isinstance(data, dict):
                raise ComponentsError("INCIDENT_COMPONENTS_FILE: expected a JSON object {key: {label, words}}")
            components = components_from_mapping(data)
        rule = store.ReportsRule(min_accounts=min_accounts, window=timedelta(minutes=window_minutes))
        return cls(components=components, rule=rule)


@dataclass(frozen=True)
class Filed:
    """A filed case and, when it joined an outage, what the customer is told about it."""

    case: CasePublic
    link: IncidentLink | None


async def file_case(jobs: Jobs, *, case: case_store.CaseCreate, text: str, config: IncidentConfig) -> Filed:
    """Record `case` with the components `text` names, under the reports rule (one transaction).

    The case's own page (if any) is queued only when the case joins no incident; the incident is paged once.
    """
    components = config.components.named_in(text)
    pages = [i for i in case.outbox if i.kind == PAGE_KIND]
    others = tuple(i for i in case.outbox if i.kind != PAGE_KIND)
    # The components go on the TRIAGE event: the console's "why" shows them beside the evidence.
    events = tuple(
        replace(e, detail={**e.detail, "components": list(components)}) if e.kind is CaseEventKind.TRIAGE else e
        for e in case.events
    )
    filed = await store.file_with_rule(
        jobs,
        case=replace(case, outbox=others, events=events),
        components=components,
        rule=config.rule,
        case_page=pages[0] if pages else None,
        incident_page=partial_page(config.components, case.channel.value),
    )
    incident = filed.incident
    if incident is None:
        return Filed(filed.case, None)
    if filed.opened:
        log.warning("incident %s opened: reports name %s", incident.id, incident.component)
    link = IncidentLink(component=config.components.label(incident.component), since=incident.opened_at)
    return Filed(filed.case, link)


def partial_page(components: Components, channel: str) -> store.IncidentPage:
    """The incident's page: one per incident, whatever case queues it (its dedupe key is the incident's)."""

    def page(incident_id: int, component: str, accounts: int) -> NewOutboxItem:
        label = components.label(component)
        return page_item(
            idempotency_key=f"incident:{incident_id}",
            k_number="",
            summary=f"Outage of the {label}: reported by {accounts} accounts",
            channel=channel,
            reason=f"incident {incident_id}",
        )

    return page

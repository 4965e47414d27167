"""Who may change a case: one rule, used by the agent API and the console alike.

- A case an agent has claimed (an active live chat about it) is changed only by that agent or a
  supervisor: status, severity and notes alike.
- Only a supervisor closes a case, changes the status of a closed one (reopens it), or lowers the
  severity of a Sev1 case.
- Everything else any enabled agent may do: resolve, raise a severity, change Sev2-4, add notes.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.agents.identity import require_role
from bot.errors import ForbiddenError
from intake.domain import CaseStatus, Severity
from store.handoffs import case_claimers
from store.models import AgentPublic, CasePublic, Role

CLAIMED_BY_ANOTHER = "another agent has claimed this case: only they or a supervisor may change it"


@dataclass(frozen=True, kw_only=True)
class CaseChange:
    """What a request would change on a case."""

    status: CaseStatus | None = None
    severity: Severity | None = None
    note: bool = False


def authorise_case_change(
    agent: AgentPublic, case: CasePublic, change: CaseChange, *, claimers: Collection[int]
) -> None:
    """Raise 403 JSON (code "forbidden", saying who may) unless `agent` may make `change` to `case`,
    which the agents with ids `claimers` hold."""
    if claimers and agent.id not in claimers and agent.role is not Role.SUPERVISOR:
        raise ForbiddenError(CLAIMED_BY_ANOTHER)
    if change.status is not None and change.status != case.status:
        if change.status is CaseStatus.CLOSED:
            require_role(agent, Role.SUPERVISOR, action="close a case")
        if case.status is CaseStatus.CLOSED:
            require_role(agent, Role.SUPERVISOR, action="reopen a closed case")
    if change.severity is not None and case.severity is Severity.SEV1 and change.severity > Severity.SEV1:
        require_role(agent, Role.SUPERVISOR, action="lower the severity of a Sev1 case")


async def authorise(session: AsyncSession, agent: AgentPublic, case: CasePublic, change: CaseChange) -> None:
    """authorise_case_change, with the case's claimers read in the caller's transaction."""
    authorise_case_change(agent, case, change, claimers=await case_claimers(session, number=case.number))

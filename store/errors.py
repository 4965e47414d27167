"""Errors the store raises; handlers in `bot` turn them into HTTP errors or prompts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


def causes(error: BaseException) -> Iterator[BaseException]:
    """`error`, then what caused it (`__cause__`, else `__context__`), each once, at most 16."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen and len(seen) < 16:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


class StoreError(Exception):
    """Base class of the store's errors."""


class DatabaseUrlError(StoreError, ValueError):
    """The database URL names a backend the store does not support."""


class CaseNotFoundError(StoreError, LookupError):
    """No case has the given number."""


class OutboxItemNotFoundError(StoreError, LookupError):
    """No outbox item has the given id."""


class TranscriptRoleError(StoreError, ValueError):
    """A transcript line names a role other than customer, bot or agent."""


class StorageConflictError(StoreError, KeyError):
    """A state write carried an eTag that no longer matches the stored one (a KeyError, as botbuilder's
    MemoryStorage raises)."""

    def __str__(self) -> str:
        # KeyError would quote the message as if it were a key.
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class CsvProblem:
    """One bad row of an accounts CSV: its line number and what is wrong."""

    line: int
    reason: str


class CsvImportError(StoreError, ValueError):
    """An accounts CSV had bad rows; nothing of it was imported."""

    def __init__(self, problems: list[CsvProblem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  line {p.line}: {p.reason}" for p in self.problems)
        super().__init__(f"{len(self.problems)} bad row(s) in the accounts CSV, nothing imported:\n{lines}")

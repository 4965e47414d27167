"""A stream's wake-up signal, shared by the Direct Line streams and the console's event feed."""

from __future__ import annotations

import asyncio


class Subscription:
    """One open stream: woken when there may be something new, closed when it must end."""

    def __init__(self) -> None:
        self.closed = False
        self._event = asyncio.Event()

    def wake(self) -> None:
        """Tell the stream to look again."""
        self._event.set()

    def close(self) -> None:
        """Tell the stream to end (its client went away, or the service is stopping)."""
        self.closed = True
        self._event.set()

    def clear(self) -> None:
        """Forget past wake-ups; call before reading, so a write during the read still wakes."""
        self._event.clear()

    async def wait(self, seconds: float | None = None) -> bool:
        """Wait for a wake-up or the end (True), or for `seconds` (False)."""
        try:
            await asyncio.wait_for(self._event.wait(), seconds)
        except TimeoutError:
            return False
        return True

"""What a clock is here: a function returning the current instant, tz-aware; the edge passes one in.

The domain itself never reads a clock (its functions take the instant); `store.clock.utc_now` is the
system clock the service runs on, and tests and `intake serve --pretend-now` pass their own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeAlias

Clock: TypeAlias = Callable[[], datetime]

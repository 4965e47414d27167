"""A database file the tests make unwritable, even by root."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def immutable(path: Path) -> Iterator[Callable[[], None]]:
    """`path` may not be written (chattr +i) until the block ends or it calls what it was given."""
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot make a file immutable here (needs root and chattr): {done.stderr.decode().strip()}")

    def writable_again() -> None:
        subprocess.run(["chattr", "-i", str(path)], check=True)

    try:
        yield writable_again
    finally:
        writable_again()

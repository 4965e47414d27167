"""A private PostgreSQL server on its own port and data directory (as scripts/start-postgres.sh starts the
shared one), for what must not touch the server everyone's tests share: restarting it, or measuring its CPU."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.bot.conftest import free_port

BINDIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
START_WAIT_S = 60.0


def _bindir() -> Path:
    assert BINDIRS, "PostgreSQL's server binaries are needed (apt-get install postgresql)"
    return BINDIRS[-1]


@dataclass
class PrivatePostgres:
    """One server: its URL, data directory and the means to stop, start and read its CPU time."""

    port: int
    data: Path
    socket_dir: Path

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    async def _ctl(self, *args: str) -> None:
        await _as_postgres(str(_bindir() / "pg_ctl"), "-D", str(self.data), *args)

    async def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c max_connections=200"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        # -w: pg_ctl returns once the server accepts connections.
        await self._ctl("-o", options, "-l", str(self.data.parent / "log"), "-w", "-t", str(int(START_WAIT_S)), "start")

    async def stop(self, mode: str = "fast") -> None:
        """Stop the server: `fast` ends every session (as a restart does), `immediate` as a crash would."""
        await self._ctl("-m", mode, "-w", "stop")

    def cpu_seconds(self) -> float:
        """CPU time of the postmaster and its children (the backends), from /proc: the live ones', and the
        postmaster's count of its ended children (a backend whose connection the pool closed mid-run)."""
        pid_file = self.data / "postmaster.pid"
        postmaster = int(pid_file.read_text().split()[0])
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid, ppid = int(stat.parent.name), int(fields[1])
            if pid == postmaster:  # utime, stime, and cutime, cstime: its children reaped so far
                ticks += sum(int(field) for field in fields[11:15])
            elif ppid == postmaster:
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")


async def _as_postgres(*argv: str) -> None:
    # initdb and postgres refuse to run as root.
    if os.getuid() == 0:
        argv = ("runuser", "-u", "postgres", "--", *argv)
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    _, errors = await process.communicate()
    assert process.returncode == 0, f"{argv}: {errors.decode()[-2000:]}"


@asynccontextmanager
async def private_postgres() -> AsyncIterator[PrivatePostgres]:
    """initdb a server in a directory of its own, start it on a free loopback port, stop and remove it on
    exit. Not under pytest's tmp_path: the postgres user cannot enter root's private directories."""
    home = Path(tempfile.mkdtemp(prefix="intake-pg-"))
    if os.getuid() == 0:
        shutil.chown(home, "postgres")
    server = PrivatePostgres(port=free_port(), data=home / "data", socket_dir=home)
    await _as_postgres(str(_bindir() / "initdb"), "-D", str(server.data), "-A", "trust", "-U", "postgres")
    await server.start()
    try:
        yield server
    finally:
        await server.stop("immediate")
        shutil.rmtree(home, ignore_errors=True)

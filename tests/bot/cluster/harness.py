"""Several real `intake serve` processes on one PostgreSQL database with Debian's nginx in front, configured
from deploy/nginx/ (the documented files, with loopback ports put in), all on loopback."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from tests.bot.conftest import free_port

_log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy" / "nginx"
NGINX = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
# Starting a Python process that imports the service takes a few seconds on a loaded two-core machine.
START_WAIT_S = 60.0


def render_nginx(workdir: Path, *, listen: int, upstreams: list[int], connections: int = 256) -> Path:
    """Write an nginx.conf that includes deploy/nginx's upstream.conf and intake.conf, the upstream's server
    lines pointing at `upstreams`, the server listening on loopback `listen` without TLS."""
    upstream = (DEPLOY / "upstream.conf").read_text()
    servers = "".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;\n" for port in upstreams)
    upstream, replaced = re.subn(r"(?m)^    server 127\.0\.0\.1:\d+ .*\n", "", upstream)
    assert replaced >= 1, "deploy/nginx/upstream.conf lists no server"
    upstream = upstream.replace("upstream intake {\n", "upstream intake {\n" + servers, 1)
    site = (DEPLOY / "intake.conf").read_text()
    site, listens = re.subn(r"(?m)^    listen 443 ssl;$", f"    listen 127.0.0.1:{listen};", site)
    assert listens == 1, "deploy/nginx/intake.conf has no `listen 443 ssl;` line"
    site = re.sub(r"(?m)^    ssl_\w+ .*\n", "", site)
    (workdir / "upstream.conf").write_text(upstream)
    (workdir / "intake.conf").write_text(site)
    main = workdir / "nginx.conf"
    temp = "\n".join(
        f"    {kind}_temp_path {workdir / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main.write_text(
        f"""daemon off;
worker_processes 1;
pid {workdir / "nginx.pid"};
error_log {workdir / "nginx-error.log"} warn;
events {{ worker_connections {connections}; }}
http {{
    access_log off;
    # Bodies up to intake.conf's limit stay in memory: the worker (www-data) cannot write into the test's
    # private temp directory.
    client_body_buffer_size 1m;
{temp}
    include {workdir / "upstream.conf"};
    include {workdir / "intake.conf"};
}}
"""
    )
    return main


@dataclass
class Process:
    """One `intake serve` process."""

    port: int
    metrics_port: int
    popen: asyncio.subprocess.Process

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    async def kill(self) -> None:
        self.popen.send_signal(signal.SIGKILL)
        await self.popen.wait()


@dataclass
class Cluster:
    """The processes, nginx's address and an HTTP client."""

    base: str
    processes: list[Process]
    http: aiohttp.ClientSession

    async def scrape(self, process: Process) -> str:
        async with self.http.get(process.metrics_url) as response:
            assert response.status == 200
            return await response.text()


async def _answers(http: aiohttp.ClientSession, url: str, alive: asyncio.subprocess.Process) -> bool:
    assert alive.returncode is None, f"a process exited early (code {alive.returncode}); see its log"
    try:
        async with http.get(url) as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


async def _until_answers(http: aiohttp.ClientSession, url: str, alive: asyncio.subprocess.Process) -> None:
    # A process (or nginx) has no "ready" signal to wait on but its port answering.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_WAIT_S
    while not await _answers(http, url, alive):
        assert loop.time() < deadline, f"{url} never answered"
        await asyncio.sleep(0.05)


def _show_logs(workdir: Path) -> None:
    # Captured by pytest and shown when the test fails: what the processes saw, once tmp_path is gone. Not in
    # bench/storm.py, which runs the same cluster and prints its own figures.
    if "PYTEST_CURRENT_TEST" not in os.environ:
        return
    for log in sorted(workdir.glob("intake-*.log")):
        _log.warning("%s:\n%s", log.name, log.read_text(errors="replace"))


@asynccontextmanager
async def running_cluster(
    db_url: str,
    workdir: Path,
    *,
    processes: int = 2,
    env: Mapping[str, str] | None = None,
    connections: int = 256,
    started_when: str = "/readyz",
) -> AsyncIterator[Cluster]:
    """Start `processes` servers (their settings from `env` over the defaults) and nginx in front of them,
    allowing it `connections` at once; stop everything on exit. A process counts as started once
    `started_when` answers 200 (`/healthz` for one expected not to be ready)."""
    assert NGINX is not None, "Debian's nginx is needed (apt-get install nginx)"
    listen = free_port()
    base = f"http://127.0.0.1:{listen}"
    started: list[asyncio.subprocess.Process] = []
    async with AsyncExitStack() as stack:
        http = await stack.enter_async_context(aiohttp.ClientSession())

        async def stop_all() -> None:
            for popen in started:
                if popen.returncode is None:
                    popen.terminate()
            for popen in started:
                try:
                    await asyncio.wait_for(popen.wait(), 40)
                except TimeoutError:
                    popen.kill()
                    await popen.wait()
            _show_logs(workdir)

        stack.push_async_callback(stop_all)
        members: list[Process] = []
        for n in range(processes):
            port, metrics_port = free_port(), free_port()
            process_env = {
                **os.environ,
                "PYTHONPATH": str(ROOT),  # the tree under test, whatever the virtualenv points at
                "DATABASE_URL": db_url,
                "INTAKE_ENV": "development",
                "LOG_LEVEL": "WARNING",
                "PUBLIC_BASE_URL": base,
                "TRUSTED_PROXIES": "127.0.0.1",
                "METRICS": "on",
                "METRICS_PORT": str(metrics_port),
                "DIRECTLINE_RECOVERY_SECONDS": "2",
                **(env or {}),
            }
            with open(workdir / f"intake-{n}.log", "ab") as log:  # noqa: ASYNC230 (a local file, once)
                popen = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bot",
                    "serve",
                    "--port",
                    str(port),
                    cwd=workdir,
                    env=process_env,
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=log,
                )
            started.append(popen)
            members.append(Process(port=port, metrics_port=metrics_port, popen=popen))
        for member in members:
            await _until_answers(http, f"http://127.0.0.1:{member.port}{started_when}", member.popen)
        conf = render_nginx(workdir, listen=listen, upstreams=[m.port for m in members], connections=connections)
        check = await asyncio.create_subprocess_exec(
            NGINX, "-t", "-c", str(conf), "-p", str(workdir), stderr=asyncio.subprocess.PIPE
        )
        _, errors = await check.communicate()
        assert check.returncode == 0, errors.decode()
        with open(workdir / "nginx.out", "ab") as out:  # noqa: ASYNC230 (a local file, once)
            nginx = await asyncio.create_subprocess_exec(
                NGINX, "-c", str(conf), "-p", str(workdir), stdout=out, stderr=out
            )
        started.append(nginx)
        await _until_answers(http, f"{base}/healthz", nginx)
        yield Cluster(base=base, processes=members, http=http)

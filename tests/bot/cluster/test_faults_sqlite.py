"""A full disk under one process's SQLite file, or a file it may not write (issue #13 item 3): customers get a
clear 503 (never a 500), /readyz says not ready and why, and once there is room again, or the file is
writable again, conversations go on without a restart and the file is sound. The disk is a small tmpfs of
the test's own and the unwritable file an immutable one (both need root, as the suite runs in CI)."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from store.migrate import upgrade_async
from tests.bot.cluster.customers import OUTAGE_CHAT, WebChatCustomer, k_number
from tests.bot.cluster.harness import Cluster, running_cluster
from tests.store.files import immutable

DISK = "16m"
# Each refused message is big (the bot keeps a long description), so the write-ahead log must grow.
LONG = "the viewer is down for everyone " * 4000


@contextmanager
def small_disk() -> Iterator[Path]:
    mount = Path(tempfile.mkdtemp(prefix="intake-disk-"))
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK}", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        mount.rmdir()
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)
        mount.rmdir()


def fill(disk: Path) -> Path:
    """Fill `disk` to the last block; returns the filler file."""
    filler = disk / "filler"
    with filler.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass
    return filler


async def ready(cluster: Cluster) -> tuple[int, dict[str, object]]:
    async with cluster.http.get(f"http://127.0.0.1:{cluster.processes[0].port}/readyz") as response:
        return response.status, await response.json()


async def test_a_full_disk_is_a_clear_503_and_not_ready_then_fine_with_room_again(tmp_path: Path) -> None:
    with small_disk() as disk:
        db_path = disk / "intake.db"
        async with running_cluster(
            f"sqlite+aiosqlite:///{db_path}", tmp_path, processes=1, env={"METRICS": "off"}
        ) as cluster:
            customer = WebChatCustomer(http=cluster.http, base=cluster.base)
            await customer.start()
            assert (await ready(cluster))[0] == 200
            filler = await asyncio.to_thread(fill, disk)

            status, body = await ready(cluster)
            assert status == 503 and body["error"] == {
                "code": "database_not_writable",
                "message": "the database's disk is full",
            }, body
            url = f"{cluster.base}/v3/directline/conversations/{customer.conversation}/activities"
            auth = {"Authorization": f"Bearer {customer.token}"}
            refused = None
            for n in range(20):  # until the log has no room left to reuse
                message = {
                    "type": "message",
                    "text": f"{k_number(1)} {LONG}",
                    "from": {"id": "customer"},
                    "channelData": {"clientActivityID": f"full-{n}"},
                }
                async with cluster.http.post(url, json=message, headers=auth) as response:
                    assert response.status in (200, 503), await response.text()
                    if response.status == 503:
                        refused = await response.json()
                        assert response.headers["Retry-After"]
                        break
            assert refused is not None, "the full disk never refused a write"
            assert refused["error"]["code"] == "database_not_writable", refused
            assert "disk is full" in refused["error"]["message"]

            filler.unlink()
            assert (await ready(cluster))[0] == 200
            # The same conversation goes on to its case.
            await customer.says(
                f"{k_number(2)} {OUTAGE_CHAT}", until=lambda t: "Is that right?" in t or "Severity" in t
            )
            await customer.close()
        with sqlite3.connect(db_path) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


async def test_a_read_only_file_is_a_clear_503_and_not_ready_then_fine_once_writable(tmp_path: Path) -> None:
    # The operator restored a backup the service may not write: it starts, reads, and refuses writes clearly.
    db_path = tmp_path / "intake.db"
    url = f"sqlite+aiosqlite:///{db_path}"
    await upgrade_async(url)
    with immutable(db_path) as writable_again:
        async with running_cluster(
            url, tmp_path, processes=1, env={"METRICS": "off"}, started_when="/healthz"
        ) as cluster:
            status, body = await ready(cluster)
            assert status == 503 and body["error"] == {
                "code": "database_not_writable",
                "message": "the database file is read-only",
            }, body
            async with cluster.http.post(f"{cluster.base}/api/webchat/token") as response:
                assert response.status == 503, await response.text()
                assert response.headers["Retry-After"]
                refused = await response.json()
            assert refused["error"]["code"] == "database_not_writable", refused
            assert "read-only" in refused["error"]["message"]

            writable_again()
            assert (await ready(cluster))[0] == 200
            # The same process, not restarted, takes a whole conversation to its proposal.
            customer = WebChatCustomer(http=cluster.http, base=cluster.base)
            await customer.start()
            await customer.says(
                f"{k_number(3)} {OUTAGE_CHAT}", until=lambda t: "Is that right?" in t or "Severity" in t
            )
            await customer.close()
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)

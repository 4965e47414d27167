"""The console pages' scripts and stylesheets: each page names its files, served from a route of its own with
one set of headers; any other name is 404 (no path is ever built from what a client sent)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

from aiohttp import web

from bot.errors import AssetMissingError, NotFoundError

STATIC_DIR = Path(__file__).resolve().parent / "static"
ASSET_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


def in_static(*names: str) -> dict[str, Path]:
    """Files of the console's static folder, by name."""
    return {name: STATIC_DIR / name for name in names}


def serve_assets(app: web.Application, route: str, files: Mapping[str, Path]) -> None:
    """GET `route` + "/{name}": one of `files` (name -> path); any other name is 404, a file missing on the
    server (an npm package not installed) 503 with what to run."""
    known = dict(files)

    async def asset(request: web.Request) -> web.StreamResponse:
        path = known.get(request.match_info["name"])
        if path is None:
            raise NotFoundError("no such file")
        if not await asyncio.to_thread(path.is_file):
            raise AssetMissingError(f"{path.name} is missing on the server: run ./scripts/setup")
        return web.FileResponse(path, headers=ASSET_HEADERS)

    app.router.add_get(route.rstrip("/") + "/{name}", asset)

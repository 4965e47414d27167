"""The public page at `/`: company name, chat hours and the official Web Chat, all served by this service."""

from __future__ import annotations

import asyncio
import gzip
import html
import json
import logging
from pathlib import Path

from aiohttp import web

log = logging.getLogger(__name__)

WEBCHAT_PACKAGE = Path("node_modules") / "botframework-webchat"
WEBCHAT_BUNDLE = WEBCHAT_PACKAGE / "dist" / "webchat.js"
WEBCHAT_PATH = "/web/webchat.js"
APP_PATH = "/web/app.js"

# Web Chat styles itself with injected <style> elements (hence 'unsafe-inline' for styles only); scripts,
# the token fetch and the Direct Line WebSocket all stay on this origin.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "media-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
_PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
# The bundle URL carries its version, so browsers may keep it for long.
_BUNDLE_CACHE = "public, max-age=604800, immutable"


def render_page(template: str, *, company_name: str, chat_hours: str, webchat_src: str, app_src: str) -> str:
    """Fill the page template's {{placeholders}}, HTML-escaped."""
    values = {
        "company_name": company_name,
        "chat_hours": chat_hours,
        "webchat_src": webchat_src,
        "app_src": app_src,
    }
    page = template
    for name, value in values.items():
        page = page.replace("{{" + name + "}}", html.escape(value, quote=True))
    return page


def _webchat_version(web_dir: Path) -> str:
    try:
        manifest = json.loads((web_dir / WEBCHAT_PACKAGE / "package.json").read_text("utf-8"))
    except (OSError, ValueError):
        return "missing"
    version = manifest.get("version") if isinstance(manifest, dict) else None
    return version if isinstance(version, str) else "unknown"


class _Bundle:
    """The Web Chat bundle (about 4 MB), gzipped once on first demand for browsers that take gzip."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._gzipped: bytes | None = None
        self._lock = asyncio.Lock()

    async def _gzip(self) -> bytes:
        async with self._lock:
            if self._gzipped is None:
                self._gzipped = await asyncio.to_thread(lambda: gzip.compress(self._path.read_bytes(), 6))
            return self._gzipped

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """GET the bundle."""
        if not self._path.is_file():
            return web.json_response(
                {"error": {"code": "WebChatMissing", "message": "run `npm ci --prefix bot/web` on the server"}},
                status=503,
            )
        headers = {"Cache-Control": _BUNDLE_CACHE, "X-Content-Type-Options": "nosniff"}
        if "gzip" not in request.headers.get("Accept-Encoding", ""):
            return web.FileResponse(self._path, headers=headers)
        body = await self._gzip()
        headers |= {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
        return web.Response(body=body, content_type="text/javascript", charset="utf-8", headers=headers)


def setup_website(app: web.Application, *, company_name: str, chat_hours: str, web_dir: Path) -> None:
    """Serve the page at `/` and its two scripts (Web Chat from web_dir's node_modules, and app.js)."""
    bundle_path = web_dir / WEBCHAT_BUNDLE
    if not bundle_path.is_file():
        # The page still renders (name, hours); the chat shows its fallback message until npm has run.
        log.warning("Web Chat bundle missing at %s: run `npm ci --prefix bot/web`", bundle_path)
    version = _webchat_version(web_dir)
    page = render_page(
        (web_dir / "index.html").read_text("utf-8"),
        company_name=company_name,
        chat_hours=chat_hours,
        webchat_src=f"{WEBCHAT_PATH}?v={version}",
        app_src=APP_PATH,
    )
    app_js = web_dir / "app.js"
    bundle = _Bundle(bundle_path)

    async def index(request: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html", charset="utf-8", headers=_PAGE_HEADERS)

    async def app_script(request: web.Request) -> web.FileResponse:
        return web.FileResponse(app_js, headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})

    app.router.add_get("/", index)
    app.router.add_get(WEBCHAT_PATH, bundle.handle)
    app.router.add_get(APP_PATH, app_script)

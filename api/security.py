"""Response headers that keep the service's pages from being framed, sniffed or made to run
foreign code, and CORS that lets other sites read the data with GET only.

Every answer carries ``X-Content-Type-Options: nosniff`` and a Content-Security-Policy. An HTML
page may run scripts from this origin and the inline scripts it carries, each pinned by its
SHA-256: folium writes a map's start-up code inline, and a hash admits exactly that code where
``'unsafe-inline'`` would admit any injected script too. Other answers (JSON, CSV, assets) get
``default-src 'none'``: opened on their own they load nothing.

Embeds (``/embed`` and below) may be framed by the sites in ``Settings.embed_ancestors`` (any,
by default) so that newsrooms can place them; every other path refuses to be framed, with
``frame-ancestors 'none'`` and ``X-Frame-Options: DENY`` for browsers that predate CSP.
"""

import base64
import hashlib
import re
from collections.abc import Iterable, Sequence

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.settings import Settings

EMBED_PREFIX = "/embed"
PAGE_SOURCES = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    # Leaflet and folium style elements inline; a style cannot run code.
    "style-src": ("'self'", "'unsafe-inline'"),
    # Standalone maps carry Leaflet's images as data: URIs.
    "img-src": ("'self'", "data:"),
    "object-src": ("'none'",),
    "base-uri": ("'none'",),
    "form-action": ("'self'",),
}
NON_PAGE_SOURCES = {"default-src": ("'none'",)}
# FastAPI's interactive docs load Swagger UI and ReDoc from jsDelivr, their fonts from Google
# and their icon from fastapi.tiangolo.com; these pages only, and no map, may use those hosts.
DOCS_SOURCES = {
    "script-src": ("https://cdn.jsdelivr.net",),
    "style-src": ("https://cdn.jsdelivr.net", "https://fonts.googleapis.com"),
    "img-src": ("https://fastapi.tiangolo.com", "https://cdn.jsdelivr.net"),
    "font-src": ("'self'", "https://fonts.gstatic.com"),
    "worker-src": ("'self'", "blob:"),
}
_SCRIPT = re.compile(rb"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_SRC_ATTRIBUTE = re.compile(rb"\bsrc\s*=", re.IGNORECASE)
_TYPE_ATTRIBUTE = re.compile(rb"""\btype\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
_SCRIPT_TYPES = {b"", b"text/javascript", b"application/javascript", b"module"}


def add_security(app: FastAPI, settings: Settings) -> None:
    """Install the headers middleware (outermost, so errors get the headers too) and CORS."""
    if settings.cors_origins:
        app.add_middleware(_GetOnlyCORS, allow_origins=settings.cors_origins, allow_methods=["GET"])
    docs_paths = {path for path in (app.docs_url, app.redoc_url) if path}
    app.add_middleware(
        SecurityHeaders, embed_ancestors=tuple(settings.embed_ancestors), docs_paths=docs_paths
    )


class _GetOnlyCORS(CORSMiddleware):
    """CORS for GET and HEAD: a browser sends a cross-origin POST with a CSV or plain-text body
    without asking first, so such a request passes here untouched, with no
    ``Access-Control-Allow-Origin``, and the calling page cannot read the answer."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


class SecurityHeaders:
    """ASGI middleware adding ``nosniff``, the framing rules and the Content-Security-Policy.

    An HTML answer is held until its last byte so that its inline scripts can be hashed into
    its policy; other answers pass through as they stream.
    """

    def __init__(
        self, app: ASGIApp, embed_ancestors: Sequence[str], docs_paths: Iterable[str] = ()
    ) -> None:
        self.app = app
        self.embed_ancestors = tuple(embed_ancestors)
        self.docs_paths = frozenset(docs_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"].removeprefix(scope.get("root_path", ""))
        embed = path == EMBED_PREFIX or path.startswith(EMBED_PREFIX + "/")
        ancestors = self.embed_ancestors if embed else ("'none'",)
        docs = path in self.docs_paths
        held: list[Message] = []

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                if not embed:
                    headers["X-Frame-Options"] = "DENY"
                if headers.get("content-type", "").startswith("text/html"):
                    held.append(message)
                    return
                headers["Content-Security-Policy"] = _policy(NON_PAGE_SOURCES, ancestors)
            elif held:
                held.append(message)
                if message.get("more_body", False):
                    return
                start, *bodies = held
                body = b"".join(part.get("body", b"") for part in bodies)
                sources = _page_sources(body, docs)
                MutableHeaders(scope=start)["Content-Security-Policy"] = _policy(sources, ancestors)
                await send(start)
                message = {"type": "http.response.body", "body": body}
            await send(message)

        await self.app(scope, receive, send_secured)


def _page_sources(html: bytes, docs: bool) -> dict[str, tuple[str, ...]]:
    """The page policy's sources, with this page's inline scripts admitted by hash."""
    sources = dict(PAGE_SOURCES)
    sources["script-src"] += tuple(f"'sha256-{digest}'" for digest in inline_script_hashes(html))
    if docs:
        for directive, extra in DOCS_SOURCES.items():
            sources[directive] = sources.get(directive, ()) + extra
    return sources


def inline_script_hashes(html: bytes) -> list[str]:
    """Base64 SHA-256 of each inline script the browser would run, in page order, once each.

    Data blocks such as ``<script type="application/json">`` do not run and need no hash.

    Examples
    --------
    >>> inline_script_hashes(b'<script>go()</script><script src="/a.js"></script>')
    ['5KYv+PUboo5h+0+YAtGRPbwv5d/QxzHslP4YGnUaxRw=']
    """
    digests: list[str] = []
    for match in _SCRIPT.finditer(html):
        attributes, code = match.groups()
        kind = _TYPE_ATTRIBUTE.search(attributes)
        if _SRC_ATTRIBUTE.search(attributes) or (
            kind is not None and kind.group(1).lower() not in _SCRIPT_TYPES
        ):
            continue
        # The browser hashes the parsed text, in which the HTML parser has made every CR LF
        # and lone CR a LF.
        text = code.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        digest = base64.b64encode(hashlib.sha256(text).digest()).decode()
        if digest not in digests:
            digests.append(digest)
    return digests


def _policy(sources: dict[str, tuple[str, ...]], ancestors: Sequence[str]) -> str:
    directives = {**sources, "frame-ancestors": tuple(ancestors)}
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())

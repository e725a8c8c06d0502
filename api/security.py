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

Answers are gzip-compressed for clients that accept it, outside the headers middleware so that
it hashes the page as written. A route that keeps its pages ready-made (the map pages) hashes
each once and declares the hashes with :func:`declare_inline_scripts`; its page then passes
through as it is, possibly compressed already, instead of being held and scanned again.
"""

import base64
import hashlib
import re
from collections.abc import Iterable, Sequence

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.datastructures import MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
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
GZIP_LEVEL = 4
"""zlib level for answers compressed as they are sent: the largest common one (100 county
polygons, 0.26 MB) shrinks to 55 kB in 3 ms, where level 9 takes 17 ms for 51 kB."""
GZIP_MINIMUM_BYTES = 14_600
"""An answer that fits TCP's initial congestion window (10 segments of 1,460 bytes, RFC 6928)
arrives in one round trip compressed or not: compressing it would cost the server (a point
look-up's 1.3 kB answer spent more time in gzip than in the look-up) and save the reader
nothing."""
SCRIPT_HASHES = "enforcemap.inline_script_hashes"
"""The ASGI scope key under which a route declares its page's inline-script hashes."""


def add_security(app: FastAPI, settings: Settings) -> None:
    """Install the headers middleware (outermost but for gzip, so errors get the headers too),
    CORS, and gzip around them all (so the headers middleware reads pages uncompressed)."""
    if settings.cors_origins:
        app.add_middleware(_GetOnlyCORS, allow_origins=settings.cors_origins, allow_methods=["GET"])
    docs_paths = {path for path in (app.docs_url, app.redoc_url) if path}
    app.add_middleware(
        SecurityHeaders, embed_ancestors=tuple(settings.embed_ancestors), docs_paths=docs_paths
    )
    # Added last, so outermost: it compresses what SecurityHeaders has hashed and passes an
    # answer that already has a Content-Encoding (a ready-made map page) as it is.
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=GZIP_LEVEL)


def declare_inline_scripts(scope: Scope, hashes: Iterable[str]) -> None:
    """Say that the HTML page this request answers runs exactly the inline scripts ``hashes``
    (:func:`inline_script_hashes` of the page): the headers middleware then admits them without
    holding and scanning the page, which may be sent compressed."""
    scope[SCRIPT_HASHES] = tuple(hashes)


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
    its policy, unless its route declared them (:func:`declare_inline_scripts`); other answers
    pass through as they stream.
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
                    declared = scope.get(SCRIPT_HASHES)
                    if declared is None:
                        held.append(message)
                        return
                    sources = _page_sources(declared, docs)
                    headers["Content-Security-Policy"] = _policy(sources, ancestors)
                    await send(message)
                    return
                headers["Content-Security-Policy"] = _policy(NON_PAGE_SOURCES, ancestors)
            elif held:
                held.append(message)
                if message.get("more_body", False):
                    return
                start, *bodies = held
                body = b"".join(part.get("body", b"") for part in bodies)
                sources = _page_sources(inline_script_hashes(body), docs)
                MutableHeaders(scope=start)["Content-Security-Policy"] = _policy(sources, ancestors)
                await send(start)
                message = {"type": "http.response.body", "body": body}
            await send(message)

        await self.app(scope, receive, send_secured)


def _page_sources(hashes: Iterable[str], docs: bool) -> dict[str, tuple[str, ...]]:
    """The page policy's sources, with the page's inline scripts admitted by hash."""
    sources = dict(PAGE_SOURCES)
    sources["script-src"] += tuple(f"'sha256-{digest}'" for digest in hashes)
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

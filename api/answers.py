"""Whole answers kept ready to send: encoded, gzip-compressed, tagged.

A map page, a county profile, a statistic or a page of items depends only on its URL, a few
request headers and the snapshot, so each is made once (:mod:`api.kept`) and kept as bytes with
its gzip form, its entity tag and, for a page, its inline scripts' hashes. A kept answer is sent
from the event loop without validation, encoding or compression; answers say how long a cache
may keep them and answer ``If-None-Match`` with 304.
"""

import gzip
import hashlib
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

from api.kept import Kept
from api.security import declare_inline_scripts, inline_script_hashes

ANSWER_CACHE_BYTES = 256 * 1024 * 1024
"""Kept answers, plain and compressed: a national map page is 1.2 MB, a state's 0.1 MB, a
profile or a statistic a few kB."""
GZIP_LEVEL = 6
"""A kept answer is compressed once: a national page to 0.26 MB in 45 ms (level 9: 0.256 MB in
190 ms)."""
CACHE_CONTROL = "public, max-age=300"
"""An answer without ``date`` shows the newest data, which a snapshot update changes: caches
keep answers five minutes, then revalidate with the entity tag."""
JSON = "application/json"
HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Body:
    """An answer's body ready to send: plain and gzip, its entity tag, its scripts' hashes."""

    plain: bytes
    compressed: bytes
    etag: str
    """Weak: the plain and the gzip body are the same answer (RFC 9110, 8.8.1)."""
    script_hashes: tuple[str, ...]
    """:func:`api.security.inline_script_hashes` of an HTML page (empty otherwise)."""

    @classmethod
    def of(cls, text: str, html: bool) -> "Body":
        """Encode, compress, tag and, for a page, hash ``text``."""
        plain = text.encode()
        return cls(
            plain=plain,
            compressed=gzip.compress(plain, GZIP_LEVEL, mtime=0),
            etag=f'W/"{hashlib.sha256(plain).hexdigest()[:32]}"',
            script_hashes=tuple(inline_script_hashes(plain)) if html else (),
        )

    @classmethod
    def of_model(cls, model: type[BaseModel], value: dict) -> "Body":
        """``value`` validated by its response ``model`` and encoded, once, as FastAPI would."""
        return cls.of(model.model_validate(value).model_dump_json(by_alias=True), html=False)

    @property
    def size(self) -> int:
        """Bytes held."""
        return len(self.plain) + len(self.compressed)


def kept_answers() -> Kept[Body]:
    """An empty store of answers for one snapshot (``app.state.answers``)."""
    return Kept(ANSWER_CACHE_BYTES, weigh=lambda body: body.size)


async def answer(
    request: Request,
    key: Hashable,
    make: Callable[[], Body],
    media_type: str = JSON,
    headers: dict[str, str] | None = None,
) -> Response:
    """The answer of ``key``: kept, else made by ``make()`` on a worker thread, then sent."""
    body = await request.app.state.answers.served(key, make)
    return send(request, body, media_type, headers or {})


def send(request: Request, body: Body, media_type: str, headers: dict[str, str]) -> Response:
    """``body`` as the client takes it: 304 when it holds this version, gzip when it accepts it.

    A page's inline scripts are declared to the headers middleware, which need not scan it.
    """
    vary = ", ".join(filter(None, (headers.pop("Vary", None), "Accept-Encoding")))
    headers |= {"ETag": body.etag, "Cache-Control": CACHE_CONTROL, "Vary": vary}
    if _holds(request, body.etag):
        return Response(status_code=304, headers=headers)
    if body.script_hashes:
        declare_inline_scripts(request.scope, body.script_hashes)
    if _accepts_gzip(request):
        headers["Content-Encoding"] = "gzip"
        return Response(body.compressed, media_type=media_type, headers=headers)
    return Response(body.plain, media_type=media_type, headers=headers)


def _holds(request: Request, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison) or is ``*``."""
    given = request.headers.get("if-none-match")
    if not given:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in given.split(",")}
    return "*" in tags or etag.removeprefix("W/") in tags


def _accepts_gzip(request: Request) -> bool:
    """Whether ``Accept-Encoding`` admits gzip (named or by ``*``) with a quality above 0."""
    admitted = {}
    for part in request.headers.get("accept-encoding", "").split(","):
        coding, *params = (item.strip() for item in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        admitted[coding.lower()] = quality
    for coding in ("gzip", "x-gzip", "*"):
        if coding in admitted:
            return admitted[coding] > 0
    return False

"""Fetch new releases of the publishers' files into the raw folder, checked before they land.

ICE republishes its 287(g) participating and pending sheets every few days and its detention
statistics a few times a year. `update` reads each landing page in `SOURCES`, finds the file
links on it, and downloads only what the raw folder does not hold yet: a file whose dated name
already exists is not requested; a URL fetched before is asked for with its ``ETag`` /
``Last-Modified``; a body whose SHA-256 the folder already holds is dropped.

A download is written to a hidden folder inside the raw folder, checked (an xlsx, a complete ZIP,
then the build's own reader), and only then linked under the name the build expects. A file that
fails is reported as one line naming its URL and the problem and never reaches the raw folder;
no existing raw file is ever overwritten or deleted. Each saved file gets one line in
``fetch_log.csv`` (URL, time, bytes, SHA-256, HTTP status, validators, publisher, licence).

Requests go one at a time, at most one per host every `Fetcher.min_interval` seconds, with a
timeout, a ``User-Agent`` naming the tool, and retries with exponential back-off on timeouts,
dropped connections, 429 and 5xx.
"""

import csv
import hashlib
import os
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, date, datetime
from functools import lru_cache
from html.parser import HTMLParser
from importlib.metadata import version
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import NamedTuple, Self
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import httpx

from geo.sources import SourceError
from geo.sources.agreements import read_workbook, state_lookup
from geo.sources.counties import read_states
from geo.sources.detention import STATS_DIR, read_facility_years

FETCH_LOG = "fetch_log.csv"
USER_AGENT = (
    f"enforcemap/{version('enforcemap')} (county atlas of US immigration enforcement; "
    "fetches public ICE files about once a week)"
)
TIMEOUT = httpx.Timeout(60.0, connect=15.0)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_FILE_BYTES = 50 * 1024 * 1024  # ICE's workbooks so far are under 2 MB
MAX_PAGE_BYTES = 5 * 1024 * 1024
MAX_RETRY_AFTER = 120.0
_STAGING_PREFIX = ".update-"


class Link(NamedTuple):
    """A file link found on a landing page, with its file name matched against the source."""

    url: str
    match: re.Match[str]


@dataclass(frozen=True)
class Source:
    """A publisher's landing page and how its file links become raw files the build reads."""

    name: str
    publisher: str
    landing_url: str
    licence: str
    link: re.Pattern[str]
    """Matched against a link's decoded file name; links to other hosts are never followed."""
    folder: str
    """Where the files go, relative to the raw folder."""
    file_name: Callable[[re.Match[str], date], str]
    """The saved name, from the link's match and the download date."""
    validate: Callable[[Path, Path], None]
    """Check a downloaded file (named as it will be saved) against the raw folder's readers;
    raises `SourceError`."""
    pick: Callable[[list[Link]], list[Link]] = list
    """Which of the matching links to fetch."""


@dataclass(frozen=True)
class Saved:
    """A file written into the raw folder, as logged in ``fetch_log.csv``."""

    fetched_at: str
    url: str
    http_status: int
    bytes: int
    sha256: str
    etag: str
    last_modified: str
    saved_as: str
    source: str
    publisher: str
    licence: str


@dataclass(frozen=True)
class Rejection:
    """A page or file that was not taken, and why."""

    url: str
    problem: str

    def __str__(self) -> str:
        return f"{self.url}: {self.problem}"


LOG_COLUMNS = [f.name for f in fields(Saved)]
"""The columns of ``fetch_log.csv``, one row per saved file."""


@dataclass
class UpdateResult:
    """What one run saved, found unchanged and rejected."""

    saved: list[Saved] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


class FetchError(Exception):
    """A request failed for good: after its retries, or with a body over the size limit."""


@dataclass(frozen=True)
class Reply:
    """A finished GET: final URL, status, headers and (for 200 only) the body."""

    url: str
    status: int
    reason: str
    headers: httpx.Headers
    body: bytes
    attempts: int


class Fetcher:
    """Sequential GETs with a per-host pause, timeouts and retries with exponential back-off.

    Parameters
    ----------
    attempts : int
        Tries per request; timeouts, dropped connections, 429 and 5xx are retried.
    backoff : float
        Seconds before the second try, doubling after each (a ``Retry-After`` header wins,
        capped at `MAX_RETRY_AFTER`).
    min_interval : float
        Seconds between two requests to one host, so a run never hammers the publisher.
    """

    def __init__(
        self,
        attempts: int = 4,
        backoff: float = 2.0,
        min_interval: float = 1.0,
    ) -> None:
        self.attempts = attempts
        self.backoff = backoff
        self.min_interval = min_interval
        self._last_request: dict[str, float] = {}
        self._client = httpx.Client(
            headers={"User-Agent": USER_AGENT}, timeout=TIMEOUT, follow_redirects=True
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._client.close()

    def get(
        self, url: str, headers: dict[str, str] | None = None, limit: int = MAX_FILE_BYTES
    ) -> Reply:
        """GET ``url``; returns a `Reply` or raises `FetchError` once the retries are spent."""
        attempt = 0
        while True:
            attempt += 1
            self._wait_for(urlsplit(url).netloc)
            try:
                with self._client.stream("GET", url, headers=headers) as response:
                    if response.status_code in RETRY_STATUSES and attempt < self.attempts:
                        time.sleep(self._delay(attempt, response.headers.get("Retry-After")))
                        continue
                    body = _read(response, limit) if response.status_code == 200 else b""
                    return Reply(
                        str(response.url),
                        response.status_code,
                        response.reason_phrase,
                        response.headers,
                        body,
                        attempt,
                    )
            except httpx.TransportError as exc:
                if attempt == self.attempts:
                    raise FetchError(
                        f"download failed after {attempt} attempts ({type(exc).__name__}: {exc})"
                    ) from exc
                time.sleep(self._delay(attempt, None))

    def _wait_for(self, host: str) -> None:
        last = self._last_request.get(host)
        if last is not None:
            time.sleep(max(0.0, self.min_interval - (time.monotonic() - last)))
        self._last_request[host] = time.monotonic()

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after and retry_after.strip().isdigit():
            return min(float(retry_after), MAX_RETRY_AFTER)
        return self.backoff * 2 ** (attempt - 1)


def _read(response: httpx.Response, limit: int) -> bytes:
    """The body, refusing more than ``limit`` bytes (a runaway response is not a workbook)."""
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise FetchError(f"body larger than {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def update(
    raw_dir: Path,
    sources: Sequence[Source] | None = None,
    fetcher: Fetcher | None = None,
    today: date | None = None,
) -> UpdateResult:
    """Fetch what is new from every source into ``raw_dir``; returns what happened to each URL.

    A problem with one page or file is recorded in `UpdateResult.rejected` and the run goes on
    with the rest; only a raw folder that is missing or read-only raises `SourceError`.

    Examples
    --------
    >>> result = update(Path("../shared/data"))  # doctest: +SKIP
    >>> [saved.saved_as for saved in result.saved]  # doctest: +SKIP
    ['287g/sheets/2026-05-25_participating.xlsx']
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise SourceError(raw_dir, "raw data folder not found")
    if not os.access(raw_dir, os.W_OK):
        raise SourceError(raw_dir, "raw data folder is not writable")
    today = today or datetime.now(UTC).date()
    result = UpdateResult()
    with nullcontext(fetcher) if fetcher else Fetcher() as active:
        for source in SOURCES if sources is None else sources:
            _update_source(source, raw_dir, active, today, result)
    return result


def with_landing_urls(
    overrides: dict[str, str], sources: Sequence[Source] | None = None
) -> tuple[Source, ...]:
    """The registry with some landing pages moved (a mirror, or a test server)."""
    sources = SOURCES if sources is None else sources
    unknown = sorted(set(overrides) - {source.name for source in sources})
    if unknown:
        known = ", ".join(source.name for source in sources)
        raise ValueError(f"unknown source(s) {', '.join(unknown)}; the registry has {known}")
    return tuple(
        replace(source, landing_url=overrides.get(source.name, source.landing_url))
        for source in sources
    )


class _Refused(Exception):
    """Why a page or file is not taken; reported as a `Rejection` of its URL."""


def _update_source(
    source: Source, raw_dir: Path, fetcher: Fetcher, today: date, result: UpdateResult
) -> None:
    try:
        page = _get(fetcher, source.landing_url, limit=MAX_PAGE_BYTES)
        links = find_links(_page_text(page), page.url, source.link)
        if not links:
            raise _Refused(
                f"no link on this host whose file name matches {source.link.pattern!r}; "
                "has the page changed?"
            )
    except _Refused as exc:
        result.rejected.append(Rejection(source.landing_url, str(exc)))
        return
    for link in source.pick(links):
        _update_file(source, link, raw_dir, fetcher, today, result)


def _get(
    fetcher: Fetcher, url: str, headers: dict[str, str] | None = None, limit: int = MAX_FILE_BYTES
) -> Reply:
    """A 200 or 304 reply; anything else is refused with its status."""
    try:
        reply = fetcher.get(url, headers, limit)
    except FetchError as exc:
        raise _Refused(str(exc)) from exc
    if reply.status not in (200, 304):
        tries = f" after {reply.attempts} attempts" if reply.status in RETRY_STATUSES else ""
        raise _Refused(f"HTTP {reply.status} {reply.reason}{tries}")
    return reply


def _page_text(page: Reply) -> str:
    charset = re.search(r"charset=([\w-]+)", page.headers.get("content-type", ""))
    try:
        return page.body.decode(charset.group(1) if charset else "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know: the links are ASCII anyway
        return page.body.decode("utf-8", errors="replace")


def find_links(html: str, base_url: str, pattern: re.Pattern[str]) -> list[Link]:
    """File links in ``html`` on the page's own host whose file name matches ``pattern``.

    Examples
    --------
    >>> page = '<a href="/doclib/287g/participatingAgencies05182026am.xlsx">Participating</a>'
    >>> [link.url for link in find_links(page, "https://www.ice.gov/287g", re.compile(r".*xlsx"))]
    ['https://www.ice.gov/doclib/287g/participatingAgencies05182026am.xlsx']
    """
    anchors = _Anchors()
    anchors.feed(html)
    host = urlsplit(base_url).netloc
    found: dict[str, Link] = {}
    for href in anchors.hrefs:
        url = urldefrag(urljoin(base_url, href)).url
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.netloc != host:
            continue
        match = pattern.fullmatch(PurePosixPath(unquote(parts.path)).name)
        if match and url not in found:
            found[url] = Link(url, match)
    return list(found.values())


class _Anchors(HTMLParser):
    """Collects the ``href`` of every ``<a>``; ICE's pages need nothing more."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") if tag == "a" else None
        if href:
            self.hrefs.append(href.strip())


def _update_file(
    source: Source, link: Link, raw_dir: Path, fetcher: Fetcher, today: date, result: UpdateResult
) -> None:
    """Fetch one linked file unless the raw folder holds it; check it and save it, or refuse it."""
    relative = f"{source.folder}/{source.file_name(link.match, today)}"
    target = raw_dir / relative
    if target.exists():
        result.unchanged.append(link.url)
        return
    logged = [row for row in read_fetch_log(raw_dir) if row["url"] == link.url]
    try:
        reply = _get(fetcher, link.url, _conditional_headers(logged[-1] if logged else None))
        sha256 = hashlib.sha256(reply.body).hexdigest()
        if reply.status == 304 or sha256 in {r["sha256"] for r in logged} | _hashes(target.parent):
            result.unchanged.append(link.url)
            return
        _place(reply, target, source, raw_dir)
    except _Refused as exc:
        result.rejected.append(Rejection(link.url, str(exc)))
        return
    saved = Saved(
        fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
        url=link.url,
        http_status=reply.status,
        bytes=len(reply.body),
        sha256=sha256,
        etag=reply.headers.get("etag", ""),
        last_modified=reply.headers.get("last-modified", ""),
        saved_as=relative,
        source=source.name,
        publisher=source.publisher,
        licence=source.licence,
    )
    _append_log(raw_dir, saved)
    result.saved.append(saved)


def _place(reply: Reply, target: Path, source: Source, raw_dir: Path) -> None:
    """Write the body to a hidden folder in the raw folder, check it with the build's readers,
    then hard-link it under its name: atomic, and never replacing a file."""
    staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=raw_dir))
    try:
        staged = staging / target.name
        staged.write_bytes(reply.body)
        _check_xlsx(staged, reply.headers.get("content-type", ""))
        source.validate(staged, raw_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(staged, target)
    except SourceError as exc:
        if exc.path.name == target.name:
            raise _Refused(exc.problem) from exc
        raise _Refused(
            f"refused beside the files already held ({exc.path.name}: {exc.problem})"
        ) from exc
    except FileExistsError as exc:
        raise _Refused(f"{target.name} appeared meanwhile; left as it is") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _conditional_headers(logged: dict[str, str] | None) -> dict[str, str]:
    """Validators from the URL's last logged download, so an unchanged file costs a 304."""
    headers = {}
    if logged and logged.get("etag"):
        headers["If-None-Match"] = logged["etag"]
    if logged and logged.get("last_modified"):
        headers["If-Modified-Since"] = logged["last_modified"]
    return headers


def _hashes(folder: Path) -> set[str]:
    if not folder.is_dir():
        return set()
    return {hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()}


def _check_xlsx(path: Path, content_type: str) -> None:
    """An xlsx is a ZIP: refuse an HTML error page and a truncated or corrupt archive up front,
    with a plainer message than the spreadsheet reader's."""
    with path.open("rb") as handle:
        head = handle.read(512)
    if not head.startswith(b"PK\x03\x04"):
        html = "html" in content_type.lower() or re.search(rb"<(!doctype|html)", head.lower())
        kind = f"an HTML page ({content_type or 'no content type'})" if html else "not a ZIP file"
        raise SourceError(path, f"{kind}, not an xlsx workbook")
    try:
        with zipfile.ZipFile(path) as archive:
            broken = archive.testzip()
    except zipfile.BadZipFile as exc:
        raise SourceError(path, f"truncated or corrupt xlsx workbook ({exc})") from exc
    if broken is not None:
        raise SourceError(path, f"corrupt xlsx workbook: {broken} fails its CRC check")


def read_fetch_log(raw_dir: Path) -> list[dict[str, str]]:
    """The rows of ``raw_dir/fetch_log.csv``, oldest first (empty when there is none)."""
    path = Path(raw_dir) / FETCH_LOG
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _append_log(raw_dir: Path, saved: Saved) -> None:
    path = raw_dir / FETCH_LOG
    new = not path.exists()
    with path.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=LOG_COLUMNS, lineterminator="\n")
        if new:
            writer.writeheader()
        writer.writerow(asdict(saved))


# -- ICE's 287(g) page -------------------------------------------------------------------------

_SHEET_LINK = re.compile(
    r"(?P<list>participating|pending)Agencies-?(?P<digits>\d*)(?:am|pm)?\.xlsx", re.IGNORECASE
)
_NAME_DATE_FORMATS = {8: "%m%d%Y", 14: "%Y%m%d%H%M%S"}


def name_date(digits: str) -> date | None:
    """The list's date from the digits in ICE's file name, or None when they are not a date.

    ICE names the sheets ``participatingAgencies05182026am.xlsx`` (MMDDYYYY); in spring 2025 it
    used a time stamp, ``participatingAgencies-20250409011417.xlsx``.

    Examples
    --------
    >>> name_date("05182026"), name_date("20250409011417"), name_date("")
    (datetime.date(2026, 5, 18), datetime.date(2025, 4, 9), None)
    """
    fmt = _NAME_DATE_FORMATS.get(len(digits))
    try:
        return datetime.strptime(digits, fmt).date() if fmt else None
    except ValueError:
        return None


def _sheet_name(match: re.Match[str], today: date) -> str:
    """``YYYY-MM-DD_participating.xlsx``: the date of ICE's file name, else of the download."""
    return f"{(name_date(match['digits']) or today).isoformat()}_{match['list'].lower()}.xlsx"


@lru_cache(maxsize=8)
def _state_names(raw_dir: Path) -> dict[str, str]:
    states = read_states(raw_dir, served_only=False)
    return state_lookup(states["state_name"], states["state_abbr"])


def _validate_sheet(staged: Path, raw_dir: Path) -> None:
    """The build's sheet reader must take it (header found by its STATE cell, known states and
    support types), and it must list at least one agency."""
    snapshot = date.fromisoformat(staged.name[:10])
    rows = read_workbook(staged, snapshot, _state_names(raw_dir.resolve()))
    if rows.empty:
        raise SourceError(staged, "no agency rows under the header")


# -- ICE's detention-management page ------------------------------------------------------------

_STATS_LINK = re.compile(r"FY(?P<fy>\d{2})[_-]?detention[_-]?stats[\w.-]*\.xlsx", re.IGNORECASE)


def _current_fiscal_year(links: list[Link]) -> list[Link]:
    """The page links past years' workbooks too; only the newest fiscal year still changes."""
    newest = max(int(link.match["fy"]) for link in links)
    return [link for link in links if int(link.match["fy"]) == newest]


def _validate_stats(staged: Path, raw_dir: Path) -> None:
    """The build's detention reader must take the workbook beside the ones already held, which
    also refuses a second workbook for a fiscal year (the build reads one per year)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / STATS_DIR
        folder.mkdir(parents=True)
        for path in _held_workbooks(raw_dir / STATS_DIR):
            (folder / path.name).symlink_to(path.resolve())
        (folder / staged.name).symlink_to(staged.resolve())
        years = read_facility_years(Path(tmp))
    if not (years["file"] == staged.name).any():
        raise SourceError(staged, "no facility rows in its Facilities sheet")


def _held_workbooks(folder: Path) -> Iterable[Path]:
    return sorted(folder.glob("*.xlsx")) if folder.is_dir() else []


SOURCES: tuple[Source, ...] = (
    Source(
        name="ice_287g",
        publisher="U.S. Immigration and Customs Enforcement, 287(g) program",
        landing_url="https://www.ice.gov/identify-and-arrest/287g",
        licence="Public domain (17 U.S.C. §105)",
        link=_SHEET_LINK,
        folder="287g/sheets",
        file_name=_sheet_name,
        validate=_validate_sheet,
    ),
    Source(
        name="ice_detention",
        publisher="U.S. Immigration and Customs Enforcement, Enforcement and Removal Operations",
        landing_url="https://www.ice.gov/detain/detention-management",
        licence="Public domain (17 U.S.C. §105)",
        link=_STATS_LINK,
        folder=STATS_DIR.as_posix(),
        file_name=lambda match, today: match.string,  # kept as published: FY26_detentionStats…
        validate=_validate_stats,
        pick=_current_fiscal_year,
    ),
)
"""Where each raw file the update keeps current is published (see each folder's SOURCES.md)."""

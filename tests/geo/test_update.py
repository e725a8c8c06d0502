"""``enforcemap update`` against a stand-in for ICE's site on 127.0.0.1, serving real sheets.

The server answers only on 127.0.0.1; every source's landing URL is pointed at it, and links to
any other host are never followed, so no test leaves the machine.
"""

import csv
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import openpyxl
import pytest

from api.cli import main
from geo.update import (
    FETCH_LOG,
    Fetcher,
    UpdateResult,
    name_date,
    read_fetch_log,
    update,
    with_landing_urls,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_287G = "/identify-and-arrest/287g"
PAGE_DETENTION = "/detain/detention-management"
SHEETS = "/doclib/about/offices/ero/287g"
STATS = "/doclib/detention"
NEWEST_SHEET = "287g/sheets/2026-05-18_participating.xlsx"
NEWEST_STATS = "detention/ice_detention_stats/FY26_detentionStats_04092026.xlsx"
PAST_STATS = "detention/ice_detention_stats/FY25_detentionStats09242025.xlsx"


@dataclass
class Route:
    """What the server answers for one path."""

    body: bytes
    status: int = 200
    content_type: str = XLSX
    last_modified: str = "Mon, 18 May 2026 13:02:11 GMT"
    length: int | None = None
    """Content-Length to announce when it is not the body's (a connection cut mid-file)."""

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


class IceSite:
    """ICE's 287(g) and detention-management pages and their files, on 127.0.0.1."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, site=self))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def fetched(self, path: str) -> int:
        """How many GETs the path received."""
        return sum(1 for requested, _ in self.requests if requested == path)

    def overrides(self) -> dict[str, str]:
        return {"ice_287g": self.url(PAGE_287G), "ice_detention": self.url(PAGE_DETENTION)}

    def serve_287g(self, participating: str, pending: str | None = None) -> None:
        """ICE's page: absolute links under /doclib, as on www.ice.gov, and one to ice.gov."""
        pending_item = (
            f'<li><a href="{self.url(SHEETS + "/" + pending)}">Pending Agencies</a> (XLSX)</li>'
            if pending
            else ""
        )
        self.routes[PAGE_287G] = Route(
            f"""<!DOCTYPE html>
<html lang="en" dir="ltr"><head><meta charset="utf-8">
<title>Delegation of Immigration Authority Section 287(g) Immigration and Nationality Act | ICE</title>
</head><body class="path-node page-node-type-page">
<main id="main-content" class="usa-layout-docs" role="main">
<h1 class="usa-page-title">Delegation of Immigration Authority Section 287(g) Immigration and
Nationality Act</h1>
<div class="clearfix text-formatted field field--name-body usa-prose">
<p>The 287(g) program enhances the safety and security of our nation's communities.</p>
<h2>Participating and Pending Agencies</h2>
<ul>
<li><a href="{self.url(SHEETS + "/" + participating)}">Participating Agencies</a> (XLSX)</li>
{pending_item}
<li><a href="https://www.ice.gov{SHEETS}/participatingAgencies05252026am.xlsx">Mirror</a></li>
</ul>
<p><a href="#faq">Frequently asked questions</a></p>
</div></main></body></html>
""".encode(),
            content_type="text/html; charset=UTF-8",
        )

    def serve_detention(self, *workbooks: str) -> None:
        """ICE's page lists this and past fiscal years' workbooks, relative links."""
        items = "\n".join(
            f'<li><a href="{STATS}/{name}">FY 20{name[2:4]} Detention Statistics</a></li>'
            for name in workbooks
        )
        self.routes[PAGE_DETENTION] = Route(
            f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Detention Management | ICE</title></head>
<body><main id="main-content"><h1 class="usa-page-title">Detention Management</h1>
<div class="field--name-body usa-prose"><h2>Detention Statistics</h2>
<p>ICE posts detention statistics under the FY2020 DHS Appropriations Act.</p>
<ul>{items}</ul></div></main></body></html>
""".encode(),
            content_type="text/html; charset=UTF-8",
        )


class _Handler(BaseHTTPRequestHandler):
    def __init__(self, *args: object, site: IceSite, **kwargs: object) -> None:
        self.site = site
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        self.site.requests.append((self.path, dict(self.headers)))
        route = self.site.routes.get(self.path)
        if route is None:
            self.send_error(404)
            return
        if route.status == 200 and (
            self.headers.get("If-None-Match") == route.etag
            or self.headers.get("If-Modified-Since") == route.last_modified
        ):
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(route.status)
        self.send_header("Content-Type", route.content_type)
        self.send_header("Content-Length", str(route.length or len(route.body)))
        self.send_header("ETag", route.etag)
        self.send_header("Last-Modified", route.last_modified)
        self.end_headers()
        self.wfile.write(route.body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests read ``site.requests`` instead."""


@pytest.fixture
def site() -> Iterator[IceSite]:
    served = IceSite()
    served.thread.start()
    yield served
    served.server.shutdown()
    served.server.server_close()


def mirror(raw_dir: Path, target: Path, leave_out: set[str] = frozenset()) -> Path:
    """A raw folder made of symlinks to the real files, minus ``leave_out`` (relative paths)."""
    for path in raw_dir.rglob("*"):
        relative = path.relative_to(raw_dir).as_posix()
        if path.is_file() and relative not in leave_out:
            link = target / relative
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path.resolve())
    return target


def digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def quick_fetcher() -> Fetcher:
    """No pauses: the local server needs no politeness and back-off only slows the tests."""
    return Fetcher(attempts=3, backoff=0.0, min_interval=0.0)


@pytest.fixture
def raw(raw_dir: Path, tmp_path: Path) -> Path:
    """A raw folder without ICE's 2026-05-18 sheet and its FY25 and FY26 workbooks."""
    return mirror(raw_dir, tmp_path / "raw", {NEWEST_SHEET, NEWEST_STATS, PAST_STATS})


def _serve_real_files(site: IceSite, raw_dir: Path) -> None:
    site.routes[f"{SHEETS}/participatingAgencies05182026am.xlsx"] = Route(
        (raw_dir / NEWEST_SHEET).read_bytes()
    )
    site.routes[f"{SHEETS}/pendingAgencies02272026am.xlsx"] = Route(
        (raw_dir / "287g/sheets/2026-02-27_pending.xlsx").read_bytes()
    )
    for name in ("FY26_detentionStats_04092026.xlsx", "FY25_detentionStats09242025.xlsx"):
        site.routes[f"{STATS}/{name}"] = Route(
            (raw_dir / "detention/ice_detention_stats" / name).read_bytes()
        )
    site.serve_287g("participatingAgencies05182026am.xlsx", "pendingAgencies02272026am.xlsx")
    site.serve_detention("FY26_detentionStats_04092026.xlsx", "FY25_detentionStats09242025.xlsx")


def _update(
    site: IceSite, raw: Path, today: date = date(2026, 5, 20), only: str | None = None
) -> UpdateResult:
    sources = [s for s in with_landing_urls(site.overrides()) if only in (None, s.name)]
    with quick_fetcher() as fetcher:
        return update(raw, sources, fetcher, today=today)


def test_new_files_are_fetched_named_and_logged(site, raw, raw_dir):
    _serve_real_files(site, raw_dir)
    result = _update(site, raw)
    assert result.rejected == []
    assert [s.saved_as for s in result.saved] == [NEWEST_SHEET, NEWEST_STATS]
    for relative in (NEWEST_SHEET, NEWEST_STATS):
        assert (raw / relative).read_bytes() == (raw_dir / relative).read_bytes()
    # the pending sheet of 2026-02-27 is already held: not even requested
    assert site.fetched(f"{SHEETS}/pendingAgencies02272026am.xlsx") == 0
    # only the current fiscal year's workbook is taken from the detention page
    assert site.fetched(f"{STATS}/FY25_detentionStats09242025.xlsx") == 0
    assert not (raw / PAST_STATS).exists()
    log = read_fetch_log(raw)
    assert [row["saved_as"] for row in log] == [NEWEST_SHEET, NEWEST_STATS]
    sheet = log[0]
    assert sheet["url"] == site.url(f"{SHEETS}/participatingAgencies05182026am.xlsx")
    assert sheet["http_status"] == "200"
    assert int(sheet["bytes"]) == (raw_dir / NEWEST_SHEET).stat().st_size
    assert sheet["sha256"] == hashlib.sha256((raw_dir / NEWEST_SHEET).read_bytes()).hexdigest()
    assert sheet["fetched_at"].startswith(str(date.today().year))
    user_agents = {headers.get("User-Agent") for _, headers in site.requests}
    assert len(user_agents) == 1 and user_agents.pop().startswith("enforcemap/")


def test_second_run_fetches_nothing(site, raw, raw_dir):
    _serve_real_files(site, raw_dir)
    _update(site, raw)
    before, requested = digests(raw), len(site.requests)
    result = _update(site, raw)
    assert result.saved == [] and result.rejected == []
    assert digests(raw) == before
    files = [path for path, _ in site.requests[requested:] if path.startswith("/doclib/")]
    assert files == []


def _html_error_page(body: bytes) -> Route:
    return Route(
        b"<!DOCTYPE html><html><head><title>Access Denied</title></head><body>"
        b"<h1>Access Denied</h1><p>Reference #18.3c2b1002</p></body></html>",
        content_type="text/html",
    )


def _truncated(body: bytes) -> Route:
    return Route(body[: len(body) // 2])


def _cut_off(body: bytes) -> Route:
    return Route(body[:1000], length=len(body))


def _unavailable(body: bytes) -> Route:
    return Route(b"<html><body>Service Unavailable</body></html>", status=503)


def _header_renamed(body: bytes, tmp_path: Path) -> Route:
    """The real sheet with its STATE header cell renamed, as if ICE changed the layout."""
    workbook = openpyxl.load_workbook(tmp_path / "sheet.xlsx")
    sheet = workbook.active
    for row in sheet.iter_rows(max_row=5):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.strip().upper() == "STATE":
                cell.value = "JURISDICTION"
    workbook.save(tmp_path / "renamed.xlsx")
    return Route((tmp_path / "renamed.xlsx").read_bytes())


@pytest.mark.parametrize(
    ("broken", "problem"),
    [
        (_html_error_page, "an HTML page (text/html), not an xlsx workbook"),
        (_truncated, "truncated or corrupt xlsx workbook"),
        (_cut_off, "download failed after 3 attempts (RemoteProtocolError"),
        (_unavailable, "HTTP 503 Service Unavailable after 3 attempts"),
        ("header_renamed", "no header row with a STATE cell"),
    ],
    ids=["html_as_xlsx", "truncated", "cut_off", "503", "header_renamed"],
)
def test_bad_download_is_rejected_naming_the_url(site, raw, raw_dir, tmp_path, broken, problem):
    body = (raw_dir / NEWEST_SHEET).read_bytes()
    path = f"{SHEETS}/participatingAgencies05182026am.xlsx"
    if broken == "header_renamed":
        (tmp_path / "sheet.xlsx").write_bytes(body)
        site.routes[path] = _header_renamed(body, tmp_path)
    else:
        site.routes[path] = broken(body)
    site.serve_287g("participatingAgencies05182026am.xlsx")
    before = digests(raw)
    result = _update(site, raw, only="ice_287g")
    assert result.saved == []
    assert len(result.rejected) == 1
    assert str(result.rejected[0]).startswith(f"{site.url(path)}: {problem}")
    assert digests(raw) == before
    assert not (raw / FETCH_LOG).exists()
    assert sorted(p.name for p in raw.iterdir() if p.name.startswith(".")) == []
    if broken in (_unavailable, _cut_off):
        assert site.fetched(path) == 3


def test_undated_link_takes_the_download_date_and_is_revalidated(site, raw, raw_dir):
    site.routes[f"{SHEETS}/participatingAgencies.xlsx"] = Route(
        (raw_dir / NEWEST_SHEET).read_bytes()
    )
    site.serve_287g("participatingAgencies.xlsx")
    first = _update(site, raw, today=date(2026, 5, 21), only="ice_287g")
    assert [s.saved_as for s in first.saved] == ["287g/sheets/2026-05-21_participating.xlsx"]
    second = _update(site, raw, today=date(2026, 5, 28), only="ice_287g")
    assert second.saved == []
    _, headers = site.requests[-1]
    assert headers.get("If-None-Match") == first.saved[0].etag
    assert not (raw / "287g/sheets/2026-05-28_participating.xlsx").exists()


def test_a_page_without_the_expected_links_is_reported(site, raw):
    site.routes[PAGE_DETENTION] = Route(
        b"<html><body>Page moved</body></html>", content_type="text/html"
    )
    sources = [s for s in with_landing_urls(site.overrides()) if s.name == "ice_detention"]
    with quick_fetcher() as fetcher:
        result = update(raw, sources, fetcher)
    assert [r.url for r in result.rejected] == [site.url(PAGE_DETENTION)]
    assert "has the page changed?" in result.rejected[0].problem


def test_unknown_source_override_is_refused():
    with pytest.raises(ValueError, match="unknown source"):
        with_landing_urls({"ice_287g_typo": "http://127.0.0.1:1/"})


def test_file_name_dates():
    assert name_date("05182026") == date(2026, 5, 18)
    assert name_date("20250409011417") == date(2025, 4, 9)
    assert name_date("13452026") is None


def _enforcemap(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _override_args(site: IceSite) -> list[str]:
    args = []
    for name, url in site.overrides().items():
        args += ["--registry-url-override", f"{name}={url}"]
    return args


def test_cli_update_saves_then_reports_nothing_new(site, raw, raw_dir, capsys):
    _serve_real_files(site, raw_dir)
    status, out, err = _enforcemap(
        "update", "--raw-dir", str(raw), *_override_args(site), capsys=capsys
    )
    assert (status, err) == (0, "")
    assert f"saved {NEWEST_SHEET}" in out
    status, out, err = _enforcemap(
        "update", "--raw-dir", str(raw), *_override_args(site), capsys=capsys
    )
    assert (status, err) == (0, "")
    assert "nothing new" in out
    with (raw / FETCH_LOG).open() as handle:
        assert len(list(csv.DictReader(handle))) == 2


def test_cli_update_rejection_is_one_line_and_exit_1(site, raw, capsys):
    path = f"{SHEETS}/participatingAgencies05182026am.xlsx"
    site.routes[path] = _html_error_page(b"")
    site.serve_287g("participatingAgencies05182026am.xlsx")
    site.serve_detention("FY24_detentionStats.xlsx")  # held already: not requested
    before = digests(raw)
    status, _, err = _enforcemap(
        "update", "--raw-dir", str(raw), *_override_args(site), capsys=capsys
    )
    assert status == 1
    assert err.splitlines() == [
        f"enforcemap update: {site.url(path)}: an HTML page (text/html), not an xlsx workbook"
    ]
    assert digests(raw) == before


def test_cli_update_refuses_an_unknown_source(raw, capsys):
    status, _, err = _enforcemap(
        "update",
        "--raw-dir",
        str(raw),
        "--registry-url-override",
        "ice=http://127.0.0.1:9/",
        capsys=capsys,
    )
    assert status == 1
    assert err.startswith("enforcemap update: --registry-url-override: unknown source(s) ice;")

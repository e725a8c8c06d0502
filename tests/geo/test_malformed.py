"""The build refuses malformed raw files, and a killed build leaves a loadable snapshot.

Each case swaps one real raw file for a spoiled copy in a mirror of the raw folder, runs
``enforcemap build`` and expects exit status 1, one line on stderr naming the file and the
problem, and the previous snapshot (a copy of the committed one) byte-identical. Every refusal
happens while reading, so no case pays for a full build.
"""

import hashlib
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from geo.store import load_snapshot, replace_folder

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

# The first sheets are read first, so a case spoiling one stops the build early.
FIRST_SHEET = "287g/sheets/2025-02-21_participating.xlsx"
FIRST_PENDING_SHEET = "287g/sheets/2025-02-21_pending.xlsx"
NEWEST_SHEET = "287g/sheets/2026-05-18_participating.xlsx"
# The smallest workbook, so that spoiling it is quick.
DETENTION_FY19 = "detention/ice_detention_stats/FY19-detentionstats.xlsx"
HTML_ERROR_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>\n"
    b"<body><h1>Service Unavailable</h1><p>Please try again later.</p></body></html>\n"
)
BUILD_TIMEOUT_S = 180
# Builds run two at a time (CI has two cores); each is one process, mostly single-threaded.
WORKERS = 2

Spoil = Callable[[Path, Path], None]
"""Write a spoiled copy of the original file (first path) to the target (second path)."""


@dataclass(frozen=True)
class BadInput:
    """One kind of bad input: the raw file it spoils, how, and the problem the build must name."""

    kind: str
    file: str
    spoil: Spoil
    problem: str
    """A regular expression for the message after ``<file>: ``."""
    renamed_to: str | None = None
    """Where the spoiled copy goes when it replaces the original under another name."""


def _empty(original: Path, target: Path) -> None:
    target.write_bytes(b"")


def _html_error_page(original: Path, target: Path) -> None:
    target.write_bytes(HTML_ERROR_PAGE)


def _truncated(original: Path, target: Path) -> None:
    content = original.read_bytes()
    target.write_bytes(content[: len(content) // 2])


def _copied(original: Path, target: Path) -> None:
    shutil.copyfile(original, target)


def _workbook_edit(edit: Callable[[openpyxl.worksheet.worksheet.Worksheet], None]) -> Spoil:
    """Open the workbook, edit its first ``Facilities`` sheet (or its only sheet), save it."""

    def spoil(original: Path, target: Path) -> None:
        workbook = openpyxl.load_workbook(original)
        facilities = [n for n in workbook.sheetnames if n.strip().startswith("Facilities")]
        edit(workbook[facilities[0]] if facilities else workbook.active)
        workbook.save(target)

    return spoil


def _header_cell(sheet, header: str):
    """The cell holding ``header`` in the first rows, where every sheet has its header."""
    for row in sheet.iter_rows(max_row=15):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.strip().upper() == header.upper():
                return cell
    raise AssertionError(f"no {header!r} header in {sheet.title}")


def _without_column(header: str) -> Spoil:
    return _workbook_edit(lambda sheet: sheet.delete_cols(_header_cell(sheet, header).column))


def _first_value_below(header: str, value: object) -> Spoil:
    def edit(sheet) -> None:
        cell = _header_cell(sheet, header)
        sheet.cell(row=cell.row + 1, column=cell.column, value=value)

    return _workbook_edit(edit)


def _last_agreement_twice(sheet) -> None:
    column = _header_cell(sheet, "STATE").column
    last = max(row for row in range(1, sheet.max_row + 1) if sheet.cell(row, column).value)
    sheet.append([cell.value for cell in sheet[last]])


def _csv_edit(edit: Callable[[list[str]], None], encoding: str = "utf-8") -> Spoil:
    """Edit a CSV's lines as text (so nothing else about the file changes), save as ``encoding``."""

    def spoil(original: Path, target: Path) -> None:
        lines = original.read_text(encoding="utf-8").split("\n")
        edit(lines)
        target.write_bytes("\n".join(lines).encode(encoding))

    return spoil


def _reencoded(encoding: str) -> Spoil:
    return _csv_edit(lambda lines: None, encoding)


def _renamed_header(old: str, new: str) -> Spoil:
    def edit(lines: list[str]) -> None:
        lines[0] = lines[0].replace(old, new)

    return _csv_edit(edit)


def _first_row_field(position: int, value: str) -> Spoil:
    def edit(lines: list[str]) -> None:
        fields = lines[1].split(",")
        fields[position] = value
        lines[1] = ",".join(fields)

    return _csv_edit(edit)


def _zip_without(suffix: str) -> Spoil:
    def spoil(original: Path, target: Path) -> None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(original) as source, zipfile.ZipFile(buffer, "w") as spoiled:
            for member in source.infolist():
                if not member.filename.endswith(suffix):
                    spoiled.writestr(member, source.read(member))
        target.write_bytes(buffer.getvalue())

    return spoil


CASES = [
    BadInput(
        "empty file",
        "boundaries/crosswalks/ct_town_legacy_county_to_planning_region.csv",
        _empty,
        r"cannot read CSV \(No columns to parse from file\)",
    ),
    BadInput(
        "HTML error page saved as .xlsx",
        FIRST_SHEET,
        _html_error_page,
        re.escape("not a readable xlsx workbook: it is an HTML page (a failed download?)"),
    ),
    BadInput(
        "truncated workbook",
        DETENTION_FY19,
        _truncated,
        r"not a readable xlsx workbook \(BadZipFile\)",
    ),
    BadInput(
        "sheet missing a required column",
        FIRST_PENDING_SHEET,
        _without_column("SUPPORT TYPE"),
        re.escape("header row 1 lacks column(s) ['SUPPORT TYPE']"),
    ),
    BadInput(
        "renamed header",
        "boundaries/population/co-est2020-alldata.csv",
        _renamed_header("POPESTIMATE2015", "POPESTIMATE_2015"),
        re.escape("missing columns ['POPESTIMATE2015']"),
    ),
    BadInput(
        "non-numeric ADP",
        DETENTION_FY19,
        _first_value_below("Level A", "12,5"),
        r"row \d+: Level A is not a number >= 0: '12,5'",
    ),
    BadInput(
        "FIPS without its leading zero",
        "crime/county_crime_rates_ucr_2015_2017_urban.csv",
        _first_row_field(1, "1"),
        re.escape("malformed county code '1001' on line 2"),
    ),
    BadInput(
        "unknown state in a 287(g) sheet",
        FIRST_SHEET,
        _first_value_below("STATE", "ATLANTIS"),
        re.escape("unknown state 'ATLANTIS'"),
    ),
    BadInput(
        "unknown state in a detention workbook",
        DETENTION_FY19,
        _first_value_below("State", "ZZ"),
        r"row \d+: unknown state 'ZZ'",
    ),
    BadInput(
        "duplicate agreement rows",
        NEWEST_SHEET,
        _workbook_edit(_last_agreement_twice),
        r"rows \d+ and \d+ are the same agreement, listed twice",
    ),
    BadInput(
        "sheet dated in the future",
        NEWEST_SHEET,
        _copied,
        rf"dated 2099-05-18, after today \({date.today()}\)",
        renamed_to="287g/sheets/2099-05-18_participating.xlsx",
    ),
    BadInput(
        "CSV in the wrong encoding",
        "287g/historical/ice_roster_captures_2010-2017.csv",
        _reencoded("cp1252"),
        r"cannot read CSV \('utf-8' codec can't decode byte 0x[0-9a-f]{2} in position \d+: .+\)",
    ),
    BadInput(
        "county boundaries without their .prj",
        "boundaries/geometry/cb_2020_us_county_5m.zip",
        _zip_without(".prj"),
        re.escape("no .prj: the CRS is unknown"),
    ),
]


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _mirror(raw_dir: Path, target: Path) -> Path:
    """A copy of the raw folder made of symlinks, so one file can be swapped cheaply."""
    for path in raw_dir.rglob("*"):
        if path.is_file():
            link = target / path.relative_to(raw_dir)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path.resolve())
    return target


def _previous(folder: Path) -> tuple[Path, Path]:
    """A copy of the committed snapshot and shapefiles: the build that came before."""
    data, shapefiles = folder / "data", folder / "shapefiles"
    shutil.copytree(REPO / "data", data)
    shutil.copytree(REPO / "shapefiles", shapefiles)
    return data, shapefiles


def _build_command(raw: Path, data: Path, shapefiles: Path) -> list[str]:
    return [
        *(sys.executable, "-m", "api.cli", "build"),
        *("--raw-dir", str(raw), "--data-dir", str(data), "--shapefile-dir", str(shapefiles)),
    ]


@dataclass(frozen=True)
class Refusal:
    """What a build on one spoiled file did, and what it left behind."""

    spoiled: Path
    returncode: int
    stderr: str
    data: dict[str, str]
    shapefiles: dict[str, str]
    beside: list[str]
    """Names in the folder holding data/ and shapefiles/, to catch a leftover staging folder."""


def _refusal(case: BadInput, raw_dir: Path, folder: Path) -> Refusal:
    raw = _mirror(raw_dir, folder / "raw")
    original = (raw / case.file).resolve()
    (raw / case.file).unlink()
    spoiled = raw / (case.renamed_to or case.file)
    case.spoil(original, spoiled)
    data, shapefiles = _previous(folder / "previous")
    result = subprocess.run(
        _build_command(raw, data, shapefiles),
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        timeout=BUILD_TIMEOUT_S,
    )
    return Refusal(
        spoiled=spoiled,
        returncode=result.returncode,
        stderr=result.stderr,
        data=_digests(data),
        shapefiles=_digests(shapefiles),
        beside=sorted(p.name for p in (folder / "previous").iterdir()),
    )


@pytest.fixture(scope="module")
def refusals(raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Refusal]:
    """Every case's build, each reading until its spoiled file stops it."""
    with ThreadPoolExecutor(WORKERS) as pool:
        runs = {
            case.kind: pool.submit(_refusal, case, raw_dir, tmp_path_factory.mktemp("case"))
            for case in CASES
        }
        return {kind: run.result() for kind, run in runs.items()}


def test_cases_cover_the_twelve_kinds_the_issue_names():
    assert len({case.kind for case in CASES}) >= 12


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.kind.replace(" ", "-"))
def test_bad_raw_file_fails_in_one_line_and_leaves_the_snapshot(case, refusals):
    refusal = refusals[case.kind]
    assert refusal.returncode == 1, refusal.stderr
    lines = refusal.stderr.splitlines()
    assert len(lines) == 1, refusal.stderr
    assert re.fullmatch(
        rf"enforcemap build: {re.escape(str(refusal.spoiled))}: {case.problem}", lines[0]
    ), lines[0]
    assert refusal.data == _digests(REPO / "data")
    assert refusal.shapefiles == _digests(REPO / "shapefiles")
    assert refusal.beside == ["data", "shapefiles"]


# The swap itself lasts microseconds, too short to aim a signal at: the fixture
# `swap_cut_short` below recreates the state a kill there would leave.
MOMENTS = ("reading", "writing shapefiles", "writing the snapshot")


def _moment_reached(moment: str, folder: Path, started: float) -> bool:
    """Whether the build writing beside ``folder``'s data/ has reached ``moment``."""
    if moment == "reading":
        return time.monotonic() - started > 3
    staging = {"writing shapefiles": ".shapefiles.new-*", "writing the snapshot": ".data.new-*"}
    return any(folder.glob(staging[moment]))


def _killed(moment: str, raw_dir: Path, folder: Path) -> tuple[Path, bool]:
    """Start a build over a copy of the committed snapshot and SIGKILL it at ``moment``.

    Returns the data folder and whether the build was still running when killed.
    """
    data, shapefiles = _previous(folder)
    build = subprocess.Popen(
        _build_command(raw_dir, data, shapefiles),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started = time.monotonic()
    try:
        while (
            build.poll() is None
            and not _moment_reached(moment, folder, started)
            and time.monotonic() - started < BUILD_TIMEOUT_S
        ):
            time.sleep(0.002)
        running = build.poll() is None
    finally:
        build.send_signal(signal.SIGKILL)
        build.wait()
    return data, running


@pytest.fixture(scope="module")
def killed(raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    with ThreadPoolExecutor(WORKERS) as pool:
        runs = {
            moment: pool.submit(_killed, moment, raw_dir, tmp_path_factory.mktemp("killed"))
            for moment in MOMENTS
        }
        return {moment: run.result() for moment, run in runs.items()}


@pytest.mark.parametrize("moment", MOMENTS)
def test_build_killed_midway_leaves_a_loadable_snapshot(moment, killed):
    data, running = killed[moment]
    assert running, f"the build ended before {moment}"
    snapshot = load_snapshot(data)
    assert snapshot.manifest == load_snapshot(REPO / "data").manifest
    assert len(snapshot.counties) == 3221


@pytest.fixture
def swap_cut_short(tmp_path: Path) -> Path:
    """A data folder as a build killed between the two renames of its swap leaves it."""
    data, _ = _previous(tmp_path)
    shutil.copytree(data, tmp_path / ".data.new-killed")
    os.replace(data, tmp_path / ".data.old")
    return data


def test_swap_cut_short_still_loads_the_previous_snapshot(swap_cut_short):
    assert not swap_cut_short.exists()
    assert load_snapshot(swap_cut_short).manifest == load_snapshot(REPO / "data").manifest


def test_next_write_puts_the_previous_snapshot_back_first(swap_cut_short):
    def fail(folder: Path) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        replace_folder(swap_cut_short, fail)
    assert _digests(swap_cut_short) == _digests(REPO / "data")
    assert not (swap_cut_short.parent / ".data.old").exists()

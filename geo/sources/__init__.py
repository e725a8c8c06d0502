"""One reader per public source: raw file(s) in, a validated tidy table out."""

from pathlib import Path

import pandas as pd


class SourceError(Exception):
    """A raw input file is missing, unreadable or breaks an invariant of its source.

    The message is one line naming the file and the problem, so the CLI can print it as is.
    """

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


_ZIP_MAGIC = b"PK\x03\x04"


def check_xlsx(path: Path) -> None:
    """Fail unless ``path`` starts as an xlsx workbook (a zip archive) does, saying what it is.

    A failed download saves an empty file or the server's HTML error page under the expected
    name; saying so helps more than the Excel reader's complaint about an unknown format.
    """
    with open(path, "rb") as file:
        head = file.read(64)
    if head.startswith(_ZIP_MAGIC):
        return
    if not head:
        raise SourceError(path, "not a readable xlsx workbook: the file is empty")
    if head.lstrip().lower().startswith((b"<!doctype html", b"<html")):
        raise SourceError(
            path, "not a readable xlsx workbook: it is an HTML page (a failed download?)"
        )
    raise SourceError(path, f"not a readable xlsx workbook: it starts with {head[:16]!r}")


def read_raw_csv(path: Path, columns: list[str], **read_options: object) -> pd.DataFrame:
    """Read the named columns of a raw CSV as strings, or fail naming the file and the problem.

    Everything is read as text so that FIPS codes, ZIPs and ORIs keep their leading zeros, and
    blanks stay ``""`` (not NaN) unless ``read_options`` says otherwise. Header names are
    stripped, since the Gazetteer pads its last one.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceError(path, "file not found")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, **read_options)
    except (ValueError, OSError) as exc:  # UnicodeDecodeError and ParserError are ValueErrors
        raise SourceError(path, f"cannot read CSV ({exc})") from exc
    frame.columns = frame.columns.str.strip()
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise SourceError(path, f"missing columns {missing}")
    return frame[columns]

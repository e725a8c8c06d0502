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

"""One reader per public source: raw file(s) in, a validated tidy table out."""

from pathlib import Path


class SourceError(Exception):
    """A raw input file is missing, unreadable or breaks an invariant of its source.

    The message is one line naming the file and the problem, so the CLI can print it as is.
    """

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")

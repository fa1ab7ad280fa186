"""How the filter dialect compares text and dates: a MySQL-like collation, SQL LIKE, PHP date formats.

The real API filters in MySQL, whose default collation (``utf8mb4_0900_ai_ci``) ignores case and
accents, and reads date operands with PHP's ``DateTime::createFromFormat``. These functions give the
mock the same feel without a database: :func:`collate` is the comparison key of a text,
:func:`like_matcher` an SQL LIKE that cannot backtrack, :func:`parse_php_date` a date operand as
the comparable ``date`` text of a serialised PHP ``DateTime``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache

from specmock.mocks.assine.query import FilterError, shown

__all__ = ["DEFAULT_FORMAT", "collate", "date_key", "like_matcher", "parse_php_date"]

DEFAULT_FORMAT = "Y-m-d H:i:s"


@lru_cache(maxsize=8192)
def collate(text: str) -> str:
    """The comparison key of ``text``: case- and accent-insensitive (``João`` -> ``joao``)."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


_ANY = None  # the one-character wildcard inside a LIKE segment


def _like_segments(pattern: str) -> list[list[str | None]]:
    """A LIKE pattern split on ``%`` into segments of literal characters and ``_`` wildcards."""
    segments: list[list[str | None]] = [[]]
    escaped = False
    for char in pattern:
        if escaped:
            segments[-1].append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            segments.append([])
        elif char == "_":
            segments[-1].append(_ANY)
        else:
            segments[-1].append(char)
    if escaped:  # a trailing backslash is a literal backslash, as in MySQL
        segments[-1].append("\\")
    return segments


class _Segment:
    """A run of a LIKE pattern between two ``%``: plain text, or a fixed-width regex when it holds ``_``."""

    __slots__ = ("literal", "regex", "width")

    def __init__(self, chars: Sequence[str | None]) -> None:
        self.width = len(chars)
        self.literal: str | None = None
        self.regex: re.Pattern[str] | None = None
        if _ANY in chars:
            self.regex = re.compile("".join("." if c is _ANY else re.escape(c) for c in chars), re.DOTALL)
        else:
            self.literal = "".join(chars)  # type: ignore[arg-type]

    def at(self, text: str, pos: int) -> bool:
        if self.literal is not None:
            return text.startswith(self.literal, pos)
        assert self.regex is not None
        return self.regex.match(text, pos) is not None

    def find(self, text: str, start: int, end: int) -> int:
        """Leftmost position >= ``start`` where the segment matches and ends by ``end``; -1 if none."""
        if self.literal is not None:
            return text.find(self.literal, start, end)
        assert self.regex is not None
        found = self.regex.search(text, start, end)
        return found.start() if found is not None else -1


def like_matcher(pattern: str) -> Callable[[str], bool]:
    """A matcher for the SQL LIKE ``pattern`` (``%`` any run, ``_`` one character, ``\\`` escapes).

    Characters are compared exactly: collate the pattern and the text first. The runs between
    ``%`` have a fixed width and are matched leftmost, one after the other, which is exact for
    such patterns and never backtracks: no pattern can make matching blow up the way a regular
    expression with ``.*`` can. Plain runs use ``str`` methods, so ``%text%`` is a substring test.
    """
    parts = _like_segments(pattern)
    if len(parts) == 1:
        only = _Segment(parts[0])
        return lambda text: len(text) == only.width and only.at(text, 0)
    first, last = _Segment(parts[0]), _Segment(parts[-1])
    middle = [_Segment(part) for part in parts[1:-1] if part]
    if not first.width and not last.width and len(middle) == 1 and middle[0].literal is not None:
        needle = middle[0].literal
        return lambda text: needle in text
    floor = first.width + last.width

    def match(text: str) -> bool:
        if len(text) < floor or not first.at(text, 0):
            return False
        end = len(text) - last.width
        if not last.at(text, end):
            return False
        pos = first.width
        for segment in middle:
            found = segment.find(text, pos, end)
            if found < 0:
                return False
            pos = found + segment.width
        return True

    return match


_DATE_TOKENS: dict[str, tuple[str, str]] = {
    "Y": ("year", r"[0-9]{4}"),
    "y": ("year2", r"[0-9]{2}"),
    "m": ("month", r"[0-9]{2}"),
    "n": ("month", r"[0-9]{1,2}"),
    "d": ("day", r"[0-9]{2}"),
    "j": ("day", r"[0-9]{1,2}"),
    "H": ("hour", r"[0-9]{2}"),
    "G": ("hour", r"[0-9]{1,2}"),
    "i": ("minute", r"[0-9]{2}"),
    "s": ("second", r"[0-9]{2}"),
    "u": ("micro", r"[0-9]{1,6}"),
    "v": ("milli", r"[0-9]{1,3}"),
    "U": ("epoch", r"-?[0-9]{1,11}"),
}


@lru_cache(maxsize=256)
def _date_pattern(php_format: str) -> re.Pattern[str]:
    if len(php_format) > 64:
        raise FilterError("Filter date format is too long (at most 64 characters)")
    parts: list[str] = []
    used: set[str] = set()
    escaped = False
    for char in php_format:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in "!|":  # PHP's "reset": what the format lacks is zero anyway
            continue
        elif char in _DATE_TOKENS:
            group, regex = _DATE_TOKENS[char]
            if group in used:
                raise FilterError(f"Filter date format [{shown(php_format)}] gives the {group} twice")
            used.add(group)
            parts.append(f"(?P<{group}>{regex})")
        elif char.isalpha():
            raise FilterError(f"Unsupported letter [{char}] in filter date format [{shown(php_format)}]")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts))


def date_key(moment: dt.datetime) -> str:
    """The comparable text of a moment: the ``date`` member of a serialised PHP ``DateTime``."""
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} "
            f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}.{moment.microsecond:06d}")


def parse_php_date(value: str, php_format: str = DEFAULT_FORMAT) -> str:
    """``value`` read with a PHP date format, as :func:`date_key` text; :class:`FilterError` if it won't fit.

    Parts the format lacks are zero (1970-01-01 00:00:00), as with PHP's ``!`` prefix.
    """
    match = _date_pattern(php_format).fullmatch(value)
    problem = f"Invalid date [{shown(value)}] for format [{shown(php_format)}]"
    if match is None:
        raise FilterError(problem)
    parts = match.groupdict()
    try:
        if parts.get("epoch") is not None:
            return date_key(dt.datetime.fromtimestamp(int(parts["epoch"]), dt.UTC).replace(tzinfo=None))
        if parts.get("year2") is not None:
            short = int(parts["year2"])
            year = 1900 + short if short >= 70 else 2000 + short
        else:
            year = int(parts.get("year") or 1970)
        micro = 0
        if parts.get("micro") is not None:
            micro = int(parts["micro"].ljust(6, "0"))
        elif parts.get("milli") is not None:
            micro = int(parts["milli"].ljust(3, "0")) * 1000
        moment = dt.datetime(year, int(parts.get("month") or 1), int(parts.get("day") or 1),
                             int(parts.get("hour") or 0), int(parts.get("minute") or 0),
                             int(parts.get("second") or 0), micro)
    except (ValueError, OverflowError, OSError):
        raise FilterError(problem) from None
    return date_key(moment)

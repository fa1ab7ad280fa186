"""Log lines of the parsers the mocks call, named after the request they are about.

python-multipart logs a refused body as a bare ``Found invalid character 13 in header at 76``;
while :func:`parsing` is active, such a line starts with the API, method and path instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from starlette.requests import Request

__all__ = ["PARSER_LOGGERS", "parsing"]

#: Loggers of the parsers the mocks use (a filter on a logger does not reach its children).
PARSER_LOGGERS = ("python_multipart.multipart",)

_current: ContextVar[str | None] = ContextVar("specmock_parsed_request", default=None)


class _NameTheRequest(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        where = _current.get()
        if where is not None and isinstance(record.msg, str):
            record.msg = f"{where.replace('%', '%%')}: {record.msg}"
        return True


_FILTER = _NameTheRequest()
for _name in PARSER_LOGGERS:
    logging.getLogger(_name).addFilter(_FILTER)


@contextmanager
def parsing(api: str, request: Request) -> Iterator[None]:
    """While parsing ``request``'s body, parser log lines name it: ``assine POST /assine/v1/file``."""
    token = _current.set(f"{api} {request.method} {request.url.path}")
    try:
        yield
    finally:
        _current.reset(token)

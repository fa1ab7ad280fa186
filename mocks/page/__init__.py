"""The page a browser gets at ``/__mock__/``: live requests, why each was refused, and the controls.

Three static files shipped with the package (no build step, no library, nothing fetched from
elsewhere): ``index.html``, ``page.css`` and ``page.js``. The script only calls the admin API of
the same origin with JSON, so the page follows whatever rules guard that API, and it is not
served when the admin API is not (``--no-admin``).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from starlette.responses import JSONResponse, Response

__all__ = ["ASSETS", "asset", "wants_page"]

#: The files served, by name, with their media types.
ASSETS = {
    "index.html": "text/html; charset=utf-8",
    "page.css": "text/css; charset=utf-8",
    "page.js": "text/javascript; charset=utf-8",
}
#: Everything the page loads comes from the mock itself; nothing inline, no frames.
_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
           "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
_HTML = frozenset({"text/html", "application/xhtml+xml"})


@cache
def _read(name: str) -> bytes:
    return resources.files(__name__).joinpath(name).read_bytes()


def asset(name: str) -> Response:
    """One of :data:`ASSETS`; a 404 ``{error}`` for any other name."""
    media_type = ASSETS.get(name)
    if media_type is None:
        return JSONResponse({"error": f"no page file {name[:80]!r}; the page has: {', '.join(ASSETS)}"}, 404)
    headers = {"Content-Security-Policy": _POLICY, "X-Content-Type-Options": "nosniff",
               "Cache-Control": "no-cache", "Referrer-Policy": "no-referrer"}
    if name == "index.html":
        headers["Vary"] = "Accept"
    return Response(_read(name), 200, headers, media_type)


def _quality(params: str) -> float:
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.strip().lower() == "q":
            try:
                q = float(value)
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0


def wants_page(accept: str) -> bool:
    """Whether an ``Accept`` header prefers HTML to JSON: a browser does; curl, httpx and scripts
    (``*/*``, ``application/json``, nothing) keep the JSON answer, and so does a tie."""
    html = json = 0.0
    for item in accept.split(",")[:64]:
        media, _, params = item.partition(";")
        media = media.strip().lower()
        if media in _HTML:
            html = max(html, _quality(params))
        elif media == "application/json":
            json = max(json, _quality(params))
    return html > json

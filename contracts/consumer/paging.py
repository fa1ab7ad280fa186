"""The two pagination properties, for any API whose collections come in pages: ``pagination`` (a
well-formed walk) and ``pagination_loop`` (a last page that leads back to one already read). An API
describes its collections with a :class:`Paging`."""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic

from hypothesis import example, given
from hypothesis import strategies as st

from . import rules
from .fake_server import Checker, Exchange, Harness, property_settings, shown_as_repr
from .properties import AdapterT, ContractAdapter, ContractRun, Property

__all__ = ["PagedAdapter", "Paging", "Walk", "pagination", "pagination_loop", "paging_properties"]

Pages = list[list[dict[str, Any]]]


class PagedAdapter(ContractAdapter):
    """An adapter of a REST client with paged collections (Banqer, Assine)."""

    @abc.abstractmethod
    def call_get(self, client: Any, path: str) -> Any:
        """``GET path`` with your client; return the parsed JSON body."""

    @abc.abstractmethod
    def list_all(self, client: Any, path: str, params: Any) -> list[Any]:
        """Every item of the collection at ``path`` listed with the filters ``params`` (Banqer: a
        dict of query parameters; Assine: a list of ``filter[...]`` pairs), all pages walked."""


@shown_as_repr
class Walk:
    """Pages of a collection, the filters of the listing and how its last page ends (``last``:
    the API's value for "no next page", or the way back to an earlier page)."""

    def __init__(self, pages: Pages, params: Any, last: Any = None, shown_last: str = "") -> None:
        self.pages, self.params, self.last, self.shown_last = pages, params, last, shown_last

    def __repr__(self) -> str:
        sizes = [len(p) for p in self.pages]
        return f"{len(self.pages)} pages of sizes {sizes}, filters {self.params}{self.shown_last}"


@dataclass(frozen=True)
class Paging(Generic[AdapterT]):
    """How an API pages a collection, in the terms the two properties need."""

    #: The run and outcome of listing a walk's pages with the adapter.
    walk: Callable[[AdapterT, Harness, Walk], tuple[ContractRun[AdapterT], rules.Outcome]]
    #: Item ``n`` of a collection; ``id_key`` names it in failures.
    item: Callable[[int], dict[str, Any]]
    id_key: str
    #: The filters of a listing.
    params: st.SearchStrategy[Any]
    #: Values of the last page's "next" that end a walk, and how each is shown.
    ends: st.SearchStrategy[Any]
    #: The last page's "next" that leads back to an earlier page (from a drawn number), shown as.
    back: Callable[[Pages, int], tuple[Any, str]]
    #: What a request asks for (a page token, a page number).
    asked: Callable[[Exchange], str]
    #: Whether a request kept the filters: (kept?, received, expected).
    kept: Callable[[Exchange, Any], tuple[bool, Any, Any]]
    #: Words of the failures: who holds the pages, what is followed, how requests are shown.
    holder: str
    link: str
    shown: str
    #: The filters and the end of the walk of the explicit examples.
    example_params: Any
    example_end: Any
    #: Checks of the requests of a walk the API adds (Banqer: the empty first page token).
    first_request: Callable[[Checker, list[Exchange]], None] | None = None

    def pages(self, sizes: list[int]) -> Pages:
        n, pages = 0, []
        for size in sizes:
            pages.append([self.item(n + i) for i in range(size)])
            n += size
        return pages


_SIZES = st.lists(st.integers(0, 3), min_size=1, max_size=5)


def pagination(paging: Paging[AdapterT]) -> Property[AdapterT]:
    """Every item exactly once, one request per page, the filters on every page."""

    def check(adapter: AdapterT, harness: Harness) -> None:
        walks = st.builds(
            lambda sizes, params, end: Walk(paging.pages(sizes), params, end, f", last next {end!r}"),
            _SIZES,
            paging.params,
            paging.ends,
        )

        @property_settings()
        @given(walk=walks)
        @example(walk=Walk(paging.pages([1, 1]), paging.example_params, paging.example_end, " (example)"))
        def pagination(walk: Walk) -> None:
            run, outcome = paging.walk(adapter, harness, walk)
            c = run.checker("pagination", walk)
            api = run.api()
            if paging.first_request is not None:
                paging.first_request(c, api)
            rules.check_collection(
                c,
                api,
                walk.pages,
                outcome,
                filters=lambda ex: paging.kept(ex, walk.params),
                id_key=paging.id_key,
                holder=paging.holder,
            )
            c.raise_if_failed()

        pagination()

    return check


def pagination_loop(paging: Paging[AdapterT]) -> Property[AdapterT]:
    """A last page leading back to a page already read ends in a typed error, not a loop."""

    def check(adapter: AdapterT, harness: Harness) -> None:
        def looping(sizes: list[int], params: Any, back: int) -> Walk:
            pages = paging.pages(sizes if len(sizes) >= 2 else [*sizes, 0])
            last, shown = paging.back(pages, back)
            return Walk(pages, params, last, f"; the last page {shown}")

        @property_settings()
        @given(walk=st.builds(looping, _SIZES, paging.params, st.integers(0, 10)))
        @example(walk=looping([1, 1], paging.example_params, 0))
        def pagination_loop(walk: Walk) -> None:
            run, outcome = paging.walk(adapter, harness, walk)
            c = run.checker("pagination_loop", walk)
            rules.check_no_revisit(
                c,
                [paging.asked(ex) for ex in run.api()],
                len(walk.pages),
                outcome,
                adapter.error_types,
                link=paging.link,
                shown=paging.shown,
                what=f"a {paging.link} back to a page already read",
            )
            c.raise_if_failed()

        pagination_loop()

    return check


def paging_properties(paging: Paging[AdapterT]) -> dict[str, Property[AdapterT]]:
    """``pagination`` and ``pagination_loop`` of the API that pages like ``paging``."""
    return {"pagination": pagination(paging), "pagination_loop": pagination_loop(paging)}

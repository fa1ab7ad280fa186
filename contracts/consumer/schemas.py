"""Error bodies for the consumer contracts: drawn from the specs' own schemas, plus malformed ones.

* Banqer: component ``Error`` of ``banqer.openapi.yaml``;
* Assine: components ``ApiProblem`` and ``ApiProblemValidation`` of ``assine.openapi.yaml``;
* PBM: ``$defs`` ``UnauthenticatedResponse``, ``ValidationFailedResponse``,
  ``ParseFailedResponse`` and ``ExecutionErrorResponse`` of ``pbm.responses.schema.json``.

``$ref`` s are resolved by inlining the referenced component (recursively); OpenAPI-only keywords
and annotations are dropped so that ``hypothesis_jsonschema.from_schema`` can draw from them.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import cache
from typing import Any

from hypothesis import strategies as st
from hypothesis.internal.conjecture import utils as _cu
from hypothesis_jsonschema import _from_schema as _hjs
from hypothesis_jsonschema import from_schema
from hypothesis_jsonschema._canonicalise import merged

import specmock.specs as specs

from .fake_server import Answer

__all__ = [
    "COMMON_WRONG_SHAPES",
    "ERROR_SCHEMAS",
    "component_schema",
    "malformed_bodies",
    "spec_bodies",
    "strategy_for",
]

#: Every error schema the suite draws bodies from, per spec: the health check of
#: ``tests/contracts`` draws from each one.
ERROR_SCHEMAS: dict[str, tuple[str, ...]] = {
    "banqer": ("components/schemas/Error",),
    "assine": ("components/schemas/ApiProblem", "components/schemas/ApiProblemValidation"),
    "pbm.responses.schema.json": (
        "$defs/UnauthenticatedResponse",
        "$defs/ValidationFailedResponse",
        "$defs/ParseFailedResponse",
        "$defs/ExecutionErrorResponse",
    ),
}


def _many_more(self: Any) -> bool:
    """``many.more()`` as Hypothesis had it before ``many`` became iterator-only.

    hypothesis-jsonschema 0.23.1 (the latest release) still calls ``elements.more()`` when it
    draws objects; newer Hypothesis releases dropped the method. This is the old behaviour on
    top of the new class; it is only installed when the method is missing.
    """
    if self._depth is None:
        self._depth = self.data.depth
    self._finish_element()
    if not self._decide():
        return False
    self.count += 1
    self._in_element = True
    self._rejected = False
    return True


if not hasattr(_cu.many, "more"):  # pragma: no branch - depends on the installed Hypothesis
    _cu.many.more = _many_more  # type: ignore[attr-defined]


def _memoized(build: Callable[..., Any]) -> Callable[..., Any]:
    """``build`` remembering its strategy per (schema objects, alphabet, formats).

    hypothesis-jsonschema builds the strategy of an object member again at every draw
    (canonicalising its schema each time): most of a contract property's run time. The schemas it
    passes at draw time are the same objects on every draw, so their identity is the key; the
    cache holds them, so an identity is never reused while its entry lives.
    """
    memo: dict[tuple[int, ...], tuple[Any, st.SearchStrategy[Any]]] = {}

    def cached(schema: Any, *, alphabet: Any, custom_formats: Any) -> st.SearchStrategy[Any]:
        parts = tuple(schema) if isinstance(schema, list) else (schema,)
        key = (*map(id, parts), id(alphabet), id(custom_formats))
        hit = memo.get(key)
        if hit is None:
            hit = memo[key] = (
                (parts, alphabet, custom_formats),
                build(schema, alphabet=alphabet, custom_formats=custom_formats),
            )
        return hit[1]

    cached.__wrapped__ = build  # type: ignore[attr-defined]
    return cached


if not hasattr(_hjs.merged_as_strategies, "__wrapped__"):  # once per process
    _hjs.merged_as_strategies = _memoized(_hjs.merged_as_strategies)
    setattr(_hjs, "__from_schema", _memoized(getattr(_hjs, "__from_schema")))


_ANNOTATIONS = {
    "description",
    "title",
    "example",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "xml",
    "externalDocs",
    "discriminator",
    "$comment",
    "$schema",
    "$id",
    "contentMediaType",
    "contentEncoding",
}


def _inline(node: Any, root: dict[str, Any], seen: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_inline(item, root, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        if ref in seen:
            raise ValueError(f"recursive schema through {ref}")
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        resolved = _inline(target, root, (*seen, ref))
        return {**resolved, **_inline(siblings, root, seen)} if siblings else resolved
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key.startswith("x-") or key in _ANNOTATIONS:
            continue
        if key in ("properties", "patternProperties", "$defs", "definitions"):
            out[key] = {name: _inline(sub, root, seen) for name, sub in value.items()}
        else:
            out[key] = _inline(value, root, seen)
    if out.pop("nullable", False) and "type" in out:  # OpenAPI 3.0 style
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = [*types, "null"]
    return out


_SCALAR = {"type": ["string", "integer", "boolean", "null"]}


def _bounded(node: Any) -> Any:
    """Cheaper to draw, same meaning for a client: unknown members are scalars, arrays <= 3 items.

    ``allOf`` parts are merged into one schema first: bounding each part on its own would close it
    with ``additionalProperties``, and a part would then forbid the members another one requires.
    """
    if isinstance(node, list):
        return [_bounded(item) for item in node]
    if not isinstance(node, dict):
        return node
    if "allOf" in node:
        rest = {k: v for k, v in node.items() if k != "allOf"}
        flat = merged([*node["allOf"], *([rest] if rest else [])])
        if flat is None:
            raise ValueError(f"allOf parts that no value satisfies: {node['allOf']!r}")
        return _bounded(flat)
    if "prefixItems" in node:  # 2020-12 tuples, written the draft-7 way hypothesis-jsonschema reads
        node = {k: v for k, v in node.items() if k not in ("prefixItems", "items")} | {
            "items": node["prefixItems"],
            "additionalItems": node.get("items", True),
        }
    out = {k: (_bounded(v) if k not in ("const", "enum") else v) for k, v in node.items()}
    if "properties" in out:
        out["properties"] = {name: _bounded(sub) for name, sub in node["properties"].items()}
    declared = out.get("type")
    types: list[Any] = declared if isinstance(declared, list) else [declared]
    if "object" in types and out.get("additionalProperties", True) is True:
        out["additionalProperties"] = _SCALAR
        out.setdefault("maxProperties", len(out.get("properties", {})) + 2)
    if "array" in types and "maxItems" not in out:
        out["maxItems"] = max(3, out.get("minItems", 0))
    return out


def component_schema(spec: str, pointer: str) -> dict[str, Any]:
    """A self-contained JSON Schema for ``#/<pointer>`` of a bundled spec (``$ref`` s inlined)."""
    root = specs.load(spec)
    return _inline({"$ref": "#/" + pointer}, copy.deepcopy(root), ())


@cache
def strategy_for(spec: str, pointer: str) -> st.SearchStrategy[Any]:
    """Values of ``#/<pointer>`` of ``spec`` (bounded, see ``_bounded``); cached per schema."""
    return from_schema(_bounded(component_schema(spec, pointer)))


def spec_bodies(spec: str, *pointers: str) -> st.SearchStrategy[Any]:
    """JSON values valid against any of the named schemas (built lazily, cached per schema)."""
    unknown = [p for p in pointers if p not in ERROR_SCHEMAS.get(spec, ())]
    if unknown:  # the health check covers ERROR_SCHEMAS only
        raise ValueError(f"{spec}: {unknown} not listed in ERROR_SCHEMAS")

    def lazy(pointer: str) -> Callable[[], st.SearchStrategy[Any]]:
        return lambda: strategy_for(spec, pointer)

    return st.one_of([st.deferred(lazy(p)) for p in pointers])


HTML_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>"
)


#: JSON no API's error schema allows; each API adds shapes close to its own errors.
COMMON_WRONG_SHAPES: list[Any] = [[], "Internal Server Error", 42, None, {}]


def malformed_bodies(api_shapes: list[Any]) -> st.SearchStrategy[tuple[str, bytes, str]]:
    """``(label, body, content type)`` of bodies no schema allows: empty, an HTML page from a
    proxy, truncated JSON, JSON of the wrong shape (``COMMON_WRONG_SHAPES`` and ``api_shapes``),
    and a JSON content type on a text body."""
    wrong_shapes = [*COMMON_WRONG_SHAPES, *api_shapes]
    truncated = st.builds(
        lambda doc, cut: json.dumps(doc)[: max(1, min(cut, len(json.dumps(doc)) - 1))],
        st.sampled_from([*wrong_shapes, {"message": "Erro interno", "details": [{"reason": "INTERNAL"}]}]),
        st.integers(1, 60),
    ).filter(_not_json)
    return st.one_of(
        st.just(("empty body", b"", "application/json")),
        st.just(("HTML from a proxy", HTML_PAGE, "text/html")),
        st.just(("HTML labelled application/json", HTML_PAGE, "application/json")),
        truncated.map(lambda text: (f"truncated JSON {text!r}", text.encode(), "application/json")),
        st.sampled_from(wrong_shapes).map(
            lambda doc: (f"wrong shape {json.dumps(doc)}", json.dumps(doc).encode(), "application/json")
        ),
        st.sampled_from(wrong_shapes).map(
            lambda doc: (f"text/plain {json.dumps(doc)}", json.dumps(doc).encode(), "text/plain")
        ),
        st.text(max_size=20)
        .map(lambda t: (f"plain text {t!r}", t.encode(), "text/plain"))
        .filter(lambda item: _not_json(item[1].decode())),
    )


def _not_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return True
    return False


def answer_from_malformed(status: int, item: tuple[str, bytes, str], **headers: str) -> Answer:
    label, body, content_type = item
    return Answer(status, body, content_type, dict(headers), f"{status} {label}", None)

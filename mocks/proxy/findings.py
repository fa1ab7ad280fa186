"""One finding: where an exchange and the spec disagree, told without the exchange's values.

What was seen is described, never copied: a string is "a string of 11 characters (digits only)",
not the CPF it was; an object is the list of its member names. Only values that cannot identify
anyone pass as they are: null, booleans, small numbers, codes in ``UPPER_SNAKE`` or
``lower_snake`` form (``MISSING_SCOPE``, ``invalid_token``) and values the spec itself lists (its
``enum`` or ``const``).
Everything is also passed through :func:`specmock.redact.redact_text` before it is kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from jsonschema.exceptions import ValidationError

from specmock.redact import is_secret_key, redact_text

__all__ = ["Finding", "describe", "explain"]

_CODE = re.compile(r"\A(?:[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[a-z][a-z0-9]*(?:_[a-z0-9]+)+|[0-9]{1,3})\Z")
_CODE_MAX = 40
_SAFE_NUMBER = 10**6
_SHOWN = 200


@dataclass(frozen=True)
class Finding:
    """A disagreement between one exchange and the spec.

    ``kind`` is one of ``request``, ``status``, ``header``, ``content-type``, ``body``,
    ``graphql`` (the document against the SDL) and ``unknown-operation``.
    """

    api: str
    operation: str
    kind: str
    pointer: str
    spec: str
    seen: str
    assumed: bool
    assumption: str | None = None
    #: Where in the message the value was (``/fichas/0/saldoDevedor``, ``query atrasoMin``).
    at: str = ""

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """Findings with the same key are the same drift seen again."""
        return (self.api, self.operation, self.kind, self.pointer, self.spec)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _clip(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def describe(value: Any, allowed: Any = None, key: str | None = None) -> str:
    """``value`` told by its shape; shown as is only when it cannot carry personal data or a secret."""
    if key is not None and is_secret_key(key):
        return "a secret (***)"
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int | float):
        if abs(value) < _SAFE_NUMBER:
            return json.dumps(value)
        return f"a number of {len(str(abs(int(value))))} digits"
    if isinstance(value, str):
        listed = isinstance(allowed, list) and value in allowed
        if listed or (len(value) <= _CODE_MAX and _CODE.match(value)):
            return json.dumps(value)
        what = "digits only" if value.isdigit() else None
        return f"a string of {len(value)} characters" + (f" ({what})" if what else "")
    if isinstance(value, Mapping):
        names = [name if _CODE.match(str(name)) or str(name).isidentifier() else "…" for name in value]
        shown = ", ".join(str(name) for name in names[:12]) + (", …" if len(names) > 12 else "")
        return f"an object with members {{{shown}}}" if names else "an empty object"
    if isinstance(value, list):
        return f"an array of {len(value)} items"
    return type(value).__name__


def _listed(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value


def explain(error: ValidationError) -> tuple[str, str]:
    """(what the spec says, what was seen) for one jsonschema error, with no instance value copied."""
    keyword = str(error.validator)
    expected = error.validator_value
    instance = error.instance
    if keyword == "required":
        present = instance if isinstance(instance, Mapping) else {}
        missing = [name for name in expected if name not in present]
        return (
            f"required members {_listed(expected)}",
            f"member {', '.join(repr(m) for m in missing) or '?'} missing",
        )
    if keyword in ("additionalProperties", "unevaluatedProperties") and expected is False:
        declared = error.schema.get("properties", {}) if isinstance(error.schema, Mapping) else {}
        extra = [str(k) for k in instance if k not in declared] if isinstance(instance, Mapping) else []
        shown = ", ".join(repr(k) if str(k).isidentifier() else "…" for k in extra[:5])
        return ("no other members", f"unexpected member {shown}" if extra else describe(instance))
    if keyword in ("enum", "const"):
        allowed = expected if keyword == "enum" else [expected]
        return (f"{keyword} {_listed(expected)}", describe(instance, allowed=allowed))
    if keyword in ("anyOf", "oneOf"):
        return (
            f"{keyword} of {len(expected)} schemas",
            f"{describe(instance)} matching none"
            if keyword == "anyOf"
            else f"{describe(instance)} not matching exactly one",
        )
    if keyword in (
        "type",
        "format",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "multipleOf",
    ):
        return (f"{keyword} {_listed(expected)}", describe(instance))
    return (f"{keyword} {_clip(json.dumps(expected, ensure_ascii=False, default=str))}", describe(instance))


def clean(text: str) -> str:
    """The last line of defence: any credential pattern left in a text is masked."""
    return _clip(redact_text(text))

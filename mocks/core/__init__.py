"""The spec-agnostic core of the mock server.

Everything here is shared by the three API mocks and knows nothing about any one of them:

- :mod:`clock` — the controllable clock that drives token expiry and rate-limit windows;
- :mod:`tokens` — RS256 signing keys, JWKS, and the registry of issued tokens;
- :mod:`faults` — queued fault injections (status, headers, body, delay, times);
- :mod:`ratelimit` — fixed-window quotas per token answering an honest ``Retry-After``;
- :mod:`journal` — the bounded, redacted request journal;
- :mod:`redact` — the one place that knows what a secret looks like;
- :mod:`openapi` — request-parameter validation compiled from an OpenAPI operation;
- :mod:`control` — the ASGI layer that applies all of the above in front of each API app;
- :mod:`state` — :class:`MockState`, which owns one instance of each, and the API plug-in protocol.
"""

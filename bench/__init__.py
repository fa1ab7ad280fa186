"""Benchmarks of the specmock server against a bare ASGI app and Prism (``python -m bench``).

Not part of the installed package and never run by ``make test``: ``make bench`` runs it.
See ``docs/benchmarks.md`` for the method and the latest results.
"""

"""specmock: spec-driven mock servers and contract tests for Banqer, Funcional PBM and Assine Online."""

from specmock._version import __version__

__all__ = ["__version__"]

"""smattest: social media policy attestation and refresher training for Flask intranets.

``SMAttest(app, db=db)`` mounts it; the mounting guide is docs/mounting.md.

The names below load on first use, so that ``python -m smattest.verify`` (the
auditors' offline verifier) runs with the standard library alone: importing
the package does not import Flask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import ConfigurationError
    from .extension import SMAttest
    from .migrate import include_object

__version__ = "0.1.0"
__all__ = ["ConfigurationError", "SMAttest", "include_object", "__version__"]

_LAZY = {"ConfigurationError": "config", "SMAttest": "extension", "include_object": "migrate"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'smattest' has no attribute {name!r}")

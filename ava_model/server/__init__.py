"""HTTP surfaces of AVA: the JSON API and the web page served by ``ava serve``.

>>> from ava_model.server import create_app
>>> app = create_app()          # loads the shipped model at start-up
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ava_model.server.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # FastAPI is imported only when the app is asked for, so `import ava_model.server` stays cheap.
    if name == "create_app":
        from ava_model.server.app import create_app

        return create_app
    raise AttributeError(f"module 'ava_model.server' has no attribute {name!r}")

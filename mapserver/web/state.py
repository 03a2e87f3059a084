"""What a running app holds: settings, engine, layers and vocabulary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app
from sqlalchemy.engine import Engine

from mapserver.battle.rules import Rules
from mapserver.errors import NotFound
from mapserver.features.live import Notifier
from mapserver.layers import Layer
from mapserver.settings import Settings
from mapserver.store.replicas import Router
from mapserver.vocabulary import Vocabulary


@dataclass(frozen=True)
class AppState:
    settings: Settings
    engine: Engine
    layers: Mapping[str, Layer]
    vocabulary: Vocabulary
    notifier: Notifier
    rules: Rules
    router: Router | None = None  # None: every read on ``engine``

    def reader(self, seen: int = 0) -> Engine:
        """The engine for a read by a client that has seen change ``seen`` (read replicas)."""
        return self.engine if self.router is None else self.router.reader(seen)

    def layer(self, layer_id: str) -> Layer:
        try:
            return self.layers[layer_id]
        except KeyError:
            raise NotFound(
                f"no layer {layer_id[:100]!r}",
                parameter="layer",
                allowed=list(self.layers),
            ) from None


def current() -> AppState:
    return current_app.extensions["mapserver"]

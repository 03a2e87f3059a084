"""Every URL rule of the app, in one table: method, path, view, endpoint.

To find the view behind a path, search this file; the blueprint modules hold the views only,
and tests/test_route_table.py fails when a module adds a rule anywhere else or the app's URL
map differs from this table. Endpoints keep the ``<module>.<view>`` names the blueprints gave
them (``url_for`` and the tests use them). Two families are generated, each by one loop
here: ``/battle/<noun>`` (one per record type) and the writes under each editable OGC
collection. Rows are in registration order (service first, users last).
"""

# A table reads better unbroken:
# ruff: noqa: E501
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from flask import Flask

from mapserver.editing import projects as editing
from mapserver.web import (
    auth,
    basemap,
    callouts,
    changes,
    editor,
    events,
    fill,
    imports,
    investment,
    items,
    layers,
    milestones,
    ogc,
    pages,
    photos,
    problem_list,
    ranking,
    records,
    report,
    reviews,
    screens,
    service,
    stats,
    tile_matrix_sets,
    tiles,
    todo,
    users,
)


@dataclass(frozen=True)
class Route:
    """One URL rule (HEAD and OPTIONS come with it, as Flask adds them)."""

    method: str
    rule: str
    view: Callable
    endpoint: str
    defaults: Mapping[str, str] = field(default_factory=dict)  # {} as a blueprint gave, not None


R = Route
CONVERTERS = {"fid": items.FeatureIdConverter}  # a feature id in one path segment
RECORD_TYPES: Mapping[str, records.Views] = {
    "milestones": milestones.VIEWS,
    "investment": investment.VIEWS,
    "problems": problem_list.VIEWS,
    "callouts": callouts.VIEWS,
}


def _record_type(noun: str, v: records.Views) -> tuple[Route, ...]:
    """``/battle/<noun>``: one record type's five routes."""
    at, one = f"/battle/{noun}", f"/battle/{noun}/<int:record_id>"
    # fmt: off
    return (
        R("GET",    at,                                            v.index,        f"{noun}.index"),
        R("GET",    one,                                           v.one,          f"{noun}.one"),
        R("POST",   at,                                            v.create,       f"{noun}.create"),
        R("PATCH",  one,                                           v.update,       f"{noun}.update"),
        R("GET",    f"{one}/history",                              v.history,      f"{noun}.history"),
    )
    # fmt: on


def _item_writes(layer_id: str) -> tuple[Route, ...]:
    """The writes under one editable collection only, on a static path that wins over
    ``items/<path:feature_id>``: a write to any other collection is then 405 with
    ``Allow: GET, HEAD, OPTIONS``, as /ogc/api documents it."""
    at, one = f"/ogc/collections/{layer_id}/items", "/<fid:feature_id>"
    on = {"collection_id": layer_id}
    # fmt: off
    return (
        R("POST",   at,                                            items.create,   "items.create", on),
        R("PUT",    at + one,                                      items.replace,  "items.replace", on),
        R("PATCH",  at + one,                                      items.update,   "items.update", on),
        R("DELETE", at + one,                                      items.delete,   "items.delete", on),
        R("GET",    at + one + "/history",                         items.history,  "items.history", on),
        R("POST",   at + one + "/history/<int:revision>/restore",  items.restore,  "items.restore", on),
    )
    # fmt: on


# fmt: off
ROUTES: tuple[Route, ...] = (
    R("GET",    "/healthz",                                            service.healthz,           "service.healthz"),
    R("GET",    "/readyz",                                             service.readyz,            "service.readyz"),
    R("GET",    "/metrics",                                            service.scrape,            "service.scrape"),

    R("GET",    "/layers",                                             layers.index,              "layers.index"),
    R("GET",    "/layers/<layer_id>",                                  layers.one,                "layers.one"),
    R("GET",    "/layers/<layer_id>.geojson",                          layers.features,           "layers.features"),
    R("GET",    "/stats",                                              stats.projects,            "stats.projects"),
    R("GET",    "/layers/<layer_id>/stats",                            stats.layer_stats,         "stats.layer_stats"),
    R("GET",    "/events",                                             events.events,             "events.events"),

    R("GET",    "/",                                                   pages.battle_map,          "pages.battle_map"),
    R("GET",    "/config",                                             pages.config,              "pages.config"),

    R("GET",    "/ogc/",                                               ogc.landing,               "ogc.landing"),
    R("GET",    "/ogc",                                                ogc.landing,               "ogc.landing"),
    R("GET",    "/ogc/conformance",                                    ogc.conformance,           "ogc.conformance"),
    R("GET",    "/ogc/api",                                            ogc.api,                   "ogc.api"),
    R("GET",    "/ogc/collections",                                    ogc.collections,           "ogc.collections"),
    R("GET",    "/ogc/collections/<collection_id>",                    ogc.collection,            "ogc.collection"),
    R("GET",    "/ogc/collections/<collection_id>/queryables",         ogc.queryables,            "ogc.queryables"),
    R("GET",    "/ogc/collections/<collection_id>/items",              ogc.items,                 "ogc.items"),
    R("GET",    "/ogc/collections/<collection_id>/items/<path:feature_id>", ogc.item,                  "ogc.item"),
    *(route for layer_id in editing.EDITABLE for route in _item_writes(layer_id)),

    R("POST",   "/import",                                             imports.preview,           "imports.preview"),
    R("GET",    "/edit",                                               editor.edit_page,          "editor.edit_page"),
    R("GET",    "/fill",                                               fill.fill_page,            "fill.fill_page"),
    R("GET",    "/review",                                             fill.review_page,          "fill.review_page"),

    *(route for noun, views in RECORD_TYPES.items() for route in _record_type(noun, views)),
    R("GET",    "/battle/ranking",                                     ranking.live,              "ranking.live"),
    R("GET",    "/battle/ranking/periods",                             ranking.published_periods, "ranking.published_periods"),
    R("GET",    "/battle/ranking/<period>",                            ranking.published,         "ranking.published"),
    R("POST",   "/battle/ranking/<period>/publish",                    ranking.publish,           "ranking.publish"),
    R("GET",    "/battle/rules",                                       ranking.rules,             "ranking.rules"),
    R("GET",    "/report",                                             report.page,               "report.page"),
    R("GET",    "/report.xlsx",                                        report.xlsx,               "report.xlsx"),
    R("GET",    "/battle/reviews",                                     reviews.index,             "reviews.index"),
    R("GET",    "/battle/todo",                                        todo.index,                "todo.index"),
    R("GET",    "/changes",                                            changes.changes_in_window, "changes.changes_in_window"),
    R("GET",    "/battle/photos",                                      photos.index,              "photos.index"),
    R("GET",    "/battle/photos/<int:photo_id>",                       photos.one,                "photos.one"),
    R("POST",   "/battle/photos",                                      photos.create,             "photos.create"),
    R("DELETE", "/battle/photos/<int:photo_id>",                       photos.delete,             "photos.delete"),
    R("GET",    "/battle/photos/<int:photo_id>/original",              photos.original,           "photos.original"),
    R("GET",    "/battle/photos/<int:photo_id>/thumbnail",             photos.thumbnail,          "photos.thumbnail"),

    R("GET",    "/auth/screens",                                       screens.listing,           "screens.listing"),
    R("POST",   "/auth/screens",                                       screens.issue,             "screens.issue"),
    R("DELETE", "/auth/screens/<int:token_id>",                        screens.revoke,            "screens.revoke"),
    R("GET",    screens.REVOKED_PATH,                                  screens.revoked,           "screens.revoked"),

    R("GET",    "/ogc/collections/<collection_id>/tiles",              tiles.tileset_list,        "tiles.tileset_list"),
    R("GET",    "/ogc/collections/<collection_id>/tiles/<tms>",        tiles.tileset,             "tiles.tileset"),
    R("GET",    "/ogc/collections/<collection_id>/tiles/<tms>/<matrix>/<row>/<col>", tiles.tile,                "tiles.tile"),
    R("GET",    "/ogc/tileMatrixSets",                                 tile_matrix_sets.matrix_sets, "tile_matrix_sets.matrix_sets"),
    R("GET",    "/ogc/tileMatrixSets/<tms>",                           tile_matrix_sets.matrix_set, "tile_matrix_sets.matrix_set"),
    R("GET",    "/basemap",                                            basemap.listing,           "basemap.listing"),
    R("GET",    "/basemap/<z>/<x>/<y>",                                basemap.default_tile,      "basemap.default_tile"),
    R("GET",    "/basemap/<name>/<z>/<x>/<y>",                         basemap.tile,              "basemap.tile"),

    R("GET",    "/login",                                              auth.login_form,           "auth.login_form"),
    R("POST",   "/login",                                              auth.login,                "auth.login"),
    R("POST",   "/logout",                                             auth.logout,               "auth.logout"),
    R("GET",    "/auth/me",                                            auth.me,                   "auth.me"),
    R("GET",    "/auth/tokens",                                        auth.tokens,               "auth.tokens"),
    R("POST",   "/auth/tokens",                                        auth.issue_token,          "auth.issue_token"),
    R("DELETE", "/auth/tokens/<int:token_id>",                         auth.revoke_token,         "auth.revoke_token"),
    R("GET",    "/auth/users",                                         users.list_users,          "users.list_users"),
    R("POST",   "/auth/users",                                         users.create_user,         "users.create_user"),
    R("PATCH",  "/auth/users/<username>",                              users.update_user,         "users.update_user"),
)
# fmt: on


def register(app: Flask) -> None:
    """Add every rule of :data:`ROUTES` to the app (and the converters they use)."""
    app.url_map.converters.update(CONVERTERS)
    for r in ROUTES:
        app.add_url_rule(r.rule, r.endpoint, r.view, methods=[r.method], defaults=r.defaults)

"""The FastAPI application factory: ``create_app(settings)``.

The snapshot is loaded once, in the lifespan, onto ``app.state`` with its layer cache: from
``data/`` (the embedded default) or, when ``ENFORCEMAP_DATABASE_URL`` is set, from PostGIS,
which then answers the spatial queries. No request reads files.
"""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.answers import kept_answers
from api.collections import LayerCache
from api.errors import add_exception_handlers
from api.routes import changes, collections, counties, health, maps, query, stats
from api.security import add_security
from api.settings import Settings
from geo.postgis_index import PostgisIndex, open_postgis
from geo.store import Snapshot, load_snapshot
from maps.assets import STATIC_DIR


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (default: from the environment)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with open_store(settings) as (snapshot, database):
            app.state.snapshot = snapshot
            app.state.layers = LayerCache(snapshot, database)
            app.state.answers = kept_answers()
            yield

    app = FastAPI(
        title="enforcemap",
        description="US immigration enforcement, county by county: 287(g) agreements over time "
        'joined to Census counties. Every 4xx answers `{"error": ..., "detail": ...}`.',
        lifespan=lifespan,
    )
    app.state.settings = settings
    add_security(app, settings)
    add_exception_handlers(app)
    # Routes are matched in order: the hottest (a point look-up) first.
    app.include_router(query.router)
    app.include_router(health.router)
    app.include_router(collections.router)
    app.include_router(counties.router)
    app.include_router(stats.router)
    app.include_router(changes.router)
    app.include_router(maps.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


@contextmanager
def open_store(settings: Settings) -> Iterator[tuple[Snapshot, PostgisIndex | None]]:
    """The snapshot, and the PostGIS index when ``database_url`` is set (closed on exit)."""
    if settings.database_url is None:
        yield load_snapshot(settings.data_dir), None
        return
    with open_postgis(settings.database_url, settings.database_pool_size) as store:
        yield store

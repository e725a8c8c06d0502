"""The FastAPI application factory: ``create_app(settings)``.

The snapshot is loaded once, in the lifespan, onto ``app.state`` with its layer cache; no
request reads files.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.collections import LayerCache
from api.errors import add_exception_handlers
from api.routes import changes, collections, counties, health, maps, query, stats
from api.security import add_security
from api.settings import Settings
from geo.store import load_snapshot
from maps.assets import STATIC_DIR


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (default: from the environment)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        snapshot = load_snapshot(settings.data_dir)
        app.state.snapshot = snapshot
        app.state.layers = LayerCache(snapshot)
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
    app.include_router(health.router)
    app.include_router(collections.router)
    app.include_router(counties.router)
    app.include_router(stats.router)
    app.include_router(query.router)
    app.include_router(changes.router)
    app.include_router(maps.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app

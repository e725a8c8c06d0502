"""The FastAPI application factory: ``create_app(settings)``.

The snapshot is loaded once, in the lifespan, onto ``app.state``; no request reads files.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.routes import health
from api.settings import Settings
from geo.store import load_snapshot


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (default: from the environment)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.snapshot = load_snapshot(settings.data_dir)
        yield

    app = FastAPI(
        title="enforcemap",
        description="US immigration enforcement, county by county: 287(g) agreements over time.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.include_router(health.router)
    return app

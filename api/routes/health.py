"""``/healthz``: is the snapshot loaded, and as of when is each layer."""

from fastapi import APIRouter, Request

from api.schemas import Health

router = APIRouter()


@router.get("/healthz", response_model=Health)
async def healthz(request: Request) -> dict:
    """Liveness plus each layer's as-of date and row count from the loaded snapshot."""
    snapshot = request.app.state.snapshot
    layers = snapshot.manifest.get("layers", {})
    return {
        "status": "ok",
        "layers": {
            name: {"as_of": meta.get("as_of"), "rows": meta.get("rows")}
            for name, meta in sorted(layers.items())
        },
    }

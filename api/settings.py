"""Service settings from ``ENFORCEMAP_*`` environment variables."""

from pathlib import Path
from typing import Annotated

from pydantic import field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Where the snapshot lives, where the service listens, who may embed it, and its limits."""

    model_config = SettingsConfigDict(env_prefix="ENFORCEMAP_")

    data_dir: Path = Path("data")
    database_url: str | None = None
    """A PostGIS database loaded by ``enforcemap load-postgis``: when set, the service reads the
    snapshot and runs its spatial queries there instead of ``data_dir``."""
    database_pool_size: int = 8
    host: str = "127.0.0.1"
    port: int = 8000
    cors_origins: Annotated[list[str], NoDecode] = []
    embed_ancestors: Annotated[list[str], NoDecode] = ["*"]
    """Sites allowed to frame ``/embed/...`` (CSP ``frame-ancestors``); other pages refuse all."""
    default_limit: int = 100
    max_limit: int = 1000
    max_bulk_points: int = 1_000_000
    max_polygon_vertices: int = 10_000
    max_body_bytes: int = 64 * 1024 * 1024
    max_radius_m: float = 500_000.0

    @field_validator("cors_origins", "embed_ancestors", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        """Accept ``ENFORCEMAP_CORS_ORIGINS=https://a.org,https://b.org``."""
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("embed_ancestors")
    @classmethod
    def _csp_sources(cls, value: list[str]) -> list[str]:
        """One CSP source each: a space or ";" inside one would write other directives."""
        bad = [source for source in value if not source or any(c in source for c in " \t;,")]
        if bad or not value:
            raise ValueError(
                f"{bad or 'an empty list'} is not a list of sites such as *, 'self', "
                "https://news.example.org or https://*.example.org ('none' refuses every site)"
            )
        return value

    @model_validator(mode="after")
    def _default_within_max(self) -> "Settings":
        if self.default_limit > self.max_limit:
            raise ValueError(
                f"default_limit ({self.default_limit}) is above max_limit ({self.max_limit})"
            )
        return self

"""Service settings from ``ENFORCEMAP_*`` environment variables."""

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the snapshot lives and where the service listens."""

    model_config = SettingsConfigDict(env_prefix="ENFORCEMAP_")

    data_dir: Path = Path("data")
    host: str = "127.0.0.1"
    port: int = 8000

"""Settings read from ``OPENOA_*`` environment variables; the one place configuration lives."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the platform; defaults give the embedded mode (SQLite, in-process worker)."""

    model_config = SettingsConfigDict(env_prefix="OPENOA_", extra="ignore")

    data_dir: Path = Field(default=Path("./var"), description="Where SQLite, media and the outbox live.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite under data_dir.")
    base_url: str = Field(default="http://127.0.0.1:8000", description="Public URL used in links and QR codes.")
    redis_url: str | None = Field(default=None, description="Unset in embedded mode.")
    secret_key: str | None = Field(default=None, description="Signs CSRF tokens; generated into data_dir if unset.")
    cookie_secure: bool | None = Field(default=None, description="Secure cookies; default: when base_url is https.")
    session_days: int = 14
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "OpenOA <no-reply@openoa.local>"
    dev_mailbox: bool | None = Field(default=None, description="Serve /dev/mailbox; default: when no SMTP host is set.")
    embedded_worker: bool = Field(default=True, description="Run the job worker inside `openoa serve`.")
    worker_poll_seconds: float = 0.5
    job_lease_seconds: float = 60.0
    fan_out_chunk_size: int = Field(default=25_000, ge=100, le=1_000_000, description="Friends per fan-out chunk "
                                    "of a broadcast or narrowcast: one transaction, one job any worker may take.")
    job_retention_days: int = Field(default=14, ge=1, description="Done and failed jobs are deleted after this.")
    webhook_event_retention_days: int = Field(default=30, ge=1, description="Webhook events and their "
                                              "delivery log are deleted after this.")
    login_attempts_per_window: int = 10
    signup_attempts_per_window: int = 10
    rate_limit_window_seconds: int = 900
    max_upload_bytes: int = 5 * 1024 * 1024
    # Messaging API rate limits, per channel and per endpoint, as LINE publishes them; 0 turns one off.
    api_rate_default_per_second: int = Field(default=2000, description="Push, reply, profile and every "
                                             "endpoint not named below.")
    api_rate_multicast_per_second: int = Field(default=200, description="Multicast and coupon endpoints.")
    api_rate_loading_animation_per_second: int = 100
    api_rate_token_per_second: int = Field(default=370, description="POST /v2/oauth/accessToken, per client_id.")
    api_rate_broadcast_per_hour: int = Field(default=60, description="Broadcast, narrowcast, the insight "
                                             "endpoints and the webhook test.")
    api_rate_audience_per_minute: int = 60
    api_rate_webhook_endpoint_per_minute: int = 1000
    api_rate_richmenu_per_hour: int = Field(default=100, description="Create and delete rich menus and "
                                            "aliases, rich menu batch progress.")
    api_rate_richmenu_batch_per_hour: int = 3

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'openoa.db').resolve()}"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.base_url.startswith("https://")

    @property
    def mailbox_enabled(self) -> bool:
        if self.dev_mailbox is not None:
            return self.dev_mailbox
        return self.smtp_host is None

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once and kept in the data dir."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()

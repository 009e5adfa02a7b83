"""How the Slack adapter is configured: one workspace's bot token (Socket Mode or HTTP mode), or the
app's OAuth credentials to install to many workspaces (HTTP mode), picked from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from adapters.slack.oauth import SlackOAuthConfig
from adapters.slack.pacing import INTERNAL_APP_RATES, SlackRates
from bot.ops.settings import Settings
from bot.seam import PlatformSetupError


class SlackConfigError(PlatformSetupError):
    """Slack is configured inconsistently; the message names the environment variables."""


@dataclass(frozen=True, slots=True)
class SlackConfig:
    """How the adapter reaches Slack: one workspace's `bot_token`, or `oauth` for any number of
    workspaces (HTTP mode only)."""

    bot_token: str | None
    mode: Literal["socket", "http"]
    api_url: str = "https://slack.com/api/"
    app_token: str | None = None
    signing_secret: str | None = None
    host: str = "0.0.0.0"  # noqa: S104 — HTTP mode serves Slack's requests on every interface
    port: int = 3000
    path: str = "/slack/events"
    admin_user_ids: frozenset[str] = frozenset()
    # Slack's limits the adapter keeps to (see `pacing`).
    rates: SlackRates = field(default_factory=SlackRates)
    # Retries per call: bounded, so a platform outage never holds a send forever. Calls are paced,
    # so a 429 is rare; a few retries keep one from failing a daily post (retried a minute later).
    rate_limit_retries: int = 4
    server_error_retries: int = 2
    connection_retries: int = 2
    oauth: SlackOAuthConfig | None = None

    def __repr__(self) -> str:  # tokens and secrets stay out of logs and tracebacks
        return f"SlackConfig(mode={self.mode!r}, api_url={self.api_url!r}, oauth={self.oauth!r})"


def slack_config(settings: Settings) -> SlackConfig:
    """Pick the mode from what is configured: Socket Mode with an app token, else HTTP mode; many
    workspaces (OAuth, HTTP mode only) with SLACK_CLIENT_ID and SLACK_CLIENT_SECRET."""
    if settings.slack_multi_workspace:
        return _multi_workspace_config(settings)
    if settings.slack_bot_token is None:
        raise SlackConfigError("SLACK_BOT_TOKEN is not set")
    app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    mode = settings.slack_mode
    if mode == "auto":
        mode = "socket" if app_token else "http"
    if mode == "socket" and not app_token:
        raise SlackConfigError("Socket Mode needs SLACK_APP_TOKEN (an xapp- app-level token)")
    if mode == "http" and not secret:
        raise SlackConfigError(
            "Slack needs SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode) "
            "besides SLACK_BOT_TOKEN"
        )
    return SlackConfig(
        bot_token=settings.slack_bot_token.get_secret_value(),
        mode=mode,
        api_url=settings.slack_api_url,
        app_token=app_token,
        signing_secret=secret,
        host=settings.slack_host,
        port=settings.slack_port,
        path=settings.slack_path,
        admin_user_ids=frozenset(settings.admin_user_ids),
        rates=INTERNAL_APP_RATES,
    )


def _multi_workspace_config(settings: Settings) -> SlackConfig:
    if settings.slack_client_id is None or settings.slack_client_secret is None:
        raise SlackConfigError(
            "installing to many workspaces needs both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET"
        )
    if settings.slack_bot_token is not None:
        raise SlackConfigError(
            "SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set: unset SLACK_BOT_TOKEN to install to many "
            "workspaces (each gets its own token), or the client id and secret for one workspace"
        )
    if settings.slack_mode == "socket":
        raise SlackConfigError(
            "installing to many workspaces needs HTTP mode (Slack's OAuth redirect is an HTTP request): "
            "set MLQ_SLACK_MODE=http or auto"
        )
    if settings.slack_signing_secret is None:
        raise SlackConfigError(
            "installing to many workspaces runs in HTTP mode, which needs SLACK_SIGNING_SECRET"
        )
    oauth = SlackOAuthConfig(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=settings.slack_scopes,
        redirect_uri=settings.slack_redirect_uri,
        install_path=settings.slack_install_path,
        redirect_path=settings.slack_redirect_path,
        state_seconds=settings.slack_state_seconds,
        rotation_minutes=settings.slack_token_rotation_minutes,
    )
    return SlackConfig(
        bot_token=None,
        mode="http",
        api_url=settings.slack_api_url,
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        host=settings.slack_host,
        port=settings.slack_port,
        path=settings.slack_path,
        admin_user_ids=frozenset(settings.admin_user_ids),
        oauth=oauth,
    )

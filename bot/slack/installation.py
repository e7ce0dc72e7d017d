"""Many workspaces: the OAuth install flow's stores, over Flare's encrypted platform secrets.

`FlareInstallationStore` is slack_sdk's InstallationStore interface; each workspace's
installation (bot token included) is one `PlatformSecret`, encrypted at rest by
store.platform_secrets. `InstallationTokens` gives SlackNotifier the bot token of a team.
`OneTimeStateStore` signs the OAuth `state` with a Flare system key and accepts it once.
An installation into a workspace no organisation declares is refused (audited, nothing
stored) and the installer is told why on a page of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

import structlog
from slack_bolt import Ack, App, BoltResponse
from slack_bolt.error import BoltError
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore

from bot.dependencies import Dependencies
from handlers.network.identity import installation_allowed
from handlers.ports import Clock
from store.platform_secrets import PlatformSecrets
from store.unit_of_work import UnitOfWork

log = structlog.get_logger("flare.slack")

PLATFORM = "slack"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600
# The bot scopes Flare asks for; manifest.yaml lists the same with each one's reason.
BOT_SCOPES = (
    "commands",
    "chat:write",
    "im:write",
    "im:history",
    "users:read",
    "users:read.email",
)
_FIELDS = (
    "app_id",
    "enterprise_id",
    "enterprise_name",
    "team_id",
    "team_name",
    "bot_token",
    "bot_id",
    "bot_user_id",
    "bot_scopes",
    "bot_refresh_token",
    "bot_token_expires_at",
    "user_id",
    "is_enterprise_install",
    "token_type",
    "installed_at",
)


NOT_DECLARED_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Flare is not set up for this workspace</title>
</head><body><main>
<h1>Flare is not set up for this workspace</h1>
<p>Flare was not installed. No organisation in Flare's directory has declared this Slack
workspace, so Flare cannot serve it. Ask your organisation's Flare administrator (usually
your safeguarding lead) to declare the workspace in Flare's directory, then install again.</p>
</main></body></html>
"""


class WorkspaceNotDeclared(BoltError):
    """An installation into a workspace no organisation declares: nothing is stored."""


def scope_of(team_id: str | None, enterprise_id: str | None = None) -> str:
    """One installation per workspace (an org-wide install is keyed by its enterprise)."""
    return f"team:{team_id}" if team_id else f"enterprise:{enterprise_id}"


def _record(installation: Installation) -> dict[str, Any]:
    values = {name: getattr(installation, name, None) for name in _FIELDS}
    values["bot_scopes"] = list(installation.bot_scopes or [])
    return values


class FlareInstallationStore(InstallationStore):
    """Installations as encrypted platform secrets; bot data only (Flare asks no user scopes)."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], clock: Clock) -> None:
        self._uow = uow_factory
        self._clock = clock

    @property
    def logger(self) -> logging.Logger:
        return logging.getLogger("flare.slack.installations")

    def save(self, installation: Installation) -> None:
        if not installation_allowed(
            self._uow(),
            team=installation.team_id or "",
            enterprise=installation.enterprise_id or "",
            clock=self._clock,
        ):
            log.info("slack.install_refused", reason="workspace_unknown")
            raise WorkspaceNotDeclared("workspace_unknown")
        scope = scope_of(installation.team_id, installation.enterprise_id)
        with self._uow() as uow:
            now = self._clock.now()
            PlatformSecrets(uow.session, uow.vault).put(
                PLATFORM,
                scope,
                json.dumps(_record(installation)),
                at=now,
                detail={"team_id": installation.team_id, "app_id": installation.app_id},
            )
            uow.audit(
                "slack.installed",
                at=now,
                subject=scope,
                detail={
                    "team_id": installation.team_id or "",
                    "scopes": _record(installation)["bot_scopes"],
                },
            )
            uow.commit()
        log.info("slack.installed", team=installation.team_id)

    def save_bot(self, bot: Bot) -> None:
        """Bolt calls save() with the whole installation; a bot alone is never saved apart."""

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        key = scope_of(None if is_enterprise_install else team_id, enterprise_id)
        with self._uow() as uow:
            raw = PlatformSecrets(uow.session, uow.vault).get(PLATFORM, key)
        if raw is None:
            return None
        return Installation(**json.loads(raw))

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        found = self.find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return found.to_bot() if found is not None and found.bot_token else None

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        if user_id is not None:
            return  # Flare keeps no user tokens: a user's revocation leaves the bot alone
        self.delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        scope = scope_of(team_id, enterprise_id)
        with self._uow() as uow:
            if PlatformSecrets(uow.session, uow.vault).delete(PLATFORM, scope):
                uow.audit(
                    "slack.uninstalled",
                    at=self._clock.now(),
                    subject=scope,
                    detail={"team_id": team_id or ""},
                )
            uow.commit()


class InstallationTokens:
    """BotTokens for SlackNotifier: the bot token stored for a team, if installed."""

    def __init__(self, store: FlareInstallationStore) -> None:
        self._store = store

    def bot_token(self, team_id: str) -> str | None:
        bot = self._store.find_bot(enterprise_id=None, team_id=team_id)
        return bot.bot_token if bot is not None else None


class OneTimeStateStore(OAuthStateStore):
    """OAuth `state`: HMAC-signed with a Flare system key, short-lived, accepted once."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], *, seconds: int = STATE_SECONDS):
        self._uow = uow_factory
        self._seconds = seconds

    @property
    def logger(self) -> logging.Logger:
        return logging.getLogger("flare.slack.oauth_state")

    def _key(self, uow: UnitOfWork) -> bytes:
        return uow.vault.system_key("slack-oauth-state")

    def issue(self, *args: Any, **kwargs: Any) -> str:
        with self._uow() as uow:
            key = self._key(uow)
            uow.commit()  # the system key is created on first use
        body = f"{int(time.time())}.{secrets.token_urlsafe(24)}"
        return f"{body}.{hmac.new(key, body.encode(), hashlib.sha256).hexdigest()}"

    def consume(self, state: str) -> bool:
        try:
            issued, nonce, signature = state.split(".")
            age = time.time() - int(issued)
        except ValueError:
            return False
        with self._uow() as uow:
            expected = hmac.new(self._key(uow), f"{issued}.{nonce}".encode(), hashlib.sha256)
            if not hmac.compare_digest(expected.hexdigest(), signature):
                return False
            if not 0 <= age <= self._seconds:
                return False
            digest = hashlib.sha256(state.encode()).hexdigest()
            if not uow.inbound.first_time("slack-oauth", digest):
                return False
            uow.commit()
            return True


def store_for(deps: Dependencies) -> FlareInstallationStore:
    return FlareInstallationStore(deps.uow, deps.clock)


def _installed(args: SuccessArgs) -> BoltResponse:
    return args.default.success(args)


def _not_installed(args: FailureArgs) -> BoltResponse:
    """An undeclared workspace gets its own page (403); other failures bolt's own."""
    if isinstance(args.error, WorkspaceNotDeclared):
        return BoltResponse(
            status=403,
            body=NOT_DECLARED_PAGE,
            headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"},
        )
    return args.default.failure(args)


def oauth_settings(deps: Dependencies) -> OAuthSettings:
    """SLACK_CLIENT_ID/SECRET, Flare's bot scopes, routes and redirect from FLARE_PUBLIC_URL."""
    settings = deps.settings
    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        redirect_uri=f"{settings.public_url}{REDIRECT_PATH}",
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        install_page_rendering_enabled=False,
        installation_store=store_for(deps),
        state_store=OneTimeStateStore(deps.uow),
        state_cookie_name="flare_slack_oauth_state",
        callback_options=CallbackOptions(success=_installed, failure=_not_installed),
    )


def register(app: App, deps: Dependencies) -> None:
    """Forget a workspace's token when the app is uninstalled or its bot token revoked."""

    @app.event("app_uninstalled")
    def uninstalled(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        store_for(deps).delete_bot(
            enterprise_id=body.get("enterprise_id"), team_id=body.get("team_id")
        )

    @app.event("tokens_revoked")
    def revoked(ack: Ack, body: dict[str, Any], event: dict[str, Any]) -> None:
        ack()
        if (event.get("tokens") or {}).get("bot"):
            store_for(deps).delete_bot(
                enterprise_id=body.get("enterprise_id"), team_id=body.get("team_id")
            )

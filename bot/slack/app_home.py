"""App Home: published when its user opens the tab, with links minted for them just then."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack import home_views
from bot.slack.raiser import practitioner_for
from handlers.my_work.linked import awaiting_with_links
from handlers.network.identity import Known

if TYPE_CHECKING:
    from bot.dependencies import Dependencies

OPEN_BUTTON = re.compile(r"^flare_open_")


def publish_home(deps: Dependencies, client: WebClient, body: dict[str, Any], user_id: str) -> None:
    who = practitioner_for(deps, client, body)
    if not isinstance(who, Known):
        client.views_publish(user_id=user_id, view=home_views.refused_home(who))
        return
    work = awaiting_with_links(
        deps.uow(),
        practitioner_id=who.practitioner_id,
        minter=deps.minter,
        clock=deps.clock,
        via="slack_home",
    )
    client.views_publish(user_id=user_id, view=home_views.home(work, deps.clock.now()))


def register(app: App, deps: Dependencies) -> None:
    """Attach the App Home listeners to the Bolt app."""

    @app.event("app_home_opened")
    def home_opened(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        publish_home(deps, client, body, event["user"])

    @app.action(OPEN_BUTTON)
    def open_clicked(ack: Ack) -> None:
        ack()  # a link button: Slack opens the URL itself; Flare only acknowledges the click

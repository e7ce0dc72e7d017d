"""A multi-tenant Teams bot: only tenants an organisation declares reach anyone.

Anyone whose tenant installs a multi-tenant bot can send it activities, and the Bot
Connector's member lookup answers with whatever UPN the sender's own tenant holds. Someone
in a foreign tenant whose UPN is the victim's address gets no link, no raise dialog and no
Acknowledge; each refusal is audited with the tenant and object id, never the address.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.teams.cards import ACKNOWLEDGE_VERB
from bot.teams.package import RAISE_COMMAND_ID
from handlers.network.identity import UNKNOWN_MESSAGE, WORKSPACE_MESSAGE
from store.models import Concern
from tests.directory import declare
from tests.teams.conftest import aad_id
from tests.teams.fake_connector import TENANT_ID, FakeTeams
from tests.teams.inbound_world import TeamsWorld, teams_world
from tests.teams.test_inbound_flows import raise_in_dialog

FOREIGN_TENANT = "99999999-9999-4999-8999-999999999999"
VICTIM = "chloe@demo.flare.invalid"


@pytest.fixture
def world(
    engine: Engine, tmp_path: Path, teams: FakeTeams, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TeamsWorld]:
    """A multi-tenant bot (no TEAMS_TENANT_ID)."""
    with teams_world(engine, tmp_path, teams, monkeypatch, teams_tenant_id="") as w:
        w.put_on_teams("chloe", "dev")
        yield w


def _mallory(world: TeamsWorld) -> str:
    """A member of a foreign tenant whose UPN there is the victim's address."""
    aad = aad_id("mallory")
    world.aad["mallory"] = aad
    world.teams.connector.add_member(aad_object_id=aad, upn=VICTIM)
    world.teams.connector.conversations[f"a:{aad}"] = {"member": aad, "tenant": FOREIGN_TENANT}
    return aad


def _from_foreign(world: TeamsWorld, kind: str, **fields: Any) -> dict[str, Any]:
    activity = world.activity("mallory", kind, **fields)
    activity["conversation"]["tenantId"] = FOREIGN_TENANT
    activity["channelData"] = {"tenant": {"id": FOREIGN_TENANT}}
    return activity


def _lookups_of(world: TeamsWorld, aad: str) -> int:
    return len([r for r in world.teams.connector.requests if f"/members/29:{aad}" in r.path])


def _acknowledged(world: TeamsWorld, concern_id: str) -> bool:
    with world.runtime.uow() as uow:
        concern = uow.session.get(Concern, concern_id)
        assert concern is not None
        return concern.acknowledged_at is not None


@pytest.mark.parametrize("declared_by_another", [False, True], ids=["undeclared", "other-org"])
def test_a_foreign_tenant_with_the_victims_upn_gets_nothing(
    world: TeamsWorld, declared_by_another: bool
) -> None:
    if declared_by_another:  # Riverside uses that tenant; Chloe's school does not
        declare(
            world.runtime.uow,
            "riverside-cc",
            entra=(TENANT_ID, FOREIGN_TENANT),
            at=world.clock.now(),
        )
    raise_in_dialog(world, "dev", "C-1001")
    (concern_id,) = _concern_ids(world)
    aad = _mallory(world)

    assert world.post(_from_foreign(world, "message", text="inbox")).status_code == 200
    opened = world.post(
        _from_foreign(
            world,
            "invoke",
            name="composeExtension/fetchTask",
            value={"commandId": RAISE_COMMAND_ID, "commandContext": "message"},
        )
    )
    acknowledge = {"action": {"verb": ACKNOWLEDGE_VERB, "data": {"concern": concern_id}}}
    acked = world.post(
        _from_foreign(world, "invoke", name="adaptiveCard/action", value=acknowledge)
    )

    told = WORKSPACE_MESSAGE if not declared_by_another else UNKNOWN_MESSAGE
    (reply,) = world.messages("mallory")
    assert reply.activity["text"] == told
    assert opened.json()["task"] == {"type": "message", "value": told}  # no raise dialog
    assert acked.json()["value"] == told and not _acknowledged(world, concern_id)
    assert world.linked("chloe")[:2] == (None, None)
    # An undeclared tenant is refused before the member lookup; a declared one is asked.
    assert _lookups_of(world, aad) == (3 if declared_by_another else 0)
    refusals = world.audit_details("identity.refused")
    reason = "workspace_not_allowed" if declared_by_another else "workspace_unknown"
    assert (
        refusals
        == [{"platform": "teams", "workspace": FOREIGN_TENANT, "user": aad, "reason": reason}] * 3
    )
    assert "@" not in str(refusals)

    # Chloe, from her own organisation's tenant, is linked and can acknowledge.
    assert world.say("chloe", "help").status_code == 200
    assert world.linked("chloe")[:2] == (TENANT_ID, world.aad["chloe"])
    mine = world.invoke("chloe", "adaptiveCard/action", acknowledge)
    assert mine.status_code == 200 and _acknowledged(world, concern_id)


def test_a_single_tenant_bot_refuses_other_tenants_and_audits_it(
    engine: Engine, tmp_path: Path, teams: FakeTeams, monkeypatch: pytest.MonkeyPatch
) -> None:
    with teams_world(engine, tmp_path, teams, monkeypatch) as world:
        declare(
            world.runtime.uow,
            "oakfield-primary",
            entra=(TENANT_ID, FOREIGN_TENANT),
            at=world.clock.now(),
        )
        aad = _mallory(world)
        assert world.post(_from_foreign(world, "message", text="help")).status_code == 200
        assert _lookups_of(world, aad) == 0
        assert world.linked("chloe")[:2] == (None, None)
        (refusal,) = world.audit_details("identity.refused")
        assert refusal["reason"] == "tenant_not_configured" and refusal["user"] == aad


def _concern_ids(world: TeamsWorld) -> list[str]:
    with world.runtime.uow() as uow:
        return [c.id for c in uow.session.query(Concern)]

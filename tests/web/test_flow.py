"""The whole journey over HTTP: raise on the web, pointer in chat, open, view, acknowledge."""

from __future__ import annotations

from tests.web.conftest import World
from tests.web.flows import CONCERN_URL, pointer_path, raise_concern, sign_in


def test_raise_open_view_acknowledge_receipt(world: World) -> None:
    amara = world.browser("amara")
    # Raise as Amara, from her playground inbox, like a newcomer would.
    inbox = amara.get(f"/playground/{world.people['amara']}")
    raised = amara.submit(amara.form(inbox.text, f"/playground/{world.people['amara']}/raise"))
    assert raised.status_code == 303 and raised.headers["location"] == "/raise"
    concern_id = raise_concern(world, amara, "C-1001", noticed="Came in without a coat again")

    world.deliver()
    pointer = world.chat("chloe")[0]
    assert pointer.title.startswith("A new concern was raised") and pointer.can_acknowledge
    chloe_inbox = world.browser("chloe-chat").get(f"/playground/{world.people['chloe']}")
    assert pointer.title in chloe_inbox.text and 'href="http://testserver/l/' in chloe_inbox.text

    chloe = world.browser("chloe")
    link = pointer_path(world, "chloe", concern_id)
    interstitial = chloe.get(link)
    assert interstitial.status_code == 200 and "Continue" in interstitial.text
    to_sign_in = chloe.submit(chloe.form(interstitial.text))
    assert to_sign_in.status_code == 303 and to_sign_in.headers["location"] == "/signin"
    signed = sign_in(world, chloe, "chloe")
    assert signed.status_code == 303 and CONCERN_URL.match(signed.headers["location"])
    assert world.delivery(concern_id, "chloe").opened_at is not None

    view = chloe.follow(signed)
    assert view.status_code == 200
    assert "Came in without a coat again" in view.text
    assert "A pattern that the school and social care need to see" in view.text
    assert "Public task" in view.text and "telling them could put someone at risk" in view.text
    assert "Erin Walsh" in view.text  # who it was shared with
    acked = chloe.submit(chloe.form(view.text, f"/concerns/{concern_id}/acknowledge"))
    assert acked.status_code == 303
    after = chloe.follow(acked)
    assert "You have acknowledged this concern" in after.text
    assert "Acknowledge this concern" not in after.text
    assert "Acknowledged by Chloe Patel" in after.text

    world.deliver()
    receipts = [m for m in world.chat("amara") if m.kind == "ack_receipt"]
    assert len(receipts) == 1 and receipts[0].concern_id == concern_id
    amara_inbox = amara.get(f"/playground/{world.people['amara']}")
    assert "The lead professional has acknowledged the concern you raised." in amara_inbox.text
    # Chloe's original pointer was turned into "acknowledged" in place: no button any more.
    assert not any(m.can_acknowledge for m in world.chat("chloe"))


def test_opening_someone_elses_link_is_refused_audited_and_told(world: World) -> None:
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    concern_id = raise_concern(world, amara, "C-1001")
    world.deliver()

    dev = world.browser("dev")
    sign_in(world, dev, "dev")
    link = pointer_path(world, "chloe", concern_id)
    page = dev.get(link)
    refused = dev.submit(dev.form(page.text))
    assert refused.status_code == 403
    assert "This link was sent to someone else" in refused.text
    assert "Always hungry" not in refused.text
    assert "link.refused" in world.audit_actions()
    assert world.delivery(concern_id, "chloe").opened_at is None

    world.deliver()
    assert any(m.kind == "forwarded_attempt" for m in world.chat("chloe"))
    # Someone outside the network cannot reach it by its token-free address either.
    femi = world.browser("femi")
    sign_in(world, femi, "femi")
    outside = femi.get(f"/concerns/{concern_id}")
    assert outside.status_code == 403 and "Always hungry" not in outside.text


def test_playground_acknowledge_button_acts_as_that_person(world: World) -> None:
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    concern_id = raise_concern(world, amara, "C-1001")
    world.deliver()

    chat = world.browser("chat")
    dev_inbox = chat.get(f"/playground/{world.people['dev']}")
    assert "Acknowledge</button>" not in dev_inbox.text  # members get no button
    inbox = chat.get(f"/playground/{world.people['chloe']}")
    action = f"/playground/{world.people['chloe']}/acknowledge/{concern_id}"
    done = chat.submit(chat.form(inbox.text, action))
    assert done.status_code == 303
    assert "Acknowledged. The person who raised it" in chat.follow(done).text
    world.deliver()
    assert [m.kind for m in world.chat("amara")].count("ack_receipt") == 1

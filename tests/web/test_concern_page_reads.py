"""The concern page reads in one transaction besides the session check, and audits once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from store import audit
from tests.web.conftest import World
from tests.web.flows import pointer_path, raise_concern, sign_in


def test_concern_page_is_two_transactions_one_audit_event_and_the_chain_verifies(
    world: World,
) -> None:
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    concern_id = raise_concern(world, amara, "C-1001")
    world.deliver()
    chloe = world.browser("chloe")
    sign_in(world, chloe, "chloe")
    link = pointer_path(world, "chloe", concern_id)
    assert chloe.submit(chloe.form(chloe.get(link).text)).status_code == 303
    statements: list[str] = []

    def begun(_conn: Any) -> None:
        statements.append("BEGIN")

    def executed(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    engine = world.runtime.engine
    before = world.audit_actions()
    event.listen(engine, "begin", begun)
    event.listen(engine, "before_cursor_execute", executed)
    try:
        page = chloe.get(f"/concerns/{concern_id}")
    finally:
        event.remove(engine, "begin", begun)
        event.remove(engine, "before_cursor_execute", executed)
    assert page.status_code == 200
    assert "Always hungry at pick-up" in page.text
    assert statements.count("BEGIN") <= 2  # the session check, then the page
    # 15 on PostgreSQL when measured: the session check's three (session, person, the
    # header's "oversees a decision not to share"), then the concern, its deliveries and the
    # client's network once each (the access rule, may-close and the page all read those
    # rows), two data keys, the client, entries, escalations, follow-ups and the audit append
    # (on SQLite the transaction locks and moves the chain's head row itself: two more)
    limit = 15 if engine.dialect.name == "postgresql" else 17
    assert len([s for s in statements if s != "BEGIN"]) <= limit
    everyone = [
        s for s in statements if "FROM practitioners" in s and "WHERE" not in s.split("FROM", 1)[1]
    ]
    assert not everyone  # it reads the people it names, not the whole directory
    assert world.audit_actions() == [*before, "concern.viewed"]
    with world.runtime.sessions() as session:
        assert audit.verify(session).ok


def test_concern_page_still_refuses_someone_it_was_not_shared_with(world: World) -> None:
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    concern_id = raise_concern(world, amara, "C-1001")
    world.deliver()
    outsider = world.browser("femi")  # outside the client's network
    sign_in(world, outsider, "femi")
    before = world.audit_actions()
    page = outsider.get(f"/concerns/{concern_id}")
    assert page.status_code == 403
    assert "Always hungry" not in page.text
    assert world.audit_actions() == before

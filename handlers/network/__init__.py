"""Who is around a client, and who may act.

The routing policy (who receives by default), network members, finding a client by an
exact identifier, people, identity across Slack, Teams and sign-in, the directory (its
rows, checks, import and export), leavers (what deactivating a practitioner does) and
unconfirmed children (raised about by an identifier no client had, confirmed into clients).
"""

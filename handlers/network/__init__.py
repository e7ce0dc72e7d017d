"""Who is around a client, and who may act.

The routing policy (who receives by default), network members, who may read a concern
now (access.py: the one rule every read calls), finding a client by an exact identifier,
people, identity across Slack, Teams and sign-in, the directory (its rows, checks, import
and export), leavers (what deactivating a practitioner does), unconfirmed children (raised
about by an identifier no client had, confirmed into clients) and administration (who may
administer an organisation or the partnership, and their changes). The partnership's
settings, the routing policy's data among them, are handlers.partnership.
"""

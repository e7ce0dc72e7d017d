"""Who is around a client, and who may act.

The routing policy (who receives by default), network members, finding a client by an
exact identifier, people, identity across Slack, Teams and sign-in, and the directory;
administration (who may administer an organisation or the partnership, and their changes).
The partnership's settings, the routing policy's data among them, are handlers.partnership.
"""

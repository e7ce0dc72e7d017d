"""Repositories: the queries the use cases need, one module per concept.

`directory` (organisations, practitioners, clients, networks), `concerns` (a concern, its
entries, deliveries, links and follow-ups), with the rows the sweeps claim in `sweeps` and
retention's deletes in `retention`; `exports` (sealed subject access exports, and a
client's audit events for them); `join_requests` (asking to join a network); `outbox`,
`inbound` (platform retries de-duplicated), `partnership` (the partnership's settings), and
`claims` (the row lock a sweep takes on PostgreSQL).
"""

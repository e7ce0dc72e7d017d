"""What a data protection officer discloses: a client's record, and who viewed it.

A DPO or an organisation admin finds one client by an exact identifier (nothing is listed
or browsed), within their organisation's reach (`officer.may_disclose`, the one rule), and
exports the client's record (`exports`: JSON and a printable page, sealed, expiring, with
each redaction listed) or reads who viewed it (`viewers`). Everything here is audited.
It comes after every other package and imports from them; nothing imports it.
"""

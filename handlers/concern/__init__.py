"""Concerns, from raising to reading.

Raising one (its answers described once, the form's steps any surface calls, the raise itself
and the one builder of a concern's record), deciding not to share, adding information,
opening a per-recipient link, viewing it, and a client's chronology. Raising about any child
from outside its network (outsider), asking to join a child's network (joining), and seeking
advice before sharing (advice, advice_outcome, advice_escalation).
"""

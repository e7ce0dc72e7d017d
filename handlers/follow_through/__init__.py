"""What happens once a concern is out.

Acknowledging it, escalation past its deadline, follow-ups and their reminders,
weak-signal patterns across agencies, closing it with an outcome (or reopening it), and a
network changing (members added, re-roled, removed or leaving, told by a pointer, their
follow-ups handed back to the lead).
"""

"""What happens once a concern is out.

Acknowledging it, escalation past its deadline, follow-ups and their reminders,
weak-signal patterns across agencies, and closing it with an outcome (or reopening it).
"""

"""What happens once a concern is out.

Acknowledging it, escalation past its deadline, follow-ups and their reminders, and
weak-signal patterns across agencies.
"""

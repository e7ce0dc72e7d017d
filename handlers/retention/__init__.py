"""Forgetting on time.

Concerns past their retention period are crypto-shredded, then deleted. Inbound
de-duplication keys are derived in one place for every platform, and forgotten when old.
"""

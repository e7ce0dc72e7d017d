"""Forgetting on time.

Concerns past their retention period are crypto-shredded, then deleted; old inbound
de-duplication keys are forgotten.
"""

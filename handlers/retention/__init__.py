"""Forgetting on time.

Concerns past their retention period (counted from closure) are crypto-shredded, then
deleted, unless their client is under a legal hold; old inbound de-duplication keys are
forgotten.
"""

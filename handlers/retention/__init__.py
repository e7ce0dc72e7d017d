"""Forgetting on time.

Concerns past their retention period (counted from closure) are crypto-shredded, then
deleted, unless their client is under a legal hold. Inbound de-duplication keys are derived
in one place for every platform, and forgotten when old.
"""

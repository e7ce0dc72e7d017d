"""Concerns, from raising to reading.

Raising one (its answers, the preview of who it reaches, the raise itself), deciding not
to share, adding information, opening a per-recipient link, viewing it, and a client's
chronology.
"""

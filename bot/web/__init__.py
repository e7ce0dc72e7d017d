"""Flare's own pages: link interstitials, sign-in, concern pages, the raise form."""

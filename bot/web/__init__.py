"""Flare's own pages: link interstitials, sign-in, concern pages, the raise form, and the
organisation and partnership admin pages."""

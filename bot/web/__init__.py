"""Flare's own pages: link interstitials, sign-in, concern pages, the raise forms (and raising
about any child), confirming an unidentified child, asking to join a network, and the
organisation and partnership admin pages."""

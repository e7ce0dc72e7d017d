"""Getting pointers out.

The outbox and its delivery (paced by each platform's rate limits), the words a pointer
shows, minting per-recipient links, where each practitioner's chat conversation lives, and
where each pointer landed.
"""

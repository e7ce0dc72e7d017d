"""Flare's store: models, unit of work, crypto, audit chain and outbox."""

"""Delivery: the outbox's events sent by email and signed webhooks, with leases and retries."""

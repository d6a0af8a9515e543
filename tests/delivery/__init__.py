"""Tests of delivery: webhooks, email, retries, leases and crashes, on loopback servers."""

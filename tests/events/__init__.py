"""Tests of the events stage: round identity, term novelty, the outbox."""

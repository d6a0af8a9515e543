"""Events: round identity, term novelty, and what changed in knowledge, written to the outbox."""

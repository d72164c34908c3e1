"""HR's view of the reminder outbox: what went out, what failed, what is stuck."""

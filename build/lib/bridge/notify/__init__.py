"""Customer email: composing acknowledgements, queueing them in the outbox and delivering them."""

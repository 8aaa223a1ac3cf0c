"""How often sign-in links may be asked for: per address (so nobody's inbox is flooded) and per client.

Both limits are counted whatever the address, known or not, so a refusal says nothing about
whether an account exists. The counters live where the ticket limit's do
(KB_RATELIMIT_STORAGE_URL), so with Redis they hold across workers and restarts.
"""
from __future__ import annotations

from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

NAMESPACE = "kb-sign-in"


@dataclass(frozen=True)
class SignInThrottle:
    """Both limits as rates such as `5/hour`; None turns one off."""

    limiter: MovingWindowRateLimiter
    per_address: RateLimitItem | None
    per_client: RateLimitItem | None

    @classmethod
    def from_settings(cls, storage_url: str, per_address: str | None, per_client: str | None) -> SignInThrottle:
        return cls(MovingWindowRateLimiter(storage_from_string(storage_url)),
                   parse(per_address) if per_address else None, parse(per_client) if per_client else None)

    def allow(self, address: str, client: str) -> bool:
        """Count one request for a link; False when either limit is already spent (then nothing is counted)."""
        checks = [(limit, kind, key) for limit, kind, key in
                  ((self.per_address, "address", address.lower()), (self.per_client, "client", client)) if limit]
        if not all(self.limiter.test(limit, NAMESPACE, kind, key) for limit, kind, key in checks):
            return False
        return all([self.limiter.hit(limit, NAMESPACE, kind, key) for limit, kind, key in checks])

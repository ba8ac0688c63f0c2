"""Per-user message rate limits: a token bucket each, in this process."""

import time


class TokenBuckets:
    def __init__(self, rate_per_second, burst):
        self._rate = rate_per_second
        self._burst = burst
        self._buckets = {}  # key -> (tokens, last refill time)

    def take(self, key):
        """0 if `key` may go on now, else the seconds until it may."""
        now = time.monotonic()
        tokens, since = self._buckets.get(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - since) * self._rate)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self._rate
        self._buckets[key] = (tokens - 1, now)
        if len(self._buckets) > 10_000:
            self._forget_full(now)
        return 0

    def _forget_full(self, now):
        """Drop buckets that have refilled: they hold nothing a new bucket would not."""
        for key, (tokens, since) in list(self._buckets.items()):
            if tokens + (now - since) * self._rate >= self._burst:
                del self._buckets[key]

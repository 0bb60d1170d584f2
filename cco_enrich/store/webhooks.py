"""The log of a session's webhook calls, kept in its session hash (part of SessionStore)."""

from __future__ import annotations

import orjson
from arq.connections import ArqRedis

from cco_enrich.models import WebhookDelivery
from cco_enrich.store.keys import SESSION_KEY

WEBHOOK_DELIVERIES_KEPT = 20
DELIVERIES_FIELD = "webhook_deliveries"

# KEYS: session hash. ARGV: field, value. Writes only into a session that still exists.
_HSET_IF_EXISTS = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
return 0
"""


class WebhookLog:
    """Each session's last WEBHOOK_DELIVERIES_KEPT webhook calls."""

    redis: ArqRedis

    async def webhook_deliveries(self, session_id: str) -> list[WebhookDelivery]:
        """The session's last webhook calls, oldest first."""
        raw = await self.redis.hget(SESSION_KEY.format(session_id=session_id), DELIVERIES_FIELD)
        return [WebhookDelivery.model_validate(d) for d in orjson.loads(raw)] if raw else []

    async def record_webhook_delivery(self, session_id: str, delivery: WebhookDelivery) -> None:
        """Add one webhook call to the session's list (a deleted session stays deleted)."""
        # Runs of one session never overlap, and each ends in one call: read-then-write is safe.
        kept = [*await self.webhook_deliveries(session_id), delivery][-WEBHOOK_DELIVERIES_KEPT:]
        value = orjson.dumps([d.model_dump(mode="json") for d in kept]).decode()
        key = SESSION_KEY.format(session_id=session_id)
        await self.redis.eval(_HSET_IF_EXISTS, 1, key, DELIVERIES_FIELD, value)

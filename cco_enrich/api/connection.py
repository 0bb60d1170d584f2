"""How long the API waits on Redis: every socket read has a deadline, so a call answers 503.

The Redis client itself is built by the store (`store.api_redis_settings`, `bound_socket_waits`).
"""

from __future__ import annotations

from cco_enrich.api.hub import BLOCK_MS

SOCKET_TIMEOUT_S = BLOCK_MS / 1000 + 2.0
"""Above the event hub's blocking XREAD, which holds a connection for BLOCK_MS on purpose."""

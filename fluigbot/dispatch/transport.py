"""An HTTP transport for many messages in flight: several small connection pools instead of one.

httpcore's pool re-scans every connection for every queued request each time a request ends
(quadratic in the number in flight): at 32 in flight that scan is most of the CPU a send
uses. Requests spread over a few pools of at most POOL_SIZE connections each keep every scan
small. Each request goes to the pool with the fewest in flight; TLS is verified exactly as the
provider's own client does (the OS trust store).
"""

from __future__ import annotations

import math

import httpx

POOL_SIZE = 4


class ShardedTransport(httpx.AsyncBaseTransport):
    def __init__(self, concurrency: int, *, pool_size: int = POOL_SIZE) -> None:
        from fluigbot.whatsapp.base import _ssl_context

        shards = max(1, math.ceil(concurrency / pool_size))
        verify = _ssl_context()
        limits = httpx.Limits(max_connections=pool_size * 2, max_keepalive_connections=pool_size)
        self._pools = [
            httpx.AsyncHTTPTransport(verify=verify, limits=limits) for _ in range(shards)
        ]
        self._busy = [0] * shards

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        i = min(range(len(self._pools)), key=self._busy.__getitem__)
        self._busy[i] += 1
        try:
            response = await self._pools[i].handle_async_request(request)
        except BaseException:
            self._busy[i] -= 1
            raise
        # The body is read by the client after this returns; count the pool busy until then.
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_Release(response.stream, self._busy, i),  # type: ignore[arg-type]
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()


class _Release(httpx.AsyncByteStream):
    def __init__(self, stream: httpx.AsyncByteStream, busy: list[int], index: int) -> None:
        self._stream = stream
        self._busy = busy
        self._index = index
        self._released = False

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            if not self._released:
                self._released = True
                self._busy[self._index] -= 1


def for_provider(provider: str, concurrency: int) -> ShardedTransport | None:
    """The transport a send uses: sharded pools for the HTTP providers, none for the outbox."""
    if provider == "outbox" or concurrency <= POOL_SIZE:
        return None
    return ShardedTransport(concurrency)

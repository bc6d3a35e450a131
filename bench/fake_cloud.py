"""A lean fake of the Cloud API's message endpoint for bench/send.py: asyncio, HTTP/1.1 keep-alive.

Run as its own process (`python bench/fake_cloud.py --latency 0.05`); it prints its port on the
first line. Every POST is answered after `latency` seconds with a `wamid`; the arrival time
(time.time()) and the recipient are kept. `GET /stats` returns them as JSON; `POST /reset`
forgets them. It parses only what httpx sends (Content-Length bodies, no chunking).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time

_TO = re.compile(rb'"to":"(\d+)"')


class Server:
    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.arrivals: list[float] = []
        self.recipients: list[str] = []
        self.count = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:].strip())
                body = await reader.readexactly(length) if length else b""
                method, target = head.split(b" ", 2)[:2]
                if method == b"GET" and target == b"/stats":
                    payload = json.dumps(
                        {"arrivals": self.arrivals, "recipients": self.recipients}
                    ).encode()
                    self._write(writer, payload)
                    continue
                if target == b"/reset":
                    self.arrivals, self.recipients = [], []
                    self._write(writer, b"{}")
                    continue
                self.arrivals.append(time.time())
                match = _TO.search(body)
                self.recipients.append(match.group(1).decode() if match else "")
                self.count += 1
                to = match.group(1) if match else b""
                payload = (
                    b'{"messaging_product":"whatsapp","contacts":[{"input":"'
                    + to
                    + b'","wa_id":"'
                    + to
                    + b'"}],"messages":[{"id":"wamid.bench'
                    + str(self.count).encode()
                    + b'"}]}'
                )
                if self.latency:
                    await asyncio.sleep(self.latency)
                self._write(writer, payload)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    @staticmethod
    def _write(writer: asyncio.StreamWriter, payload: bytes) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(payload)).encode()
            + b"\r\n\r\n"
            + payload
        )


async def main(latency: float, port: int) -> None:
    server = Server(latency)
    srv = await asyncio.start_server(server.handle, "127.0.0.1", port, backlog=512)
    print(srv.sockets[0].getsockname()[1], flush=True)
    async with srv:
        await srv.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    try:
        import uvloop  # type: ignore[import-not-found]

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(args.latency, args.port))

"""The load generator's lean HTTP/1.1 client against a scripted server on loopback.

Each body the server sends looks like the start of another response (``HTTP/1.1 599``), so a
client that leaves any of it unread parses it as the next response and the test sees 599 or a
malformed response instead of the status that was sent.
"""

import asyncio
import socket
import time
from contextlib import asynccontextmanager

import pytest

from bench.http1 import Connection, ConnectionLost, MalformedResponse, ResponseTimeout

DECOY = b"HTTP/1.1 599 Unread\r\n\r\n"
RESPONSES = {
    "/length": b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(DECOY), DECOY),
    "/chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: Checksum\r\n\r\n"
    + b"9;part=first\r\n%s\r\n%x\r\n%s\r\n" % (DECOY[:9], len(DECOY) - 9, DECOY[9:])
    + b"0\r\nChecksum: 4f2a\r\n\r\n",
    # A 304 may state the length of the body it does not send.
    "/not-modified": b'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nContent-Length: 500\r\n\r\n',
    "/early-hints": b"HTTP/1.1 103 Early Hints\r\nLink: </app.css>; rel=preload\r\n\r\n"
    + b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    "/close": b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
    "/gone": b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
}
"""Canned responses by path; ``/silent`` gets none."""


class Server:
    """Answers each request on a connection with the canned response for its path."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                request = await reader.readuntil(b"\r\n\r\n")
                self.requests.append(request)
                path = request.split(b" ")[1].decode()
                if path == "/silent":
                    continue
                writer.write(RESPONSES[path])
                await writer.drain()
                if path == "/close":
                    return
        except asyncio.IncompleteReadError:
            pass  # the client closed the connection
        finally:
            writer.close()


@asynccontextmanager
async def serving():
    """A ``Server`` listening on a free loopback port, and that port."""
    server = Server()
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    try:
        yield server, listener.sockets[0].getsockname()[1]
    finally:
        listener.close()


def test_keep_alive_reads_each_body_to_its_end() -> None:
    async def exchange() -> tuple[list[int], Server, int]:
        async with serving() as (server, port), Connection("127.0.0.1", port, 5.0) as connection:
            paths = ("/length", "/chunked", "/not-modified", "/early-hints", "/gone", "/length")
            return [await connection.get(path) for path in paths], server, port

    statuses, server, port = asyncio.run(exchange())
    assert statuses == [200, 200, 304, 200, 404, 200]
    assert server.connections == 1
    assert server.requests[0] == (
        f"GET /length HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept-Encoding: gzip\r\n\r\n".encode()
    )


def test_connection_close_opens_a_new_connection() -> None:
    async def exchange() -> tuple[list[int], Server]:
        async with serving() as (server, port), Connection("127.0.0.1", port, 5.0) as connection:
            return [await connection.get(path) for path in ("/close", "/length")], server

    statuses, server = asyncio.run(exchange())
    assert statuses == [200, 200]
    assert server.connections == 2


def test_timeout_raises_and_the_next_request_reconnects() -> None:
    async def exchange() -> tuple[float, int, Server]:
        async with serving() as (server, port), Connection("127.0.0.1", port, 0.2) as connection:
            started = time.perf_counter()
            with pytest.raises(ResponseTimeout, match="/silent"):
                await connection.get("/silent")
            waited = time.perf_counter() - started
            return waited, await connection.get("/length"), server

    waited, status, server = asyncio.run(exchange())
    assert 0.2 <= waited < 1.0
    assert status == 200
    assert server.connections == 2


def test_refused_connection_raises_connection_lost() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # closed again before the client connects

    async def exchange() -> None:
        async with Connection("127.0.0.1", port, 5.0) as connection:
            await connection.get("/length")

    with pytest.raises(ConnectionLost):
        asyncio.run(exchange())


def test_a_response_that_is_not_http_raises_malformed_response() -> None:
    async def exchange() -> None:
        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
            await writer.drain()
            writer.close()

        listener = await asyncio.start_server(answer, "127.0.0.1", 0)
        port = listener.sockets[0].getsockname()[1]
        async with listener, Connection("127.0.0.1", port, 5.0) as connection:
            await connection.get("/")

    with pytest.raises(MalformedResponse):
        asyncio.run(exchange())

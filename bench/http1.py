"""A lean HTTP/1.1 keep-alive client on asyncio streams, for the load generator's timed loops.

The load generator shares the machine's cores with the service it measures, so whatever CPU it
spends per request is taken from the service and shows up as the service's latency. httpx spends
0.5-1 ms per request; this client only writes a GET, reads the status and headers, and reads the
body to its end (counted by its framing, never decompressed) so the connection can carry the next.
"""

import asyncio
from typing import Self

NO_BODY = frozenset({204, 304})
"""Final statuses whose response ends with its headers."""


class HttpError(Exception):
    """A request got no complete response; the connection is reopened for the next request."""


class ResponseTimeout(HttpError):
    """The response was not complete within the timeout."""


class ConnectionLost(HttpError):
    """The connection could not be opened, or broke or closed before the response ended."""


class MalformedResponse(HttpError):
    """The response is not HTTP/1.1 this client can frame."""


class Connection:
    """One keep-alive connection to ``host:port``, opened on the first request.

    It is reopened before the next request after the server answered ``Connection: close`` or
    a request failed, since a response cut short leaves the stream in the middle of a message.
    """

    def __init__(self, host: str, port: int, timeout_s: float) -> None:
        self.host, self.port, self.timeout_s = host, port, timeout_s
        authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self._headers = f"Host: {authority}\r\nAccept-Encoding: gzip\r\n\r\n"
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection; the next request opens a new one."""
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def get(self, path: str) -> int:
        """Send ``GET path``, read the whole response, return its status.

        Raises an ``HttpError`` when the response is not complete within ``timeout_s`` (which
        includes opening the connection), the connection fails, or the response cannot be framed.
        """
        request = f"GET {path} HTTP/1.1\r\n{self._headers}".encode("ascii")
        reusable = False
        try:
            async with asyncio.timeout(self.timeout_s):
                status, reusable = await self._exchange(request)
        except TimeoutError as exc:  # before OSError, of which it is a subclass
            raise ResponseTimeout(
                f"GET {path}: no complete response in {self.timeout_s:g} s"
            ) from exc
        except (OSError, EOFError) as exc:
            raise ConnectionLost(f"GET {path}: {exc!r}") from exc
        except (ValueError, asyncio.LimitOverrunError) as exc:
            raise MalformedResponse(f"GET {path}: {exc}") from exc
        finally:
            if not reusable:
                self.close()
        return status

    async def _exchange(self, request: bytes) -> tuple[int, bool]:
        """Write ``request``, read its response; the status and whether the connection stays."""
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        reader = self._reader
        self._writer.write(request)
        await self._writer.drain()
        status, version, headers = await _read_head(reader)
        while 100 <= status < 200 and status != 101:  # interim (103 Early Hints): the final follows
            status, version, headers = await _read_head(reader)
        if status == 101:  # the connection now speaks another protocol
            return status, False
        tokens = {token.strip() for token in headers.get(b"connection", b"").split(b",")}
        reusable = b"close" not in tokens and (version != b"HTTP/1.0" or b"keep-alive" in tokens)
        if status in NO_BODY:
            return status, reusable
        if headers.get(b"transfer-encoding", b"").rsplit(b",", 1)[-1].strip() == b"chunked":
            await _skip_chunked(reader)
        elif b"content-length" in headers:
            await reader.readexactly(int(headers[b"content-length"]))
        else:  # neither framing: the body runs to the end of the connection
            await reader.read()
            reusable = False
        return status, reusable


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, bytes, dict[bytes, bytes]]:
    """The status, protocol version and headers (names and values in lower case) of a response."""
    status_line, *lines = (await reader.readuntil(b"\r\n\r\n"))[:-4].split(b"\r\n")
    version, status, *_ = status_line.split(b" ", 2)
    if not version.startswith(b"HTTP/1."):
        raise ValueError(f"not an HTTP/1.x status line: {status_line[:80]!r}")
    headers = {}
    for line in lines:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip().lower()
    return int(status), version, headers


async def _skip_chunked(reader: asyncio.StreamReader) -> None:
    """Read a chunked body to its end: the chunks, then the trailer fields and the empty line."""
    while size := int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16):
        await reader.readexactly(size + 2)  # the data and the CRLF that ends it
    while await reader.readuntil(b"\r\n") != b"\r\n":
        pass

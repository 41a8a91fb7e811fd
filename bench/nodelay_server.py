"""Serve the application with uvicorn's multiprocess supervisor on a socket that keeps TCP_NODELAY.

    python -m bench.nodelay_server --port PORT --workers N

`uvicorn --workers N` binds its socket with protocol 0; asyncio then leaves Nagle's algorithm
on for every accepted connection, and each keep-alive response after the first waits ~40 ms
for the client's delayed ACK (Kludex/uvicorn#3149; measured here: a listing page took 70 ms
instead of 25). A socket made with IPPROTO_TCP avoids that; everything else is uvicorn's own
supervisor. `uvicorn --workers 1`, as the Dockerfile runs it, is unaffected.
"""

import argparse
import socket

import uvicorn
from uvicorn.supervisors import Multiprocess


def serve(*, port: int, workers: int) -> None:
    config = uvicorn.Config(
        "alweb.asgi:application",
        host="127.0.0.1",
        port=port,
        workers=workers,
        lifespan="off",
        access_log=False,
        log_level="warning",
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.set_inheritable(True)
    Multiprocess(config, target=uvicorn.Server(config).run, sockets=[sock]).run()


def command(*, python: str, port: int, workers: int) -> list[str]:
    """The command line that runs this server (from the repository root)."""
    return [python, "-m", "bench.nodelay_server", "--port", str(port), "--workers", str(workers)]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    serve(port=args.port, workers=args.workers)

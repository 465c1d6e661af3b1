"""`python -m gateway.demo.simulators <partner> --db PATH [--host H] [--port P] [--exit-on-stdin-eof]`.

Binds the socket itself so that `--port 0` works, then prints exactly one line
`LISTENING http://<host>:<port>` to stdout once the server accepts requests. With
`--exit-on-stdin-eof` it stops when its stdin closes: a parent that holds the other end of a
pipe takes its children down with it even when it is killed outright.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
from pathlib import Path

import uvicorn

from gateway.demo.simulators import PARTNERS, build_app


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, url: str) -> None:
        super().__init__(config)
        self._url = url

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if not self.should_exit:
            print(f"LISTENING {self._url}", flush=True)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio sets TCP_NODELAY only on sockets that do, and without it
    # keep-alive clients wait out the 40 ms delayed ACK on every response.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def _exit_on_eof(server: uvicorn.Server) -> None:
    def watch() -> None:
        while sys.stdin.buffer.read(4096):
            pass
        server.should_exit = True  # the serve loop polls this flag

    threading.Thread(target=watch, name="stdin-watch", daemon=True).start()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gateway.demo.simulators")
    parser.add_argument("partner", choices=PARTNERS)
    parser.add_argument("--db", type=Path, required=True, help="SQLite file from materialize")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    args = parser.parse_args(argv)

    app = build_app(args.partner, args.db)
    sock = _bind(args.host, args.port)
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    # h11, whatever else is installed: the reset fault (_faults.py) aborts h11's transport.
    config = uvicorn.Config(app, http="h11", log_level="warning", access_log=False,
                            lifespan="off")
    server = _Server(config, f"http://{host}:{port}")
    if args.exit_on_stdin_eof:
        _exit_on_eof(server)
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()

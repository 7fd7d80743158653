"""Open an exercise and serve it: the checks a command makes before a socket is opened.

Loopback only unless asked: the page has no accounts, so anyone who can reach the port
can play any team's moves and read every plan.
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

from planner.errors import InputError, Problem
from planner.inputs import paths
from planner.serve.engine import Engine
from planner.serve.exercise import Exercise

DEFAULT_PORT = 8765


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_host(host: str, allow_remote: bool) -> None:
    if not is_loopback(host) and not allow_remote:
        raise InputError([Problem(
            "--host", f"{host} is not a loopback address: the exercise page has no accounts, "
            "so anyone who can reach it could play every team's moves and read every plan",
            hint="serve on 127.0.0.1 (the default), or add --allow-remote on a network you "
            "trust")])


def open_exercise(mission: str | None, data: Path | None, folder: Path | None) -> Exercise:
    """The exercise of a mission, resumed from its folder when one was saved there."""
    from planner.checks.validate import load_capabilities
    from planner.pipeline import read_mission

    capabilities = load_capabilities(paths.data_dir(data))
    mission_file = paths.mission_path(mission)
    loaded = read_mission(mission_file, capabilities)
    engine = Engine(capabilities, loaded, paths.display(mission_file),
                    paths.display(capabilities.root))
    return Exercise(folder or Path("exercises") / loaded.name, capabilities, loaded,
                    paths.display(mission_file), engine)


def bind(host: str, port: int) -> socket.socket:
    """The listening socket (port 0: any free port), opened before the address is printed."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise InputError([Problem("--port", f"cannot listen on {host}:{port} ({exc.strerror})",
                                  hint="choose another --port, or 0 for any free one")]
                         ) from None
    sock.listen(64)
    return sock


def serve(exercise: Exercise, sock: socket.socket, hosts: list[str] | None = None) -> None:
    """Serve until interrupted (Ctrl-C, SIGTERM). uvicorn's own log goes to standard error
    and only for warnings: standard output carries the address line alone."""
    import uvicorn

    from planner.serve.app import create_app

    config = uvicorn.Config(create_app(exercise, hosts), log_level="warning",
                            access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


def allowed_hosts(host: str) -> list[str] | None:
    """Host headers to answer: loopback names only (the default), or any once the user has
    chosen to serve beyond this machine (its names on the network are not known here)."""
    return None if is_loopback(host) else ["*"]

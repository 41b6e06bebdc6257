"""A throwaway PostgreSQL cluster: Debian's server binaries, a temporary folder, a free loopback port.

    python -m scripts.pg_cluster       # start one, print its SQLAlchemy URL, stop it on Enter

`Cluster` is what tests/conftest.py's `postgres` fixture and scripts/workers.py use. initdb refuses
to run as root, so as root the cluster belongs to the `postgres` user Debian's package creates
(run through `runuser`); as anyone else, to that user. Trust authentication on 127.0.0.1 only:
the cluster lives as long as the tests and holds nothing else. scripts/install_servers.sh
installs the server when it is missing.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

USER = "seqdash"  # the cluster's superuser (trust: no password on loopback)
DATABASE = "seqdash"


def server_bin() -> Path:
    """The newest installed server's bin folder (/usr/lib/postgresql/<major>/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if not found:
        raise RuntimeError("PostgreSQL's server is not installed: run bash scripts/install_servers.sh")
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """Start with `start()`, stop (and delete) with `stop()`; `url` is its SQLAlchemy URL (psycopg 3)."""

    def __init__(self):
        self.bin = server_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="seqdash-pg-"))
        self.port = free_port()
        self.url = f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{DATABASE}"
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, text=True, timeout=120)

    def start(self) -> Cluster:
        data = self.dir / "data"
        if self.as_user:
            shutil.chown(self.dir, "postgres")
        os.chmod(self.dir, 0o700)
        self._run(str(self.bin / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8")
        # the socket in the cluster's own folder, TCP on loopback only; small, as tests need
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200"
        self._run(str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(self.dir / "log"), "-o", options,
                  "-w", "-t", "60", "start")
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, DATABASE)
        return self

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


if __name__ == "__main__":
    cluster = Cluster().start()
    try:
        print(cluster.url, flush=True)
        input("PostgreSQL is running; press Enter to stop it\n")
    finally:
        cluster.stop()

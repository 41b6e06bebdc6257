"""N Streamlit processes of the dashboard behind nginx, with progress in PostgreSQL, on this machine.

    python -m scripts.workers --workers 2          # prints the URL; Ctrl-C stops everything

`running_cluster(n)` is what bench/load_test.py and tests/test_workers.py use. It starts (1) a
throwaway PostgreSQL cluster (scripts/pg_cluster.py) unless a database URL is given, (2) n
`streamlit run dashboard.py` workers on free loopback ports, each with SEQDASH_STORAGE=database,
the database's URL and the same cookie secret (a sign-in cookie or an XSRF token made by one
worker is valid on all), and (3) Debian's nginx with deploy/nginx.conf, its worker lines and
listen port rewritten, as a foreground process with its own prefix folder (no root needed, no
system nginx touched). Everything stops when the block ends.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from scripts.appserver import free_port, wait_for_health  # noqa: E402
from scripts.pg_cluster import Cluster  # noqa: E402

CONF = ROOT / "deploy" / "nginx.conf"


@dataclass
class Workers:
    url: str  # nginx's
    worker_urls: list[str]
    processes: list[subprocess.Popen]  # the workers
    nginx: subprocess.Popen
    database_url: str
    prefix: Path  # nginx's folder: access.log has "<worker key> <worker address> <path>" per request

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]


def nginx_conf(ports: list[int], listen: int, prefix: Path) -> str:
    """deploy/nginx.conf with these workers and this port, inside a minimal top-level config."""
    site = CONF.read_text()
    servers = "".join(f"    server 127.0.0.1:{p};\n" for p in ports)
    site = re.sub(r"(# workers begin.*\n)(?:.*\n)*?(\s*# workers end)", lambda m: m[1] + servers + m[2].lstrip("\n"),
                  site)
    site = re.sub(r"listen 80;", f"listen 127.0.0.1:{listen};", site)
    temp = "".join(f"  {kind}_temp_path {prefix}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                         "scgi"))
    return (f"worker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log warn;\n"
            f"daemon off;\nevents {{ worker_connections 1024; }}\n"
            f"http {{\n  log_format sticky '$seqdash_worker $upstream_addr $request_uri';\n"
            f"  access_log {prefix}/access.log sticky;\n{temp}{site}\n}}\n")


@contextlib.contextmanager
def running_cluster(workers: int = 2, database_url: str | None = None, log: Path | None = None):
    """Yield Workers: `workers` app processes behind nginx, progress in PostgreSQL."""
    nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx_bin).exists():
        raise RuntimeError("nginx is not installed: run bash scripts/install_servers.sh")
    cluster = None if database_url else Cluster().start()
    database_url = database_url or cluster.url
    prefix = Path(tempfile.mkdtemp(prefix="seqdash-nginx-"))
    ports, listen = [], free_port()
    env = {**os.environ, "SEQDASH_STORAGE": "database", "SEQDASH_DATABASE_URL": database_url,
           "SEQDASH_DATA_DIR": str(prefix / "data")}
    cookie = secrets.token_urlsafe(32)
    output = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 (closed once the children have it)
    processes: list[subprocess.Popen] = []
    nginx = None
    try:
        for _ in range(workers):
            ports.append(free_port())
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless=true",
                 f"--server.port={ports[-1]}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false"],
                cwd=ROOT, env={**env, "STREAMLIT_SERVER_COOKIE_SECRET": cookie},
                stdout=output, stderr=subprocess.STDOUT if log else subprocess.DEVNULL))
        for port in ports:
            wait_for_health(f"http://127.0.0.1:{port}")
        (prefix / "nginx.conf").write_text(nginx_conf(ports, listen, prefix))
        nginx = subprocess.Popen([nginx_bin, "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
                                 stdout=output, stderr=subprocess.STDOUT if log else subprocess.DEVNULL)
        url = f"http://127.0.0.1:{listen}"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=5).read()
                break
            except OSError as e:
                if time.monotonic() > deadline or nginx.poll() is not None:
                    why = (prefix / "error.log").read_text(errors="replace")
                    raise RuntimeError(f"nginx did not start: {why}") from e
                time.sleep(0.2)
        yield Workers(url, [f"http://127.0.0.1:{p}" for p in ports], processes, nginx, database_url, prefix)
    finally:
        if log:
            output.close()
        for process in ([nginx] if nginx else []) + processes:
            process.send_signal(signal.SIGTERM)
        for process in ([nginx] if nginx else []) + processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if cluster:
            cluster.stop()
        shutil.rmtree(prefix, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", help="an existing PostgreSQL (default: a throwaway cluster)")
    args = parser.parse_args()
    with running_cluster(args.workers, args.database_url) as running:
        print(f"{args.workers} workers behind nginx: {running.url}  (progress in {running.database_url})", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()

#!/usr/bin/env python3
"""Load benchmark of the candidate status page (考生本人页面, ``/me``) under gunicorn.

Not a test: it prints figures. For each database (SQLite in a temporary instance folder, and a
throwaway PostgreSQL database at 127.0.0.1:5432, user postgres, trust) it

1. builds the schema (``flask db upgrade``) and loads the demo (``flask demo load``), and with
   ``--extra-candidates N`` imports the demo round again with a generated position of N more
   scored candidates, so the round the page computes is that much bigger;
2. starts gunicorn with ``--workers`` sync workers on a free local port;
3. logs in once as ``demo-candidate`` through the login form (CSRF token and all) and checks
   that ``/me`` answers 200 with the candidate's name;
4. hits ``/me`` with that session from ``--connections`` concurrent clients for ``--duration``
   seconds after a short warm-up, with ``wrk`` when it is installed (Debian: apt install wrk),
   else with standard-library client processes;
5. prints requests per second, p50 and p99 latency, and errors, then stops gunicorn and drops
   the database.

Usage (from the checkout)::

    .venv/bin/python benchmarks/status_page_load.py
    .venv/bin/python benchmarks/status_page_load.py --backends postgresql --workers 5 --connections 32 \\
        --duration 30 --extra-candidates 2000 --client python
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import http.cookiejar
import json
import multiprocessing
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"
CANDIDATE, PASSWORD = "demo-candidate", "demo-candidate-2026"
STATUS_PATH = "/me"


@dataclass
class Figures:
    backend: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


# ---------------------------------------------------------------- the database and the app


def _tool(name: str) -> str:
    path = VENV_BIN / name
    return str(path) if path.exists() else name


def _flask(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([_tool("flask"), "--app", "selection", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def _bigger_record(env: dict[str, str], extra: int, folder: Path) -> Path:
    """The demo round's record plus a position P99 of `extra` registered, reviewed and scored candidates."""
    code = f"""
import json, random, sys
from datetime import date
from selection.record.demo import demo_record, _candidate
record = demo_record()
rng = random.Random(2026)
extra = {extra}
record["positions"].append({{"code": "P99", "title": "大规模考生职位(基准测试)", "unit": "市人力资源和社会保障局",
                            "posts": max(1, extra // 30), "requirements": {{"max_age": 45}}}})
for i in range(extra):
    c = _candidate(rng, f"X{{i + 1:05d}}", "P99", i)
    c.update({{"review": {{"decision": "pass"}}, "recommendation": {{"yes": 45, "no": 3, "abstain": 2}},
              "written": {{"written": f"{{rng.randrange(5000, 9900) / 100:.2f}}"}}}})
    record["candidates"].append(c)
json.dump(record, sys.stdout, ensure_ascii=False)
"""
    done = subprocess.run([_tool("python"), "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"generating the bigger round failed:\n{done.stderr}")
    path = folder / "bigger-round.json"
    path.write_text(done.stdout, encoding="utf-8")
    return path


def _prepare(backend: str, folder: Path, extra: int) -> tuple[dict[str, str], str | None]:
    """Environment for the app on a fresh database of `backend`; the PostgreSQL database's name, to drop."""
    env = {k: v for k, v in os.environ.items() if k not in ("FLASK_DEBUG", "DATABASE_URL")}
    env["SELECTION_INSTANCE_PATH"] = str(folder / "instance")
    dropped = None
    if backend == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{folder / 'bench.db'}"
    else:
        dropped = f"selection_bench_{secrets.token_hex(4)}"
        _psql(f'CREATE DATABASE "{dropped}"')
        env["DATABASE_URL"] = f"{POSTGRES_SERVER}/{dropped}"
    _flask(env, "db", "upgrade")
    _flask(env, "demo", "load")
    if extra:
        _flask(env, "round", "import", str(_bigger_record(env, extra, folder)), "--replace")
    return env, dropped


def _psql(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True, connect_timeout=3) as connection:
        connection.execute(statement)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_gunicorn(env: dict[str, str], port: int, workers: int, folder: Path) -> subprocess.Popen[bytes]:
    log = open(folder / "gunicorn.log", "wb")  # noqa: SIM115 - closed with the process
    server = subprocess.Popen(
        [_tool("gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
         "selection:create_app()"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as reply:
                if reply.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit(f"gunicorn did not answer; see {folder / 'gunicorn.log'}")


def _login(port: int) -> str:
    """Log in through the form as the demo candidate; the session cookie, as a Cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    page = opener.open(f"{base}/login").read().decode("utf-8")
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    if token is None:
        raise SystemExit("no CSRF token on the login page")
    form = urllib.parse.urlencode({"csrf_token": token.group(1), "username": CANDIDATE, "password": PASSWORD})
    request = urllib.request.Request(f"{base}/login", data=form.encode(), headers={"Referer": f"{base}/login"})
    opener.open(request).read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar if c.name == "session")
    if not cookie:
        raise SystemExit("login failed: no session cookie")
    status = urllib.request.Request(f"{base}{STATUS_PATH}", headers={"Cookie": cookie})
    with urllib.request.urlopen(status) as reply:
        body = reply.read().decode("utf-8")
        if reply.status != 200 or reply.url.rstrip("/").endswith("/login") or "陈晓燕" not in body:
            raise SystemExit(f"{STATUS_PATH} did not show the demo candidate's page (HTTP {reply.status}, {reply.url})")
    return cookie


# ---------------------------------------------------------------- load: wrk, or standard-library processes


_WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _wrk(port: int, cookie: str, connections: int, seconds: int, backend: str) -> Figures:
    threads = max(1, min(2, connections))
    # wrk's own 2 s timeout would count a slow page as a socket error: wait as long as a browser would
    command = ["wrk", "--latency", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
               "--timeout", "30s", "-H", f"Cookie: {cookie}", f"http://127.0.0.1:{port}{STATUS_PATH}"]
    subprocess.run([*command[:6], "-d", "3s", *command[8:]], capture_output=True, check=True)  # warm-up
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def latency(percent: str) -> float:
        found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
        assert found, output
        return float(found.group(1)) * _WRK_UNITS[found.group(2)]

    requests = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", output)
    assert requests, output
    elapsed = float(requests.group(2)) * _WRK_UNITS[requests.group(3)] / 1000
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    failed = (int(errors.group(1)) if errors else 0) + (sum(map(int, socket_errors.groups())) if socket_errors else 0)
    return Figures(backend, int(requests.group(1)), failed, elapsed, latency("50"), latency("99"))


def _client(port: int, cookie: str, until: float, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    latencies, errors = [], 0
    while time.monotonic() < until:
        start = time.perf_counter()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", STATUS_PATH, headers={"Cookie": cookie})
            reply = connection.getresponse()
            reply.read()
            connection.close()
            ok = reply.status == 200
        except OSError:
            ok = False
        if ok:
            latencies.append((time.perf_counter() - start) * 1000)
        else:
            errors += 1
    results.put((latencies, errors))


def _python_load(port: int, cookie: str, connections: int, seconds: int, backend: str) -> Figures:
    def run(duration: float) -> tuple[list[float], int, float]:
        results: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
        began = time.monotonic()
        until = began + duration
        clients = [multiprocessing.Process(target=_client, args=(port, cookie, until, results))
                   for _ in range(connections)]
        for client in clients:
            client.start()
        gathered = [results.get() for _ in clients]
        for client in clients:
            client.join()
        return ([ms for latencies, _e in gathered for ms in latencies], sum(e for _l, e in gathered),
                time.monotonic() - began)

    run(3)  # warm-up
    latencies, errors, elapsed = run(seconds)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0
    return Figures(backend, len(latencies) + errors, errors, elapsed,
                   statistics.median(latencies) if latencies else 0.0, p99)


# ---------------------------------------------------------------- main


def benchmark(backend: str, args: argparse.Namespace) -> Figures:
    folder = Path(tempfile.mkdtemp(prefix=f"status-bench-{backend}-"))
    dropped = None
    server = None
    try:
        env, dropped = _prepare(backend, folder, args.extra_candidates)
        port = _free_port()
        server = _start_gunicorn(env, port, args.workers, folder)
        cookie = _login(port)
        use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
        load = _wrk if use_wrk else _python_load
        return load(port, cookie, args.connections, args.duration, backend)
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        if dropped:
            _psql(f'DROP DATABASE IF EXISTS "{dropped}" WITH (FORCE)')
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--connections", type=int, default=16, help="concurrent clients")
    parser.add_argument("--duration", type=int, default=20, help="seconds measured, after 3 s of warm-up")
    parser.add_argument("--extra-candidates", type=int, default=0,
                        help="add a generated position of this many scored candidates to the demo round")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON lines too")
    args = parser.parse_args()

    print(f"# candidate status page {STATUS_PATH} under load — {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(f"# machine: {os.cpu_count()} cores, {platform.machine()}, {platform.system()} {platform.release()}, "
          f"Python {platform.python_version()}")
    client = "wrk" if args.client == "wrk" or (args.client == "auto" and shutil.which("wrk")) else "python processes"
    print(f"# gunicorn {args.workers} sync workers; {args.connections} concurrent clients ({client}); "
          f"{args.duration} s measured; demo round + {args.extra_candidates} generated candidates")
    print(f"{'database':<11} {'requests':>9} {'errors':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for backend in args.backends.split(","):
        figures = benchmark(backend.strip(), args)
        print(f"{figures.backend:<11} {figures.requests:>9} {figures.errors:>7} {figures.rps:>8.1f} "
              f"{figures.p50_ms:>8.1f} {figures.p99_ms:>8.1f}", flush=True)
        if args.json:
            print(json.dumps({**figures.__dict__, "rps": round(figures.rps, 1)}))


if __name__ == "__main__":
    main()

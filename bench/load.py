"""Load benchmark: the production server under concurrent predictions, and the tutorials'
Keras server under the same load as a baseline.

    python -m bench.load [--db sqlite|postgres|both] [--seconds 60]

For each database (a throwaway SQLite file; a PostgreSQL database created and dropped
here): migrate, create 16 users, start gunicorn with gunicorn.conf.py (2 workers,
DJANGO_DEBUG=0) on a free 127.0.0.1 port, sign the users in over HTTP, and drive
``POST /api/v1/predict`` with wrk (bench/load_post.lua) sending canvas PNGs of pendigits
drawings as those users: 16 connections (wrk -t2 -c16), then 1 (-t1 -c1), after a
warm-up. Then the same load on the baseline (bench/baseline_keras.py: Keras
``model.predict`` on the whole image shrunk to 28x28, no database). Checks: no 5xx, and
submissions stored = 201 answers, run by run; exit status 1 when one fails. Besides
latency the tables give each worker's CPU seconds (how evenly the load was spread) and
the workers' CPU ms per request, which other work on a shared machine disturbs far less
than requests per second. wrk shares the cores with the server: one or two threads.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench import machine
from bench.load_server import GUNICORN, BenchError, Server
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
PENDIGITS = ROOT.parent / "shared" / "data" / "pendigits-dev"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/digits_load"
USERS, PASSWORD = 16, "load-bench-" + secrets.token_hex(8)
LOADS = (("16 connections", 2, 16), ("1 connection", 1, 1))  # (label, wrk threads, connections)
WARMUP_S = 3
BASELINE_MAX_S = 20
TARGET_RPS, TARGET_P50_MS = 250, 10.0

CREATE_USERS = f"""
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
User = get_user_model()
password = make_password({PASSWORD!r})  # hashed once: the hash is slow on purpose
User.objects.bulk_create([User(username=f"load{{i:02d}}", password=password) for i in range({USERS})])
"""
COUNT = """
from recognizer.models import Submission
print(Submission.objects.count(), Submission.objects.values("user").distinct().count())
"""


@dataclass
class Result:
    label: str
    stats: dict  # what load_post.lua's done() printed, and "worker_cpu_s"
    stored: int | None = None  # submissions stored during the run (None: not counted)

    @property
    def rps(self) -> float:
        return self.stats["requests"] / self.stats["window_s"] if self.stats["window_s"] > 0 else 0.0


def django_env(database_url: str, secret: str, static_root: Path) -> dict:
    """Production settings (digitsite/settings.py) over plain HTTP on 127.0.0.1."""
    env = dict(os.environ)
    env.update(
        DJANGO_DEBUG="0", DJANGO_SECRET_KEY=secret, DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_COOKIES="0", DJANGO_SECURE_SSL_REDIRECT="0", DJANGO_STATIC_ROOT=str(static_root),
        DATABASE_URL=database_url, WEB_CONCURRENCY="2", DJANGO_SETTINGS_MODULE="digitsite.settings",
    )
    # The per-user limit (120/minute by default) would refuse most of the load; a huge
    # one keeps its counting (a cache add and incr per request) in the measured path.
    env.setdefault("DIGITS_PREDICT_RATE", "1000000/minute")
    return env


def manage(env: dict, *args: str, timeout: float = 300) -> str:
    command = [PYTHON, "manage.py", *args]
    try:
        done = subprocess.run(
            command, check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"manage.py {args[0]} took more than {timeout:.0f} s") from exc
    if done.returncode != 0:
        raise BenchError(f"manage.py {args[0]} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def stored_count(env: dict) -> tuple[int, int]:
    """(submissions stored, distinct users who stored them), read with Django."""
    count, users = manage(env, "shell", "-c", COUNT).split()[-2:]
    return int(count), int(users)


def drawings(folder: Path) -> None:
    """Canvas PNGs of pendigits drawings, the first of each digit, as 0.png, 1.png, ..."""
    from bench.canvas import canvas_pngs
    from ml.pendigits import load_pendigits

    if not PENDIGITS.exists():
        raise BenchError(f"{PENDIGITS} is missing: the drawings come from pendigits (see bench/accuracy.py)")
    chosen = {}
    for digit in load_pendigits(PENDIGITS):
        chosen.setdefault(digit.label, digit)
    pngs, canvas = canvas_pngs([chosen[label] for label in sorted(chosen)], "as_written")
    for index, png in enumerate(pngs):
        (folder / f"{index}.png").write_bytes(png)
    print(f"{len(pngs)} canvas PNGs drawn by {canvas}, {min(map(len, pngs))}-{max(map(len, pngs))} bytes")


def postgres(url: str, *, create: bool) -> None:
    """Create (refusing to reuse one) or drop the database of ``url``, from its server's
    "postgres" database."""
    import psycopg

    parsed = urlparse(url)
    name, admin = parsed.path.lstrip("/"), parsed._replace(path="/postgres").geturl()
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as connection:
            sql = f'CREATE DATABASE "{name}"' if create else f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
            connection.execute(sql)
    except psycopg.errors.DuplicateDatabase as exc:
        raise BenchError(f"database {name} already exists (another run, or one interrupted?): drop it with "
                         f"`dropdb -h 127.0.0.1 -U postgres {name}` or pass another --pg-url") from exc
    except psycopg.Error as exc:
        raise BenchError(f"PostgreSQL at {url}: {exc}\nIs it running? Or use --db sqlite.") from exc


def bench_database(kind: str, url: str, pngs: Path, work: Path, args) -> tuple[list[Result], int]:
    """The runs' results, and how many distinct users stored submissions."""
    env = django_env(url, secrets.token_urlsafe(50), work / "static")
    manage(env, "migrate", "--noinput")
    manage(env, "shell", "-c", CREATE_USERS)
    folder = work / kind
    folder.mkdir()
    for png in pngs.glob("*.png"):
        shutil.copy(png, folder / png.name)
    with Server("digitsite.wsgi", env, work / f"gunicorn-{kind}.log", args.gunicorn_arg) as server:
        server.wait_ready("/accounts/login/")
        with ThreadPoolExecutor(8) as pool:  # password hashing is slow on purpose: in parallel
            sessions = pool.map(lambda name: server.login(name, PASSWORD), [f"load{i:02d}" for i in range(USERS)])
            (folder / "users.txt").write_text("".join(f"{sid} {token}\n" for sid, token in sessions))
        results, (before, users) = [], stored_count(env)
        for label, threads, connections in (("warm-up", 2, 16), *LOADS):
            seconds = WARMUP_S if label == "warm-up" else args.seconds
            stats = server.load(folder, threads, connections, seconds)
            after, users = stored_count(env)
            results.append(Result(label, stats, after - before))
            before = after
        return results, users


def bench_baseline(pngs: Path, work: Path, args) -> list[Result]:
    (pngs / "users.txt").write_text("none none\n" * USERS)  # no sign-in; the Lua script wants users
    env = {**os.environ, "WEB_CONCURRENCY": "2", "TF_CPP_MIN_LOG_LEVEL": "3"}
    seconds = min(args.seconds, BASELINE_MAX_S)
    log = work / "gunicorn-baseline.log"
    with Server("bench.baseline_keras:application", env, log, args.gunicorn_arg) as server:
        server.wait_ready("/", workers=2)  # both workers have loaded Keras and the model
        return [Result(label, server.load(pngs, threads, conns, seconds)) for label, threads, conns in LOADS]


def print_table(title: str, results: list[Result]) -> None:
    print(f"\n{title}\n\n| load           | requests |  req/s | p50 ms | p95 ms | p99 ms | non-2xx "
          "| 5xx | stored / 201s | worker CPU s | CPU ms/req |\n|----------------|---------:|-------:"
          "|-------:|-------:|-------:|--------:|----:|--------------:|-------------:|-----------:|")
    for r in results:
        s, cpu = r.stats, r.stats["worker_cpu_s"]
        stored = "-" if r.stored is None else f"{r.stored} / {s['n201']}"
        split, per_request = " + ".join(f"{x:.1f}" for x in cpu), sum(cpu) * 1000 / max(1, s["requests"])
        print(f"| {r.label:<14} | {s['requests']:>8} | {r.rps:>6.1f} | {s['p50_ms']:>6.2f} "
              f"| {s['p95_ms']:>6.1f} | {s['p99_ms']:>6.1f} | {s['non2xx']:>7} | {s['n5xx']:>3} | {stored:>13} "
              f"| {split:>12} | {per_request:>10.2f} |")


def check(results: list[Result]) -> list[str]:
    problems = []
    for r in results:
        s, where = r.stats, r.label
        if s["n5xx"]:
            problems.append(f"{where}: {s['n5xx']} answers were 5xx (first: {s['sample_error']})")
        if s["non2xx"] > s["n5xx"]:
            problems.append(f"{where}: {s['non2xx']} answers not 2xx ({s['statuses']}; {s['sample_error']})")
        if s["sent"] != s["answered"]:
            problems.append(f"{where}: {s['sent']} requests sent, {s['answered']} answered before the end")
        errors = {key: s[key] for key in ("connect_errors", "read_errors", "write_errors", "timeouts")}
        errors = {key: count for key, count in errors.items() if count}
        if errors or s["late"]:
            problems.append(f"{where}: socket errors {errors or 'none'}; {s['late']} requests after the stop")
        if r.stored is not None and r.stored != s["n201"]:
            problems.append(f"{where}: {r.stored} submissions stored, but {s['n201']} answers were 201")
    return problems


def verdicts(name: str, results: list[Result], baseline: list[Result] | None) -> None:
    by_label = {r.label: r for r in results}
    busy, single = by_label["16 connections"], by_label["1 connection"]

    valid = all(r.stats["non2xx"] == 0 for r in (busy, single))
    met = {True: "met", False: "NOT MET"} if valid else {True: "invalid: non-2xx", False: "NOT MET"}
    p50 = single.stats["p50_ms"]
    print(f"\n{name}: {busy.rps:.1f} req/s with 16 connections ({met[busy.rps >= TARGET_RPS]}); "
          f"p50 {p50:.2f} ms with 1 connection ({met[p50 <= TARGET_P50_MS]})")
    for ours, keras in zip((busy, single), baseline or (), strict=False):
        latency = []
        for q in ("p50", "p99"):
            mine, theirs = ours.stats[q + "_ms"], keras.stats[q + "_ms"]
            ratio = f"{theirs / mine:.1f}x lower" if mine <= theirs else f"{mine / theirs:.1f}x HIGHER"
            latency.append(f"{q} {mine:.1f} vs {theirs:.1f} ms ({ratio})")
        print(f"  vs Keras baseline, {ours.label}: {ours.rps / keras.rps:.1f}x the req/s; {'; '.join(latency)}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--seconds", type=int, default=60, help="length of each measured run (default 60)")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="database created and dropped here")
    parser.add_argument("--no-baseline", action="store_true", help="skip the Keras baseline")
    parser.add_argument("--gunicorn-arg", action="append", default=[], metavar="ARG",
                        help="an extra gunicorn option for experiments, e.g. --gunicorn-arg=--keep-alive=0")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the finally blocks clean up
    if args.seconds < 1:
        parser.error("--seconds must be at least 1")
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: install it with `apt-get install -y wrk` (Debian's package wrk).")
    if not GUNICORN.exists():
        sys.exit(f"{GUNICORN} is missing: run `make install` first.")

    names = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    extra = f", {' '.join(args.gunicorn_arg)}" if args.gunicorn_arg else ""
    print(f"gunicorn.conf.py, 2 workers{extra}; {machine()}, shared with wrk; "
          f"{args.seconds} s per run after a {WARMUP_S} s warm-up"
          f"{'' if args.no_baseline else f'; Keras baseline {min(args.seconds, BASELINE_MAX_S)} s per run'}")
    problems, tables, baseline = [], {}, None
    with tempfile.TemporaryDirectory(prefix="digits-load-") as temp:
        work = Path(temp)
        pngs = work / "pngs"
        pngs.mkdir()
        try:
            drawings(pngs)
            env = django_env(f"sqlite:///{work / 'unused.sqlite3'}", "collectstatic", work / "static")
            manage(env, "collectstatic", "--noinput")  # DEBUG=0 serves the hashed, compressed files
            for kind in kinds:
                url = f"sqlite:///{work / 'load.sqlite3'}" if kind == "sqlite" else args.pg_url
                load_before = os.getloadavg()[0]  # the machine's: others' work shows here
                if kind == "postgres":
                    postgres(url, create=True)
                try:
                    results, users = bench_database(kind, url, pngs, work, args)
                finally:
                    if kind == "postgres":
                        postgres(url, create=False)
                problems += [f"{kind}: {problem}" for problem in check(results)]
                if users != USERS:
                    problems.append(f"{kind}: submissions came from {users} users, not {USERS}")
                tables[kind] = [r for r in results if r.label != "warm-up"]
                print_table(f"{names[kind]}: POST /api/v1/predict, {USERS} signed-in users (load average "
                            f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after)", tables[kind])
            if not args.no_baseline:
                baseline = bench_baseline(pngs, work, args)
                problems += [f"baseline: {problem}" for problem in check(baseline)]
                title = "Keras baseline: model.predict on the whole image shrunk to 28x28, no database"
                print_table(title, baseline)
        except BenchError as exc:
            print(f"\nerror: {exc}", file=sys.stderr)
            return 1
    print(f"\ntargets: >= {TARGET_RPS} req/s with 16 connections; p50 <= {TARGET_P50_MS:g} ms with 1")
    for kind, results in tables.items():
        verdicts(names[kind], results, baseline)
    passed = f"no 5xx; stored submissions = 201 answers in every run; all {USERS} users stored some"
    print("\nchecks: " + (passed if not problems else "FAILED"))
    for problem in problems:
        print(f"  {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())

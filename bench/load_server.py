"""The servers bench/load.py measures: gunicorn under test, driven by wrk.

Starting and stopping gunicorn (always stopped, even on Ctrl-C), waiting until every
worker answers, signing users in over HTTP, reading the workers' CPU time, and running
wrk with bench/load_post.lua.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")
LUA_SCRIPT = ROOT / "bench" / "load_post.lua"
STARTUP_TIMEOUT_S = 120
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# After the measured window wrk runs on this long without starting requests, so the last
# answers arrive; less than gunicorn's keep-alive (2 s), which would close the idle
# connections and make wrk reconnect with a new request.
TAIL_S = 1.7
WRK_TIMEOUT_S = 20


class BenchError(Exception):
    """The benchmark cannot go on (the message says why)."""


def tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else "(no log)"


class Server:
    """gunicorn with the project's gunicorn.conf.py, 2 workers, logging to a file."""

    def __init__(self, app: str, env: dict, log: Path, extra_args: list[str]):
        with socket.socket() as probe:  # a free port
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.log = log
        self.env = {**env, "BIND": f"127.0.0.1:{self.port}"}
        self.command = [str(GUNICORN), "-c", "gunicorn.conf.py", "--workers", "2", *extra_args, app]
        self.process: subprocess.Popen | None = None

    def __enter__(self):
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, for the last-resort kill
            )
        return self

    def __exit__(self, *exc_info):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # gunicorn: graceful stop of its workers
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the session it leads: only its workers
            self.process.wait(timeout=10)

    def worker_cpu(self) -> dict[int, float]:
        """CPU seconds (user + system) each worker process has used so far."""
        seconds, pid = {}, self.process.pid
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            try:
                fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # it just exited
            seconds[int(child)] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
        return seconds

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def wait_ready(self, path: str, workers: int = 1) -> None:
        """Poll ``path`` until it answers 200 (from ``workers`` distinct pids, read from a JSON
        answer, when more than one), for at most STARTUP_TIMEOUT_S."""
        deadline, pids = time.monotonic() + STARTUP_TIMEOUT_S, set()
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited with status {self.process.returncode}:\n{tail(self.log)}")
            try:
                status, _, body = self.request("GET", path)
            except OSError:
                status = None
            if status not in (None, 200, 502, 503):
                raise BenchError(f"GET {path} answered {status}, not 200:\n{tail(self.log)}")
            if status == 200:
                pids.add(json.loads(body)["pid"] if workers > 1 else 0)
                if len(pids) >= workers:
                    return
            time.sleep(0.1 if status == 200 else 0.3)
        raise BenchError(f"the server did not answer {path} within {STARTUP_TIMEOUT_S} s:\n{tail(self.log)}")

    def login(self, username: str, password: str) -> tuple[str, str]:
        """(sessionid, csrftoken) of a signed-in session, the way a browser gets them."""
        status, headers, _ = self.request("GET", "/accounts/login/")
        token = _cookies(headers).get("csrftoken")
        if status != 200 or not token:
            raise BenchError(f"GET /accounts/login/ answered {status} without a csrftoken cookie")
        form = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token}).encode()
        status, headers, _ = self.request(
            "POST", "/accounts/login/", form,
            {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={token}"},
        )
        cookies = _cookies(headers)
        if status != 302 or "sessionid" not in cookies:
            raise BenchError(f"signing in {username} answered {status} without a session cookie")
        return cookies["sessionid"], cookies.get("csrftoken", token)  # Django rotates it at login

    def load(self, folder: Path, threads: int, connections: int, seconds: int) -> dict:
        """Run wrk with load_post.lua; its done() summary, plus the workers' CPU seconds."""
        url = f"http://127.0.0.1:{self.port}/api/v1/predict"
        command = [  # wrk takes whole seconds: the requests stop TAIL_S before its end
            "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds + 2}s", f"--timeout={WRK_TIMEOUT_S}s",
            "-s", str(LUA_SCRIPT), url, "--", str(folder), str(threads), f"{seconds + 2 - TAIL_S:.3f}",
        ]
        cpu_before = self.worker_cpu()
        try:
            done = subprocess.run(
                command, check=False, capture_output=True, text=True, errors="replace", timeout=seconds + 60
            )
        except subprocess.TimeoutExpired as exc:
            raise BenchError(f"wrk did not finish: {' '.join(command)}") from exc
        cpu_after = self.worker_cpu()
        line = next((line for line in done.stdout.splitlines() if line.startswith("LOADRESULT ")), None)
        if done.returncode != 0 or line is None:
            raise BenchError(f"wrk failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        stats = json.loads(line.split(" ", 1)[1])
        used = [cpu_after[pid] - cpu_before.get(pid, 0.0) for pid in cpu_after]
        stats["worker_cpu_s"] = sorted(used, reverse=True)
        return stats


def _cookies(headers) -> dict:
    jar = SimpleCookie()
    for header in headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}

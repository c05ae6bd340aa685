"""deploy/run.sh --replicas 2: two Streamlit replicas behind nginx. Every session's page, websocket and upload reach
one replica (an upload sent to the other replica is refused), both replicas take sessions, and Ctrl-C stops the
whole set and removes its temporary directory. Skipped without nginx, a failure under CI (.ci/run installs it)."""

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from deploy.sticky import browser_session, upload
from tests.paths import ROOT


def nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if found is None:
        assert not os.environ.get("CI"), "nginx is missing: .ci/run installs it from Debian's packages"
        pytest.skip("nginx is not installed (apt-get install nginx)")
    return found


def free_ports(count: int) -> list[int]:
    """`count` consecutive free loopback ports (run.sh numbers its replicas from the first)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            first = s.getsockname()[1]
        if first + count < 65536 and all(listening(p) is False for p in range(first, first + count)):
            return list(range(first, first + count))
    raise RuntimeError("no free ports")


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def processes(session: int) -> str:
    """The processes of run.sh's session, with their state (a Z is a child nobody has reaped)."""
    listing = subprocess.run(
        ["ps", "-o", "pid,ppid,stat,etime,args", "-s", str(session)], capture_output=True, text=True
    )
    return listing.stdout


def test_two_replicas_behind_nginx_keep_every_session_on_one_replica(tmp_path):
    nginx()
    port, *replicas = free_ports(3)
    log = tmp_path / "run.log"
    env = {**os.environ, "ATROUS_LAB_WEIGHTS": "random", "TORCH_HOME": str(tmp_path)}
    cmd = [str(ROOT / "deploy" / "run.sh"), "--replicas", "2", "--port", str(port), "--bind", "127.0.0.1"]
    cmd += ["--first-port", str(replicas[0])]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while "Ctrl-C stops everything" not in log.read_text() and proc.poll() is None:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        assert proc.poll() is None, log.read_text()
        run_dir = Path(re.search(r"configuration and logs: (\S+);", log.read_text()).group(1))
        url = f"http://127.0.0.1:{port}"

        fresh = browser_session(url, "overview")  # a new browser: nginx picks its route
        assert fresh.ok, fresh
        seen = {fresh.socket_replica}
        for i in range(24):  # returning browsers with other routes, until both replicas have served one
            if len(seen) == 2:
                break
            session = browser_session(url, "formula", "zh", route=f"student-{i}")
            assert session.ok and session.route == f"student-{i}", session
            seen.add(session.socket_replica)
        assert seen == {f"127.0.0.1:{p}" for p in replicas}

        # what stickiness prevents: the same upload sent straight to the replica that does not hold the session
        other = next(r for r in seen if r != fresh.socket_replica)
        assert upload(f"http://{other}", fresh.session_id, fresh.cookie, fresh.xsrf, timeout=30)[0] == 400
        assert "replica=" in (run_dir / "access.log").read_text()  # nginx logs the replica of every request

        proc.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"still running 60 s after Ctrl-C:\n{log.read_text()}\n{processes(proc.pid)}"
            ) from None
        assert not any(listening(p) for p in (port, *replicas))
        assert not run_dir.exists()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)

#!/usr/bin/env bash
# N Streamlit replicas of the app behind nginx with sticky sessions, on one machine.
#
#   deploy/run.sh --replicas 2                  # http://<this machine>:8080, replicas on 127.0.0.1:8601, 8602
#   deploy/run.sh --replicas 4 --port 80 --bind 0.0.0.0 --first-port 9001
#
# The replicas run `streamlit run app.py` on loopback ports; nginx (Debian's package) listens on --bind:--port and
# routes each browser to one replica for good (deploy/nginx.conf). The configuration, pid and log files go to a new
# temporary directory, never the repository; it is printed at start and kept when something failed. Ctrl-C (or
# SIGTERM) stops nginx and every replica. The environment passes through to the replicas, so
# ATROUS_LAB_INFERENCE=ray ATROUS_LAB_SERVE_URL=http://gpu-box:8000 deploy/run.sh ... makes them clients of the
# inference service (docs/DEPLOY.md).
set -euo pipefail

replicas=2 port=8080 bind=0.0.0.0 first_port=8601
while [ $# -gt 0 ]; do
  case "$1" in
    --replicas) replicas="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --bind) bind="$2"; shift 2 ;;
    --first-port) first_port="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$replicas" in ''|*[!0-9]*|0) echo "--replicas needs a positive number" >&2; exit 2 ;; esac

root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
[ -x "$python" ] || python="$(command -v python3)"
nginx="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"
if [ ! -x "$nginx" ]; then
  echo "nginx is not installed (Debian/Ubuntu: sudo apt-get install nginx)" >&2
  exit 1
fi

run_dir="$(mktemp -d -t atrous-deploy.XXXXXX)"
chmod 755 "$run_dir"  # nginx's workers (another user when started as root) create their temp files in here
pids=()
status=0

stop() {
  trap '' INT TERM  # a second Ctrl-C while stopping must not leave processes or the directory behind
  trap - EXIT
  echo "stopping (pids ${pids[*]})" >&2
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 50); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.2
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  if [ "$status" = 0 ]; then
    rm -rf "$run_dir"
  else
    echo "logs kept in $run_dir" >&2
  fi
  exit "$status"
}
trap 'stop' INT TERM
trap 'status=$?; stop' EXIT

servers=""
for i in $(seq 0 $((replicas - 1))); do
  replica_port=$((first_port + i))
  (cd "$root" && exec "$python" -m streamlit run app.py --server.headless true --server.address 127.0.0.1 \
      --server.port "$replica_port" --browser.gatherUsageStats false) >"$run_dir/replica-$replica_port.log" 2>&1 &
  pids+=($!)
  servers+="        server 127.0.0.1:$replica_port max_fails=1 fail_timeout=10s;"$'\n'
done

# Every replica healthy before nginx takes traffic (a fresh server imports torch once: seconds, not minutes).
"$python" - "$first_port" "${pids[@]}" <<'PY' || { echo "a replica did not start; see its log" >&2; exit 1; }
import os, sys, time, urllib.request
first, pids = int(sys.argv[1]), [int(p) for p in sys.argv[2:]]
deadline = time.monotonic() + 180
for port, pid in zip(range(first, first + len(pids)), pids):
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.read() == b"ok":
                    break
        except OSError:
            pass
        try:
            os.kill(pid, 0)
        except OSError:
            sys.exit(f"the replica on port {port} exited")
        if time.monotonic() > deadline:
            sys.exit(f"the replica on port {port} did not answer within 180 s")
        time.sleep(0.2)
PY

template="$root/deploy/nginx.conf"
awk -v listen="$bind:$port" -v servers="${servers%$'\n'}" \
  '{ gsub(/@LISTEN@/, listen); if ($0 == "@SERVERS@") print servers; else print }' "$template" >"$run_dir/nginx.conf"
"$nginx" -t -q -p "$run_dir" -c "$run_dir/nginx.conf" -e "$run_dir/error.log"
"$nginx" -p "$run_dir" -c "$run_dir/nginx.conf" -e "$run_dir/error.log" -g "daemon off;" &
pids+=($!)
# Ready only when nginx accepts connections: started in the background, it may not listen yet (on a busy machine a
# client that took the line below as the signal was refused).
probe_host="$bind"; [ "$probe_host" = "0.0.0.0" ] && probe_host=127.0.0.1
for _ in $(seq 300); do
  (exec 3<>"/dev/tcp/$probe_host/$port") 2>/dev/null && break
  kill -0 "${pids[-1]}" 2>/dev/null || { echo "nginx did not start; see $run_dir/error.log" >&2; exit 1; }
  sleep 0.1
done

echo "Atrous Lab: http://$bind:$port ($replicas replicas on 127.0.0.1:$first_port-$((first_port + replicas - 1)), sticky sessions)"
echo "configuration and logs: $run_dir; Ctrl-C stops everything"
# Run until Ctrl-C, or until one process dies: then stop the rest rather than serve half a class. A poll, not
# `wait -n`: with `wait -n` a Ctrl-C under load twice went unanswered for 60 s (the cause unconfirmed; a signal
# racing the wait is the likely one); bash runs the INT/TERM trap as soon as its foreground `sleep` ends.
set +e
while :; do
  for pid in "${pids[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "a process of the set exited (pid $pid); stopping the others" >&2
      status=1
      exit 1
    fi
  done
  sleep 1
done

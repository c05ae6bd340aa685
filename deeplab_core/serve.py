"""`python -m deeplab_core.serve {start,smoke}`: the inference service on Ray Serve (requirements-serve.txt).

    python -m deeplab_core.serve start                       # a local Ray cluster and the service; Ctrl-C stops
    python -m deeplab_core.serve start --address HOST:6379   # deploy onto a running cluster, then return
    python -m deeplab_core.serve smoke --requests 16         # local service vs in-process labels

`start` deploys one application per model (flags, or ATROUS_SERVE_* variables: deeplab_core/serving/settings.py)
and prints how to point the app at it. With no address it starts a local cluster and keeps it in the foreground
(the cluster lives as long as this process); with --address the applications live on in the cluster, and Ray's
own `serve shutdown` removes them. Exit status: 0 on success, 1 when the service could not be started or the
smoke run found a difference, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence

from deeplab_core.config import MODEL_NAMES
from deeplab_core.serving.settings import ServeSettings, from_env


def _missing_weights(settings: ServeSettings) -> list[str]:
    from deeplab_core.nets.checkpoints import is_cached

    return [m for m in settings.models if settings.weights == "pretrained" and not is_cached(m)]


def start(settings: ServeSettings, address: str | None) -> int:
    from deeplab_core.serving import ray_app

    missing = [] if address else _missing_weights(settings)  # a remote cluster's nodes hold their own cache
    if missing:
        print(
            f"weights missing here: {' '.join(missing)}; fetch them with "
            f"python -m deeplab_core.weights download {' '.join(missing)} (or set ATROUS_LAB_WEIGHTS=random)"
        )
        return 1
    try:
        ray_app.connect(address)
    except (ConnectionError, RuntimeError) as exc:  # no cluster at that address (Ray gives up after its own wait)
        auth = " (Ray's token authentication: join by address with RAY_AUTH_MODE=token and the cluster's token)"
        hint = "" if os.environ.get("RAY_AUTH_MODE") else auth
        print(f"no Ray cluster at {address}: {exc}{hint}", file=sys.stderr)
        return 1
    try:
        urls = ray_app.deploy(settings)
    except Exception as exc:  # noqa: BLE001 - a replica that cannot start (weights, memory) is reported, not raised
        print(f"the service did not start: {type(exc).__name__}: {exc}", file=sys.stderr)
        ray_app.shutdown() if not address else None
        return 1
    for name, url in urls.items():
        print(f"  {name:<20} {url}")
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    print(
        f"point the app at it: ATROUS_LAB_INFERENCE=ray ATROUS_LAB_SERVE_URL=http://{host}:{settings.port} "
        "streamlit run app.py"
    )
    if address:
        return 0
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):  # also when started in the background, where SIGINT was ignored
        signal.signal(sig, lambda *_: stop.set())
    print("serving; Ctrl-C stops the service and its local cluster", flush=True)
    while not stop.wait(0.5):  # a short wait, so the signal handler runs promptly
        pass
    ray_app.shutdown()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deeplab_core.serve", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("start", help="start or join a Ray cluster and deploy the service")
    up.add_argument("--address", help="a running Ray cluster (host:6379 or ray://host:10001); none: start one here")
    up.add_argument("--models", help=f"comma-separated, among {', '.join(MODEL_NAMES)}")
    up.add_argument("--weights", help="pretrained, random, or a folder of <model name>.pth")
    up.add_argument("--replicas", type=int, help="replicas per model")
    up.add_argument("--gpus", type=float, help="GPUs per replica (0.25: four replicas share one GPU)")
    up.add_argument("--cpus", type=float, help="CPUs per replica (default: the cluster's, shared evenly)")
    up.add_argument("--max-batch-size", type=int)
    up.add_argument("--batch-wait-timeout-s", type=float)
    up.add_argument("--host", help="the HTTP proxy's address (0.0.0.0: reachable from other machines)")
    up.add_argument("--port", type=int)
    check = commands.add_parser("smoke", help="a local service against the in-process pipeline")
    check.add_argument("--requests", type=int, default=16)
    check.add_argument("--model", default="mobilenet_v3_large", choices=MODEL_NAMES)
    check.add_argument("--timing", action="store_true", help="warm both sides first: a throughput comparison")
    args = parser.parse_args(argv)
    if args.command == "smoke":
        from deeplab_core.serving.smoke import smoke

        return smoke(args.requests, model=args.model, timing=args.timing)
    flags = {k: v for k, v in vars(args).items() if k not in ("command", "address")}
    if flags["models"]:
        flags["models"] = tuple(m.strip() for m in flags["models"].split(",") if m.strip())
    try:
        settings = from_env(**flags)
    except ValueError as exc:
        parser.error(str(exc))
    return start(settings, args.address)


if __name__ == "__main__":
    sys.exit(main())

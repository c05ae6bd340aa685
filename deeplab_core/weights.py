"""`python -m deeplab_core.weights {status,download} [NAME ...]`: set a classroom up before it goes offline.

Exit status: 0 when every named model is cached (status) or was fetched (download), 1 when one is missing or
could not be fetched, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from deeplab_core.nets.checkpoints import (
    WEIGHTS,
    WeightsUnavailableError,
    cached_path,
    checkpoint_dir,
    download,
    file_size,
    is_cached,
)
from deeplab_core.nets.checkpoints import log as checkpoints_log

MIB = 2**20


def _mib(size: int | None) -> str:
    return "?" if size is None else f"{size / MIB:.1f} MiB"


def status(names: Sequence[str]) -> int:
    print(f"torch hub cache: {checkpoint_dir()}")
    missing = 0
    for name in names:
        path = cached_path(name)
        if is_cached(name):
            print(f"  cached   {name:<20} {_mib(path.stat().st_size):>10}  {path}")
        else:
            missing += 1
            print(f"  missing  {name:<20} {_mib(file_size(name)):>10}  {path}")
    if missing:
        print(
            f"{missing} of {len(names)} missing; fetch with: python -m deeplab_core.weights download "
            + " ".join(n for n in names if not is_cached(n))
        )
    return 1 if missing else 0


class _ProgressLine:
    """One line of stderr, rewritten in place (carriage return) as bytes arrive; `end()` closes it, once, so that
    whatever is printed next starts on a line of its own."""

    def __init__(self, name: str) -> None:
        self.name, self.open = name, False

    def __call__(self, done: int, total: int | None) -> None:
        share = f" ({done / total:.0%})" if total else ""
        print(f"\r  {self.name}: {_mib(done)} of {_mib(total)}{share}", end="", file=sys.stderr, flush=True)
        self.open = True

    def end(self) -> None:
        if self.open:
            print(file=sys.stderr, flush=True)
            self.open = False


def fetch(names: Sequence[str]) -> int:
    failed = 0
    for name in names:
        if is_cached(name):
            print(f"  cached   {name:<20} {cached_path(name)}")
            continue
        line = _ProgressLine(name)
        try:
            path = download(name, line)
        except WeightsUnavailableError as exc:
            failed += 1
            line.end()
            print(f"  failed   {name}: {exc}", file=sys.stderr)
            continue
        line.end()
        print(f"  fetched  {name:<20} {_mib(path.stat().st_size):>10}  {path}")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deeplab_core.weights",
        description="Pretrained DeepLabv3 checkpoints in the torch hub cache ($TORCH_HOME/hub/checkpoints).",
    )
    parser.add_argument(
        "command",
        choices=("status", "download"),
        help="status: list what is cached; download: fetch what is missing, with progress",
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"models (default: all): {', '.join(WEIGHTS)}")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in WEIGHTS]
    if unknown:
        parser.error(f"unknown model {', '.join(unknown)}; choose from {', '.join(WEIGHTS)}")
    names = args.names or list(WEIGHTS)
    # The download logs each failure for a server's log; here the tool prints it itself, once, on its own line, so
    # the log record must not also reach stderr (through logging's last-resort handler, onto the progress line).
    if not any(isinstance(handler, logging.NullHandler) for handler in checkpoints_log.handlers):
        checkpoints_log.addHandler(logging.NullHandler())
    return status(names) if args.command == "status" else fetch(names)


if __name__ == "__main__":
    raise SystemExit(main())

"""`python -m deeplab_core.lab --variants a,b,c,d,e --seeds 0,1,2 --steps N --json out.json`: the train lab.

Trains every (variant, seed) pair on the synthetic scenes of `deeplab_core.nets.lab.scenes`, scores it on the
shared validation scenes, and writes one JSON file with, per run: parameters, output stride and receptive field
(read from the module), training seconds, validation mIoU, per-class IoU, the curves and three predictions; and,
for the whole file, the exact command, the machine and the settings, so that the file can be reproduced. Runs on
the GPU when there is one (`--device` overrides). Imports neither streamlit nor plotly.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from deeplab_core.nets.device import cpu_model, describe_device, resolve_device
from deeplab_core.nets.lab.results import answers, summarise
from deeplab_core.nets.lab.scenes import SceneSpec
from deeplab_core.nets.lab.training import MAX_STEPS, Progress, RunResult, TrainConfig, train
from deeplab_core.nets.lab.variants import expand_keys


def load_average() -> list[str] | None:
    """1, 5 and 15-minute load averages: other processes on a shared machine slow every run."""
    try:
        with open("/proc/loadavg", encoding="utf-8") as f:
            return f.read().split()[:3]
    except OSError:
        return None  # not Linux


def machine(device: str | None, load: list[str] | None) -> dict:
    info = describe_device(device)
    return {
        "device": info.kind,
        "device_name": info.name,
        "cpu": cpu_model(),
        "threads": info.threads,
        "torch": info.torch_version,
        "python": platform.python_version(),
        "load_average_at_start": load,
        "load_average_at_end": load_average(),
    }


def _number(value: float) -> float | None:
    """JSON has no NaN: a spread over one seed is written as null."""
    return None if value != value else round(value, 4)


def report(runs: Sequence[RunResult]) -> dict:
    variants = list(dict.fromkeys(r.variant for r in runs))
    summary = {}
    for v in variants:
        s = summarise(runs, v)
        summary[v] = {"miou_mean": _number(s.mean), "miou_spread": _number(s.spread), "seconds_mean": s.seconds}
    verdicts = [
        {"score": score, **{k: (_number(v) if isinstance(v, float) else v) for k, v in vars(verdict).items()}}
        for score, verdict in answers(runs)
    ]
    return {"summary": summary, "verdicts": verdicts}


def run(variants: list[str], seeds: list[int], config: TrainConfig, device: str | None, command: str) -> dict:
    runs, load = [], load_average()
    for variant in variants:
        for seed in seeds:

            def show(p: Progress, v: str = variant, s: int = seed) -> None:
                if p.miou is not None:
                    print(
                        f"  {v} seed {s}: step {p.step}/{p.steps} loss {p.loss:.3f} mIoU {p.miou:.3f}", file=sys.stderr
                    )

            result = train(variant, seed, config, device=device, callback=show)
            print(f"{variant} seed {seed}: mIoU {result.miou:.4f} in {result.seconds:.1f} s", file=sys.stderr)
            runs.append(result)
    return {
        "command": command,
        "created": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": machine(device, load),
        "config": dataclasses.asdict(config),
        "scenes": dataclasses.asdict(SceneSpec()),
        **report(runs),
        "runs": [r.to_json() for r in runs],
    }


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m deeplab_core.lab", description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default="a,b,c,d,e", help="comma-separated: a, b, c, d, e (= e-grid,e-hdc)")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated integers")
    parser.add_argument("--steps", type=int, default=TrainConfig.steps, help=f"training steps (at most {MAX_STEPS})")
    parser.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best available)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: 1 on a CPU)")
    parser.add_argument("--json", type=Path, required=True, help="where to write the results")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    argv = list(sys.argv[1:] if argv is None else argv)
    if args.threads or resolve_device(args.device).type == "cpu":
        # One thread by default: on a small CPU shared with other processes, two threads wait on each other at
        # every operation, and steps took 2-10x longer and varied wildly (docs/BENCHMARKS.md, "Train lab").
        torch.set_num_threads(args.threads or 1)
    try:
        variants = expand_keys([v.strip() for v in args.variants.split(",") if v.strip()])
        seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if not 1 <= args.steps <= MAX_STEPS:
        print(f"--steps must be between 1 and {MAX_STEPS}.", file=sys.stderr)
        return 2
    command = " ".join(["python -m deeplab_core.lab", *argv])
    out = run(variants, seeds, TrainConfig(steps=args.steps), args.device, command)
    args.json.write_text(json.dumps(out, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    for name, s in out["summary"].items():
        print(f"{name:7s} mIoU {s['miou_mean']} ± {s['miou_spread']}  {s['seconds_mean']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

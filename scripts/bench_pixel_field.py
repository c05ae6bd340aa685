"""Time one pixel field (issue 21) as the "Where does this pixel look?" page computes it: the BN-folded copy of a
random-weight network (timing does not depend on the weights), the centre pixel of a sample photo, with and without
image pooling, under the server's thread policy; medians of 5.

    python scripts/bench_pixel_field.py mobilenet_v3_large astronaut 320,520,720
"""

import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from deeplab_core.nets.device import apply_thread_policy
from deeplab_core.nets.effective_field import field_copy, pixel_field, pooling_branch
from deeplab_core.nets.model import load_model
from deeplab_core.samples import load_sample


def main(name: str, sample: str, sides: str) -> None:
    apply_thread_policy()
    image = load_sample(sample)
    torch.manual_seed(0)
    model = field_copy(load_model(name, weights="random", device="cpu"))
    pixel = (image.height // 2, image.width // 2)
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, torch threads {torch.get_num_threads()}")
    for side in (int(s) for s in sides.split(",")):
        for pooling in (True, False):
            mute = () if pooling else (pooling_branch(model),)
            times = []
            for _ in range(5):
                start = time.perf_counter()
                pixel_field(model, image, pixel, short_side=side, mute=mute)
                times.append(time.perf_counter() - start)
            runs = ", ".join(f"{t:.2f}" for t in times)
            print(f"{name}, {sample} {image.size}, short side {side}, image pooling {'on' if pooling else 'off'}: "
                  f"median {statistics.median(times):.2f} s ({runs})")  # fmt: skip


if __name__ == "__main__":
    main(*sys.argv[1:4])

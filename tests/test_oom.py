"""Out of memory is an answer: a simulated allocator failure during inference gives the translated message, releases
memory, and leaves the model usable; the fair queue serves jobs in arrival order; the CPU job bound refuses giants."""

import threading

import numpy as np
import pytest
import torch
from PIL import Image

from deeplab_core.config import CPU_JOB_GMACS
from deeplab_core.i18n import LANGUAGES, text
from deeplab_core.nets import memory, segmentation
from deeplab_core.nets.memory import OutOfMemoryError, is_allocation_failure, memory_guard
from deeplab_core.nets.workload import TooHeavyError, Work, check_workload, job_macs
from deeplab_core.serving.queue import TicketQueue
from tests.apptest_support import open_page
from tests.waiting import eventually

CPU_MESSAGE = "DefaultCPUAllocator: can't allocate memory: you tried to allocate 6623428608 bytes. Error code 12"


@pytest.fixture(scope="module")
def mobilenet(random_model):
    return random_model("mobilenet_v3_large")


@pytest.mark.parametrize(
    "error",
    [MemoryError(), RuntimeError(CPU_MESSAGE), torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")],
)
def test_allocation_failures_become_a_translated_error_and_memory_is_released(error, monkeypatch):
    released = []
    monkeypatch.setattr(memory, "release_memory", lambda device: released.append(device))
    with pytest.raises(OutOfMemoryError) as caught, memory_guard("cpu"):
        raise error
    assert released == ["cpu"]
    assert caught.value.key == "errors.memory.out_of_memory" and caught.value.__cause__ is None
    for lang in LANGUAGES:
        assert "cpu" in text(caught.value.key, lang, **caught.value.values)


def test_other_errors_pass_through_untouched():
    assert not is_allocation_failure(RuntimeError("Expected 4-dimensional input"))
    with pytest.raises(RuntimeError, match="4-dimensional"), memory_guard("cpu"):
        raise RuntimeError("Expected 4-dimensional input")


def test_segment_survives_an_allocator_failure_and_the_model_stays_usable(mobilenet, monkeypatch):
    image = Image.fromarray(np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8))
    before = segmentation.segment(mobilenet, image, short_side=48)
    real_top1 = segmentation.top1

    def failing(*args, **kwargs):
        raise RuntimeError(CPU_MESSAGE)

    monkeypatch.setattr(segmentation, "top1", failing)
    with pytest.raises(OutOfMemoryError):
        segmentation.segment(mobilenet, image, short_side=48)
    monkeypatch.setattr(segmentation, "top1", real_top1)
    after = segmentation.segment(mobilenet, image, short_side=48)
    assert np.array_equal(before.labels, after.labels)


def test_the_segment_page_shows_the_message_and_recovers(random_weights, monkeypatch):
    def failing(*args, **kwargs):
        raise RuntimeError(CPU_MESSAGE)

    real_preprocess = segmentation.preprocess  # inside the memory guard on both paths (ONNX Runtime and torch)
    monkeypatch.setattr(segmentation, "preprocess", failing)
    at = open_page("segment", "zh")
    assert not at.exception
    assert text("errors.memory.out_of_memory", "zh", device="cpu") in [e.value for e in at.error]
    assert not at.get("plotly_chart")
    monkeypatch.setattr(segmentation, "preprocess", real_preprocess)
    at.button(key="segment_again").click().run()
    assert not at.exception and at.get("plotly_chart")


def test_the_cpu_job_bound_refuses_giants_and_lets_ordinary_runs_through():
    assert check_workload("cpu", [Work("mobilenet_v3_large", None, 520, 693)]) < 30e9
    giant = [Work("resnet101", 8, 720, 960)]  # the 30-second job
    with pytest.raises(TooHeavyError) as caught:
        check_workload("cpu", giant)
    assert caught.value.key == "errors.workload.too_heavy" and caught.value.values["limit"] == CPU_JOB_GMACS
    assert check_workload("cuda", giant) == job_macs(giant)  # a GPU job is not bounded
    # the latency benchmark at 513 (3 strides × 4 passes) is refused for ResNet-101, at 257 it runs
    with pytest.raises(TooHeavyError):
        check_workload("cpu", [Work("resnet101", s, 513, 513, passes=4) for s in (32, 16, 8)])
    check_workload("cpu", [Work("resnet101", s, 257, 257, passes=4) for s in (32, 16, 8)])


def test_the_estimate_matches_a_real_count_within_a_few_per_cent():
    from torch.utils.flop_counter import FlopCounterMode

    from deeplab_core.nets.model import architecture

    with FlopCounterMode(display=False) as counter, torch.no_grad():
        architecture("resnet50", 16)(torch.zeros(1, 3, 520, 693, device="meta"))  # (1, 3, H, W)
    counted = counter.get_total_flops() // 2
    assert job_macs([Work("resnet50", 16, 520, 693)]) == pytest.approx(counted, rel=0.05)


def test_the_queue_serves_in_arrival_order_and_a_leaver_does_not_block_it():
    queue = TicketQueue()
    first = queue.join()
    tickets = [queue.join() for _ in range(4)]
    assert [queue.ahead(t) for t in tickets] == [1, 2, 3, 4]
    queue.leave(tickets[1])  # gave up while waiting (a page left)
    served: list[int] = []

    waiting: list[int] = []

    def job(ticket: int) -> None:
        waiting.append(ticket)
        queue.wait_turn(ticket, None)
        served.append(ticket)
        queue.leave(ticket)

    threads = [threading.Thread(target=job, args=(t,)) for t in reversed([tickets[0], *tickets[2:]])]
    for thread in threads:
        thread.start()
    eventually(lambda: len(waiting) == len(threads), 5, "the jobs did not start waiting")
    assert served == []  # nobody overtakes the job that holds the processor
    queue.leave(first)
    for thread in threads:
        thread.join(5)
    assert served == [tickets[0], tickets[2], tickets[3]]


def test_the_segment_page_refuses_a_giant_cpu_job_before_building_the_model(random_weights, monkeypatch):
    import lessons.parts.segment_widgets as widgets
    from deeplab_core.budget import plan_input
    from deeplab_core.samples import load_sample

    at = open_page("segment", "en")  # MobileNetV3 at 520: runs
    by_label = lambda widgets, key: next(w for w in widgets if w.label == text(key, "en"))  # noqa: E731
    by_label(at.selectbox, "segment.photo.sample").set_value("chelsea").run()

    def no_model(*args, **kwargs):
        raise AssertionError("a refused job built its model")

    monkeypatch.setattr(widgets, "page_model", no_model)
    by_label(at.selectbox, "segment.model").set_value("resnet50")
    by_label(at.radio, "segment.resolution").set_value(720).run()  # ResNet-50 at output stride 8
    assert not at.exception
    cat = load_sample("chelsea")
    gmacs = job_macs([Work("resnet50", 8, *plan_input(cat.width, cat.height, 720).size)]) / 1e9  # ~500 G
    assert gmacs > CPU_JOB_GMACS
    assert [e.value for e in at.error] == [
        text("errors.workload.too_heavy", "en", gmacs=f"{gmacs:.0f}", limit=CPU_JOB_GMACS)
    ]
    assert not at.get("plotly_chart")

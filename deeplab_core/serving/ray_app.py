"""The inference service on Ray Serve: one deployment per model, dynamic batching with a bounded wait.

Each model is its own Serve application at `/segment/<model>` behind Serve's HTTP proxy, so a class using
MobileNetV3 never waits behind a ResNet-101 batch and each model scales on its own (`replicas`, `gpus`). A
replica receives raw HTTP bodies (`deeplab_core.serving.messages`, no pickled objects), and `@serve.batch`
collects the requests that arrive within `batch_wait_timeout_s` of the first one, up to `max_batch_size`, into
one call; the work runs in a thread so the replica keeps accepting requests (they form the next batch) while the
network computes. The replica itself is `deeplab_core.serving.service.Segmenter`, which knows nothing of Ray.

Serve limits the requests in flight per replica (`max_ongoing_requests`, 5 by default); it is raised to twice the
batch size here, or a batch could never fill.
"""

from __future__ import annotations

import asyncio
import time
import warnings

from starlette.requests import Request
from starlette.responses import Response

with warnings.catch_warnings():  # Ray Serve 2.60's config models still use pydantic-1 field options: its warnings
    warnings.simplefilter("ignore", DeprecationWarning)
    import ray
    from ray import serve

from deeplab_core.serving.service import Segmenter
from deeplab_core.serving.settings import PREFIX, WEIGHTS_ENV, ServeSettings, from_env

ROUTE = "/segment"  # + "/<model name>"


def route(name: str) -> str:
    return f"{ROUTE}/{name}"


def app_name(name: str) -> str:
    return f"atrous-{name}"


@serve.deployment
class SegmentDeployment:
    def __init__(self, name: str, weights: str, device: str, batch: int, wait_s: float) -> None:
        self.segmenter = Segmenter(name, weights, device)
        self.answer.set_max_batch_size(batch)  # type: ignore[attr-defined]
        self.answer.set_batch_wait_timeout_s(wait_s)  # type: ignore[attr-defined]

    @serve.batch
    async def answer(self, items: list[tuple[bytes, float]]) -> list[Response]:
        bodies, arrived = [body for body, _ in items], [at for _, at in items]
        replies = await asyncio.to_thread(self.segmenter.answer_batch, bodies, arrived)
        return [Response(r.body, status_code=r.status, media_type=r.media_type) for r in replies]

    async def __call__(self, request: Request) -> Response:
        arrived = time.monotonic()
        body = await request.body()
        return await self.answer((body, arrived))


def application(settings: ServeSettings, name: str, cluster_cpus: float) -> serve.Application:
    cpus = settings.cpus_each(cluster_cpus)
    return SegmentDeployment.options(  # type: ignore[attr-defined]
        name=f"segment-{name}",
        num_replicas=settings.replicas,
        ray_actor_options={"num_cpus": cpus, "num_gpus": settings.gpus},
        max_ongoing_requests=2 * settings.max_batch_size,
    ).bind(
        name,
        settings.weights_for(name),
        settings.device,
        settings.max_batch_size,
        settings.batch_wait_timeout_s,
    )


def build(args: dict[str, str]) -> serve.Application:
    """An application builder, for `serve run deeplab_core.serving.ray_app:build model=resnet101` and for a
    RayService's serveConfigV2 (docs/DEPLOY.md): `args` holds "model" and any ServeSettings field by name."""
    env = {WEIGHTS_ENV if k == "weights" else PREFIX + k.upper(): v for k, v in args.items() if k != "model"}
    settings = from_env(env, models=(args["model"],))
    return application(settings, args["model"], cluster_cpus=float(settings.replicas))  # one CPU each unless "cpus"


def connect(address: str | None, *, local_cpus: int | None = None) -> None:
    """Join the cluster at `address`, or start a local one (quiet: no dashboard, a small object store, since
    photos travel over HTTP, not through Ray's object store)."""
    if address:
        ray.init(address=address, log_to_driver=False)
    else:
        ray.init(num_cpus=local_cpus, include_dashboard=False, object_store_memory=256 * 2**20, log_to_driver=False)


def deploy(settings: ServeSettings) -> dict[str, str]:
    """Start Serve's HTTP proxy (if the cluster has none yet) and one application per model; returns the URL of
    each model once its replicas are ready."""
    serve.start(http_options={"host": settings.host, "port": settings.port})
    cpus = float(ray.cluster_resources().get("CPU", 1))
    urls = {}
    for name in settings.models:
        serve.run(application(settings, name, cpus), name=app_name(name), route_prefix=route(name))
        urls[name] = f"http://{settings.host}:{settings.port}{route(name)}"
    return urls


def shutdown() -> None:
    serve.shutdown()
    ray.shutdown()

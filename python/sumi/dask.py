"""sumi.dask: one graph over many inputs on a Dask cluster (Debian: python3-distributed).

    from distributed import Client, LocalCluster
    import sumi.dask

    client = Client(LocalCluster(n_workers=2, threads_per_worker=1))   # or Client("tcp://scheduler:8786")
    for r in sumi.dask.map_graph(client, "graphs/deepfacedrawing.sumi.json",
                                 [{"draw": f} for f in files], out="/shared/portraits"):
        print(r.input, r.status, r.error)

Each item is one Dask task. Every worker process keeps one engine session (a
worker plugin, SumiWorker), so its models load once, on its first item, and
stay loaded for the worker's life. The graph is resolved here, on the client
(a graph file is read, params applied) and sent as JSON text with the folder
its relative paths resolve against; input files are sent as absolute paths.
Workers therefore read the graph's models, model banks and the input files at
the same paths as the client (one machine, or a shared filesystem mounted at
the same place on every machine), and with out= they write the outputs, the
resume stamps and nothing else there; results.jsonl is written by the client.
Without out= the outputs come back as arrays in each result's .values.
Results (sumi.BatchResult) come back as items complete; a failing item comes
back with status "failed" and the reason (a worker lost mid-item too), and
the map goes on. Same semantics and files as sumi.batch and `sumi batch`.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import distributed
from distributed import WorkerPlugin

from . import _sumi
from ._batch import DEFAULT_NAME, BatchResult, _Driver, _Plan, _Prepared

PLUGIN = "sumi"

__all__ = ["SumiWorker", "map_graph", "PLUGIN"]


class SumiWorker(WorkerPlugin):
    """Keeps one engine session per worker process (models loaded once per worker).

    threads:     LibTorch threads per item; default cores / (worker threads on this host,
                 counted by map_graph), so that items x LibTorch threads <= cores on each machine.
    cache_mb:    the session's result cache.
    host_threads: {host: worker threads there} (map_graph fills it in from the scheduler).
    """

    name = PLUGIN

    def __init__(self, threads: Optional[int] = None, cache_mb: float = 256.0,
                 host_threads: Optional[Mapping[str, int]] = None):
        self.threads = threads
        self.cache_mb = cache_mb
        self.host_threads = dict(host_threads or {})
        self.session = None
        self._plans: Dict[str, _Plan] = {}
        self._lock = threading.Lock()

    # Sent to the workers: the set-up only, never a session or a lock.
    def __getstate__(self):
        return {"threads": self.threads, "cache_mb": self.cache_mb, "host_threads": self.host_threads}

    def __setstate__(self, state):
        self.__init__(state["threads"], state["cache_mb"], state["host_threads"])

    def config(self) -> Tuple[Optional[int], float]:
        return (self.threads, self.cache_mb)

    def setup(self, worker=None):
        from . import Session
        cores = max(1, os.cpu_count() or 1)
        state = getattr(worker, "state", worker)  # Worker.state.nthreads since distributed 2022.11
        nthreads = max(1, int(getattr(state, "nthreads", 1) or 1)) if worker is not None else 1
        host = distributed.comm.get_address_host(worker.address) if worker is not None else ""
        on_host = max(nthreads, int(self.host_threads.get(host, nthreads)))
        torch_threads = self.threads or max(1, cores // on_host)
        _sumi.configure_threads(max(1, cores // torch_threads))
        self.session = Session(cache_mb=self.cache_mb)
        self.cancel = _sumi.CancelToken()

    def teardown(self, worker=None):
        self.cancel.cancel()
        self.session = None
        self._plans.clear()

    def plan(self, key: str, spec: Mapping[str, Any]) -> _Plan:
        """The plan for `spec`, built once per worker (parsing and validating the graph)."""
        with self._lock:
            plan = self._plans.get(key)
            if plan is None:
                if len(self._plans) > 16:  # a long-lived worker serving many different graphs
                    self._plans.clear()
                plan = self._plans[key] = _Plan.from_spec(spec)
            return plan


def _worker_plugin() -> SumiWorker:
    worker = distributed.get_worker()
    plugin = worker.plugins.get(PLUGIN)
    if plugin is None or plugin.session is None:  # a worker that missed the registration
        plugin = SumiWorker()
        plugin.setup(worker)
        worker.plugins[PLUGIN] = plugin
    return plugin


def _run_item(spec: Mapping[str, Any], key: str, p: _Prepared, width: int, resume: bool) -> BatchResult:
    """One task: one item on this worker's session."""
    plugin = _worker_plugin()
    try:
        plan = plugin.plan(key, spec)
    except Exception as e:  # noqa: BLE001 - e.g. a model path this worker cannot see
        return BatchResult(input=p.input, status="failed", index=p.index, error=f"{p.input}: on this worker: {e}")
    return plan.run(plugin.session, p, width, resume, plugin.cancel)


def _plugin_config(dask_worker):
    plugin = dask_worker.plugins.get(PLUGIN)
    return None if plugin is None else list(plugin.config())


def _ensure_plugin(client, threads: Optional[int], cache_mb: float) -> int:
    """Registers SumiWorker unless every worker has it with this set-up; returns the cluster's threads."""
    workers = client.scheduler_info()["workers"]
    if not workers:
        raise RuntimeError("the Dask cluster has no workers (start some: dask worker tcp://SCHEDULER:8786)")
    host_threads: Dict[str, int] = {}
    for w in workers.values():
        host_threads[w["host"]] = host_threads.get(w["host"], 0) + int(w["nthreads"])
    configs = client.run(_plugin_config)
    if any(c != [threads, cache_mb] for c in configs.values()):
        # Re-registering replaces the plugin and sets up a fresh session (models load again).
        client.register_worker_plugin(SumiWorker(threads, cache_mb, host_threads), name=PLUGIN)
    return sum(int(w["nthreads"]) for w in workers.values())


class DaskMap(_Driver):
    """map_graph's iterator: each item a Dask task on a worker's session."""

    window = 4  # tasks in flight per worker thread: keeps workers fed past the scheduler's round trips

    def __init__(self, client, plan: _Plan, inputs: Iterable[Any], jobs: int, resume: bool, progress):
        super().__init__(plan, inputs, jobs, resume, progress)
        self.client = client
        spec = plan.spec()
        self._key = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
        [self._spec] = client.scatter([spec], broadcast=True, hash=False)
        self._inputs: Dict[str, Tuple[int, str]] = {}  # future key -> (index, input)

    def _submit(self, p: _Prepared):
        f = self.client.submit(_run_item, self._spec, self._key, p, self._width, self.resume, pure=False,
                               retries=0)
        self._inputs[f.key] = (p.index, p.input)
        return f

    def _result(self, f) -> BatchResult:
        index, name = self._inputs.pop(f.key, (-1, "?"))
        if f.status == "finished":
            try:
                return f.result()
            except Exception as e:  # noqa: BLE001 - the result could not come back
                err = e
        elif f.status == "cancelled":
            return BatchResult(input=name, status="cancelled", index=index)
        else:
            try:
                err = f.exception()
            except Exception as e:  # noqa: BLE001
                err = e
        return BatchResult(input=name, status="failed", index=index, error=f"{name}: {type(err).__name__}: {err}")

    def _wait(self, handles):
        done, _ = distributed.wait(handles, return_when="FIRST_COMPLETED")
        return [(f, self._result(f)) for f in done]

    def _cancel(self, handles):
        self.client.cancel(handles)

    def _wait_all(self, handles):
        return []  # cancelled: a task already running finishes on its worker, its result unused

    def _shutdown(self):
        self._inputs.clear()


def map_graph(client, graph, inputs: Iterable[Mapping[str, Any]], out: Optional[Union[str, os.PathLike]] = None,
              outputs: Optional[Sequence[str]] = None, resume: bool = False, params: Optional[Mapping[str, Any]] = None,
              progress: Union[None, bool, Callable[[BatchResult, int, Optional[int]], None]] = None, *,
              name: str = DEFAULT_NAME, device: str = "cpu", threads: Optional[int] = None,
              cache_mb: float = 256.0) -> DaskMap:
    """Runs `graph` over `inputs` on the Dask cluster behind `client`; returns an
    iterator of sumi.BatchResult as items complete (iterate it to run the map).

    The arguments are sumi.batch's (graph, inputs, out, outputs, resume, params,
    progress, name, device); out must be a folder every worker can write at the
    same path (a shared filesystem). threads: LibTorch threads per item on the
    workers (default: each machine's cores / its worker threads). The first call
    on a cluster registers the SumiWorker plugin (a session per worker); later
    calls with the same threads and cache_mb reuse the workers' loaded models.
    """
    plan = _Plan(graph, outputs, out, params, name, device)
    if plan.out is not None:
        plan.out = os.path.abspath(plan.out)  # the same folder from every worker's working directory
    jobs = _ensure_plugin(client, threads, cache_mb)
    return DaskMap(client, plan, inputs, jobs, resume, progress)

"""What a Dask cluster costs Sumi, measured on a LocalCluster, and what it
would give on N machines: the numbers behind docs/many_drawings.md's
projection (issue 20).

    PYTHONPATH=build/python OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/dask_overhead.py [REPS=3] [--workers 2]

Per repetition, on a fresh LocalCluster of WORKERS processes x 1 thread:
  start      cluster and client up (worker processes spawned, `import sumi`
             not yet done)
  no-op      per-task cost of Dask itself: NOOPS tasks that return their
             argument, submitted at once (scheduler + transfer + worker
             bookkeeping; what the scheduler pays per portrait task)
  first      the first item on every worker: a worker plugin's engine
             session, the graph's models loaded (frozen copies) and one
             portrait each
  warm       80 more portraits on the same workers (the fixture drawings
             mirrored: as costly, no cache hits), outputs written to disk:
             the cluster's steady rate
and, in the same process, sumi.batch's warm rate with as many jobs (threads
of one process, one session whose models the first items loaded) for
comparison; and a fresh interpreter's imports (distributed, sumi). Prints medians, every run, and the
projection: time for K portraits on N machines of this kind,
imports + start + first + K / (N x warm rate), and the scheduler's ceiling in tasks/s.
"""
import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from batch_python_dask import fixture_sketches, image_graph, mirror_all  # noqa: E402

NOOPS = 2000


def identity(x):
    return x


def imports_seconds():
    """A fresh interpreter's `import distributed, sumi, sumi.dask` (what a client script pays first)."""
    code = "import time; t = time.perf_counter(); import distributed, sumi, sumi.dask; print(time.perf_counter() - t)"
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def one_rep(graph, files, mirrored, workers, out):
    from distributed import Client, LocalCluster
    import sumi
    import sumi.dask
    items = [{"sketch": f} for f in files]
    again = [{"sketch": f} for f in mirrored]  # as costly, no cache hit of `items`
    imports = imports_seconds()
    t0 = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.wait_for_workers(workers)
        start = time.perf_counter() - t0
        t = time.perf_counter()
        client.gather(client.map(identity, range(NOOPS), pure=False))
        noop_ms = (time.perf_counter() - t) * 1000 / NOOPS
        t = time.perf_counter()
        results = list(sumi.dask.map_graph(client, graph, items[:workers], out=out + "/first"))
        first = time.perf_counter() - t
        assert all(r.status == "done" for r in results), [r.error for r in results]
        t = time.perf_counter()
        results = list(sumi.dask.map_graph(client, graph, again, out=out + "/warm"))
        warm = len(again) / (time.perf_counter() - t)
        assert all(r.status == "done" for r in results), [r.error for r in results if r.error]
    session = sumi.Session()  # one session: its models loaded by the first items, as the workers' are
    for _ in sumi.batch(graph, items[:workers], out=out + "/py_first", jobs=workers, session=session):
        pass
    t = time.perf_counter()
    for _ in sumi.batch(graph, again, out=out + "/py", jobs=workers, session=session):
        pass
    py_warm = len(again) / (time.perf_counter() - t)
    return {"imports s": imports, "start s": start, "no-op task ms": noop_ms, "first item s": first,
            "warm portraits/s": warm, "sumi.batch warm portraits/s": py_warm}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("reps", nargs="?", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2, help="worker processes (1 thread each); default 2")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp()
    try:
        os.mkdir(os.path.join(tmp, "in"))
        files = fixture_sketches(os.path.join(tmp, "in"))
        mirror_all(os.path.join(tmp, "in"), os.path.join(tmp, "mirrored"))
        mirrored = sorted(glob.glob(os.path.join(tmp, "mirrored", "*.png")))
        graph = os.path.join(tmp, "deepfacedrawing_image.sumi.json")
        image_graph(graph)
        runs = [one_rep(graph, files, mirrored, args.workers, os.path.join(tmp, f"out{r}")) for r in range(args.reps)]
        load = " ".join(open("/proc/loadavg").read().split()[:3])
        print(f"{len(files)} fixture drawings, {args.workers} workers x 1 thread, {args.reps} runs; "
              f"{os.cpu_count()} cores, load {load}")
        med = {}
        for k in runs[0]:
            v = [r[k] for r in runs]
            med[k] = statistics.median(v)
            print(f"{k:28} {med[k]:8.3f}   (runs: {' '.join(f'{x:.3f}' for x in v)})")
        ceiling = 1000.0 / med["no-op task ms"]
        per_machine = med["warm portraits/s"]
        print(f"\nDask's own cost per task: {med['no-op task ms']:.2f} ms here, so one scheduler can hand out at most "
              f"~{ceiling:.0f} tasks/s - {ceiling / per_machine:.0f} machines like this one "
              f"({per_machine:.1f} portraits/s each) before it, not the machines, sets the pace.")
        fixed = med["imports s"] + med["start s"] + med["first item s"]
        print(f"Fixed cost: {fixed:.1f} s (the client's imports {med['imports s']:.1f} + cluster start "
              f"{med['start s']:.1f} + models loaded and a first portrait {med['first item s']:.1f}); "
              f"Dask warm / sumi.batch warm on the same cores: "
              f"{per_machine / med['sumi.batch warm portraits/s']:.2f}x\n")
        print("| portraits | " + " | ".join(f"{n} machine{'s' if n > 1 else ''}" for n in (1, 4, 16, 64)) + " |")
        print("|---|" + "---|" * 4)
        for k in (1000, 10000, 100000):
            cells = []
            for n in (1, 4, 16, 64):
                rate = min(n * per_machine, ceiling)
                cells.append(f"{fixed + k / rate:.0f} s ({k / (fixed + k / rate):.0f}/s)")
            print(f"| {k} | " + " | ".join(cells) + " |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

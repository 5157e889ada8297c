#!/usr/bin/python3
"""Sumi's Python API against the plain script (bench/script_baseline.py), interleaved in one process.

The deepfacedrawing portrait of examples/cartoon_face.strokes.json, timed pair by pair:
  (a) cold: Sumi with its cache cleared vs the naive script (everything recomputed);
  (b) after one extra stroke in the mouth: both have just run the drawing without it, then
      run it with the stroke - Sumi from its cache vs the script memoising each part's
      feature map by its crop bytes. The stroke lies in the mouth window below the nose
      window, so one part's crop changes; it moves by 0.05 px each pair, so no pair finds
      the previous pair's result in either cache.
Each (i) on the machine as it is and (ii) under a competing CPU load that the benchmark
starts itself (two busy-loop processes, stopped at the end). Prints medians (ms), the
median of the per-pair ratios, and the threads and environment used.

    PYTHONPATH=build/python nice -n 5 /usr/bin/python3 bench/script_vs_sumi.py [--pairs 15]
    OMP_WAIT_POLICY=PASSIVE PYTHONPATH=build/python nice -n 5 /usr/bin/python3 bench/script_vs_sumi.py
    SUMI_BOOST=always PYTHONPATH=build/python nice -n 5 /usr/bin/python3 bench/script_vs_sumi.py

OpenMP reads OMP_WAIT_POLICY once, at start-up: set it in the environment, not here.
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import script_baseline as sb  # noqa: E402

import sumi  # noqa: E402
import torch  # noqa: E402
import cv2  # noqa: E402

ENV_KEYS = ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "OMP_PROC_BIND", "GOMP_SPINCOUNT", "KMP_BLOCKTIME",
            "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TBB_NUM_THREADS", "SUMI_BOOST")
STROKE = [(105.0, 211.0), (125.0, 211.5)]  # canonical px: mouth window (y 134..220), below the nose window (..204)


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t) * 1e3, out


def busy_load(n):
    """n processes spinning on a core each (inheriting this process's niceness)."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def measure(args, session, graph, naive, memo, base, frame, pairs, first_pair):
    rows = {k: [] for k in ("sumi_cold", "naive", "sumi_stroke", "memo", "computed")}
    portrait = ["portrait"]
    for i in range(-args.warmup, pairs):
        stroked = sb.with_stroke(base, frame, [(x, y + 0.05 * (first_pair + i + args.warmup)) for x, y in STROKE])

        def sumi_cold():
            session.clear_cache()
            return timed(lambda: session.run(graph, outputs=portrait, inputs={"draw": base}))[0]

        def script_cold():
            return timed(lambda: naive.run(base))[0]

        def sumi_stroke():
            session.run(graph, outputs=portrait, inputs={"draw": base})  # the state before the stroke
            ms, r = timed(lambda: session.run(graph, outputs=portrait, inputs={"draw": stroked}))
            rows["computed"].append(r.computed)
            return ms

        def script_stroke():
            memo.run(base)
            return timed(lambda: memo.run(stroked))[0]

        # Alternate which side goes first, so that neither always runs just after the other.
        order = [(sumi_cold, script_cold), (sumi_stroke, script_stroke)]
        results = []
        for a, b in order:
            if i % 2:
                tb, ta = b(), a()
            else:
                ta, tb = a(), b()
            results += [ta, tb]
        if i >= 0:
            for k, v in zip(("sumi_cold", "naive", "sumi_stroke", "memo"), results):
                rows[k].append(v)
        else:
            rows["computed"].clear()
    return rows


def report(name, rows):
    med = {k: statistics.median(v) for k, v in rows.items() if k != "computed"}
    ratio = lambda a, b: statistics.median(x / y for x, y in zip(rows[a], rows[b]))  # noqa: E731
    out = dict(medians_ms=med, ratios={"sumi_cold/naive": ratio("sumi_cold", "naive"),
                                       "sumi_stroke/memo": ratio("sumi_stroke", "memo"),
                                       "sumi_stroke/sumi_cold": ratio("sumi_stroke", "sumi_cold")},
               sumi_nodes_computed_after_stroke=sorted(set(rows["computed"])), pairs=len(rows["naive"]))
    print(f"\n== {name} ({out['pairs']} pairs; Sumi computed {out['sumi_nodes_computed_after_stroke']} nodes after the stroke)")
    print(f"  cold:         Sumi {med['sumi_cold']:7.1f} ms   naive script {med['naive']:7.1f} ms   "
          f"ratio {out['ratios']['sumi_cold/naive']:.2f}x")
    print(f"  after stroke: Sumi {med['sumi_stroke']:7.1f} ms   memo script  {med['memo']:7.1f} ms   "
          f"ratio {out['ratios']['sumi_stroke/memo']:.2f}x")
    print(f"  Sumi after stroke / Sumi cold: {out['ratios']['sumi_stroke/sumi_cold']:.2f}x")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=15, help="timed pairs per measurement and phase")
    ap.add_argument("--warmup", type=int, default=2, help="untimed pairs before each phase")
    ap.add_argument("--load", type=int, default=2, help="busy-loop processes of the loaded phase (0: skip it)")
    ap.add_argument("--script-threads", type=int, default=1,
                    help="torch intra-op threads of the script (torch.set_num_threads; 1 = what sumi.configure_threads sets)")
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args()

    root = sb.ROOT
    doc = json.loads((root / "examples" / "cartoon_face.strokes.json").read_text())
    graph = sumi.Graph.load(str(root / "graphs" / "deepfacedrawing.sumi.json"))
    sumi.configure_threads(0)  # the explicit process settings (BLAS on the calling thread, torch 1 thread)
    session = sumi.Session()  # changes no process setting itself
    torch.set_num_threads(args.script_threads)
    naive, memo = sb.Script(), sb.Script(memoise=True)
    frame = naive.locate(sb.rasterise(doc))

    # The two sides compute the same portrait (tests/python/test_script_baseline.py checks it more widely).
    stroked = sb.with_stroke(doc, frame, STROKE)
    for d in (doc, stroked):
        diff = np.abs(naive.run(d) - session.run(graph, outputs=["portrait"], inputs={"draw": d}).outputs["portrait"]).max()
        assert diff <= 1e-4, f"the script and Sumi disagree by {diff}"

    env = {k: os.environ.get(k, "(unset)") for k in ENV_KEYS}
    info = dict(cpus=os.cpu_count(), affinity=len(os.sched_getaffinity(0)), nice=os.nice(0),
                loadavg_start=os.getloadavg(), sumi_threads=session.threads,
                script_torch_threads=torch.get_num_threads(), torch_interop_threads=torch.get_num_interop_threads(),
                opencv_threads=cv2.getNumThreads(), torch=torch.__version__, numpy=np.__version__, opencv=cv2.__version__,
                sumi_module=os.path.dirname(sumi.__file__), env=env)
    print("environment:", json.dumps(info))

    results = {"info": info}
    results["quiet"] = report("machine as it is", measure(args, session, graph, naive, memo, doc, frame, args.pairs, 0))
    if args.load > 0:
        procs = busy_load(args.load)
        try:
            time.sleep(0.5)
            rows = measure(args, session, graph, naive, memo, doc, frame, args.pairs, args.pairs + args.warmup)
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait()
        results["loaded"] = report(f"with {args.load} busy-loop processes", rows)
    info["loadavg_end"] = os.getloadavg()
    print("load average at the end:", info["loadavg_end"])
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Cold start of `sumi run` (issue 20): process start -> written portrait.

Runs, interleaved in rotating order so that the machine's load drifts over
all alike, whole `sumi run` processes of
  - graphs/sketch_parts.sumi.json (no models: the process floor),
  - graphs/deepfacedrawing.sumi.json as `sumi run` runs it (models through
    LibTorch's plain interpreter, engine/runtime.h set_optimise_models),
  - the same with SUMI_OPTIMISE_MODELS=1 (the optimising executor, as before),
  - the same with SUMI_FREEZE_MODELS=0 (models loaded as exported, as before
    the frozen copies of engine/frozen_models.h),
  - the same with an empty frozen-copy cache each time (a machine's first run),
on examples/face.strokes.json, then `sumi serve` from its start to the
reply of its first deepfacedrawing run (frozen copies and not), and prints medians of wall time and of CPU
time (user + system, which a busy machine inflates less), and their ratios.

    /usr/bin/python3 bench/cold_start.py [--reps 9] [--sumi build/cli/sumi]
"""
import argparse
import http.client
import json
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run_once(sumi, graph, out, env):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run([sumi, "run", str(ROOT / "graphs" / graph), "--in", f"draw={ROOT / 'examples' / 'face.strokes.json'}",
                        "--out", out], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit(f"cold_start: {graph} failed: {p.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall * 1e3, cpu * 1e3


def editor_first_run(sumi, out, env):
    """`sumi serve` start -> the reply of its first deepfacedrawing run (ms); the server is stopped after."""
    strokes = json.loads((ROOT / "examples" / "face.strokes.json").read_text())
    t = time.perf_counter()
    server = subprocess.Popen([sumi, "serve", "--port", "0", "--graphs", str(ROOT / "graphs"), "--outputs", out],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = None
        for line in server.stdout:
            if "http://127.0.0.1:" in line:
                port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
                break
        if port is None:
            sys.exit("cold_start: sumi serve did not start")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        def post(path, body):
            conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
            r = conn.getresponse()
            data = r.read()
            if r.status not in (200, 201):
                sys.exit(f"cold_start: {path}: HTTP {r.status} {data[:200]}")
            return json.loads(data)

        session = post("/api/sessions", {})["session"]
        post(f"/api/sessions/{session}/run", {"graph": "deepfacedrawing.sumi.json", "inputs": {"draw": strokes}})
        return (time.perf_counter() - t) * 1e3
    finally:
        server.terminate()
        server.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=9)
    ap.add_argument("--sumi", default=str(ROOT / "build" / "cli" / "sumi"))
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    base = {k: v for k, v in os.environ.items() if k not in ("SUMI_OPTIMISE_MODELS", "SUMI_FREEZE_MODELS")}
    base["SUMI_CACHE_DIR"] = os.path.join(tmp.name, "cache")  # the frozen copies, made by the untimed warm-up
    first_runs = iter(range(10**6))
    cases = [("sketch_parts", "sketch_parts.sumi.json", lambda: base),
             ("deepfacedrawing", "deepfacedrawing.sumi.json", lambda: base),
             ("deepfacedrawing, optimiser on", "deepfacedrawing.sumi.json", lambda: dict(base, SUMI_OPTIMISE_MODELS="1")),
             ("deepfacedrawing, not frozen", "deepfacedrawing.sumi.json", lambda: dict(base, SUMI_FREEZE_MODELS="0")),
             ("deepfacedrawing, first run", "deepfacedrawing.sumi.json",
              lambda: dict(base, SUMI_CACHE_DIR=os.path.join(tmp.name, f"first{next(first_runs)}")))]
    rows = {name: [] for name, _, _ in cases}
    with tmp:
        out = os.path.join(tmp.name, "out")
        for name, graph, env in cases:  # warm the page cache, untimed
            run_once(args.sumi, graph, out, env())
        for r in range(args.reps):
            order = cases[r % len(cases):] + cases[:r % len(cases)]
            for name, graph, env in order:
                rows[name].append(run_once(args.sumi, graph, out, env()))
        editor = {"frozen copies": [], "not frozen": []}
        editor_first_run(args.sumi, out, base)  # untimed: the page cache
        for r in range(args.reps):
            for name in (("frozen copies", "not frozen") if r % 2 == 0 else ("not frozen", "frozen copies")):
                env = base if name == "frozen copies" else dict(base, SUMI_FREEZE_MODELS="0")
                editor[name].append(editor_first_run(args.sumi, out, env))
    print(f"cores {os.cpu_count()}, load average at the end {os.getloadavg()}, {args.reps} runs each")
    floor = rows["sketch_parts"]
    for name, vals in rows.items():
        wall = statistics.median(v[0] for v in vals)
        cpu = statistics.median(v[1] for v in vals)
        ratio = statistics.median(a[0] / b[0] for a, b in zip(vals, floor))
        print(f"  {name:32s} wall {wall:7.0f} ms  CPU {cpu:7.0f} ms  wall / sketch_parts {ratio:.2f}x"
              f"  (wall {min(v[0] for v in vals):.0f}-{max(v[0] for v in vals):.0f} ms)")
    for name, vals in editor.items():
        print(f"  editor, serve start -> first deepfacedrawing reply, {name:14s} {statistics.median(vals):7.0f} ms"
              f"  ({min(vals):.0f}-{max(vals):.0f} ms)")
    dfd = rows["deepfacedrawing"]
    for other in ("deepfacedrawing, optimiser on", "deepfacedrawing, not frozen"):
        print(f"  deepfacedrawing / {other[17:]}: wall {statistics.median(a[0] / b[0] for a, b in zip(dfd, rows[other])):.2f}x, "
              f"CPU {statistics.median(a[1] / b[1] for a, b in zip(dfd, rows[other])):.2f}x (per-run ratios, median)")


if __name__ == "__main__":
    main()

"""Portraits per second through deepfacedrawing over the fixture drawings:
`sumi batch --jobs 2` against sumi.batch and sumi.dask.map_graph on a
LocalCluster of 2 worker processes x 1 thread. Whole processes are timed
(process start to the last portrait of the first pass: start-up, cluster
start and model loading included); "warm" is a second
pass in the same process and session / on the same cluster (models loaded), over
mirrored copies of the drawings (as costly, but no cache hit of the first pass). Runs are
interleaved; prints medians and every run.

    PYTHONPATH=build/python OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/batch_python_dask.py [REPS=3]

The fixture sketches (models/data/fixture*/faces/*/sketch.png) are images, so
the graph is deepfacedrawing with its strokes input and rasteriser replaced by
an io.load_image node named "sketch" (the same models, the same portrait).
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUMI = os.environ.get("SUMI", os.path.join(ROOT, "build", "cli", "sumi"))

# The warm pass: the same session (models loaded), the drawings mirrored (no cache hits).
PY_BATCH = """
import glob, sys, time, sumi
graph, folder, mirrored, out = sys.argv[1:5]
items = [{"sketch": f} for f in sorted(glob.glob(folder + "/*.png"))]
again = [{"sketch": f} for f in sorted(glob.glob(mirrored + "/*.png"))]
session = sumi.Session()
t0 = time.perf_counter()
for _ in sumi.batch(graph, items, out=out + "/a", jobs=2, session=session): pass
print(time.time())
t1 = time.perf_counter()
for _ in sumi.batch(graph, again, out=out + "/b", jobs=2, session=session): pass
print(time.perf_counter() - t1)
"""

PY_DASK = """
import glob, sys, time
from distributed import Client, LocalCluster
import sumi.dask
if __name__ == "__main__":
    graph, folder, mirrored, out = sys.argv[1:5]
    items = [{"sketch": f} for f in sorted(glob.glob(folder + "/*.png"))]
    again = [{"sketch": f} for f in sorted(glob.glob(mirrored + "/*.png"))]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \\
            Client(cluster) as client:
        for _ in sumi.dask.map_graph(client, graph, items, out=out + "/a"): pass
        print(time.time())
        t1 = time.perf_counter()
        for _ in sumi.dask.map_graph(client, graph, again, out=out + "/b"): pass
        print(time.perf_counter() - t1)
"""


def image_graph(path):
    import sumi
    g = sumi.Graph.load(os.path.join(ROOT, "graphs", "deepfacedrawing.sumi.json"))
    g.remove_node("draw")
    g.remove_node("sketch")
    g.add_node("sketch", "io.load_image", channels="gray")
    for target in ("canonical.image", "locate.sketch", "overlay.sketch"):
        g.link("sketch.image", target)
    g.set_output("sketch", "sketch.image")
    # Saved elsewhere: the parts' subgraph file by its absolute path.
    for part in ("left_eye", "right_eye", "nose", "mouth", "remainder"):
        g.set_param(part, "file", os.path.join(ROOT, "graphs", "part_chain.sumi.json"))
    g.save(path)


def fixture_sketches(folder):
    """Copies the fixture faces' sketches into `folder`; returns their paths, sorted."""
    for fixture in ("fixture", "fixture_styles"):
        faces = os.path.join(ROOT, "models", "data", fixture, "faces")
        for face in sorted(os.listdir(faces)):
            shutil.copy(os.path.join(faces, face, "sketch.png"), os.path.join(folder, f"{fixture}_{face}.png"))
    return sorted(os.path.join(folder, f) for f in os.listdir(folder))


def mirror_all(folder, out):
    """Left-right mirrored copies of the drawings: as costly to run, but no cache hit of the originals."""
    import cv2
    os.mkdir(out)
    for f in sorted(os.listdir(folder)):
        cv2.imwrite(os.path.join(out, "m_" + f), cv2.flip(cv2.imread(os.path.join(folder, f), cv2.IMREAD_UNCHANGED), 1))


def timed(cmd):
    """(seconds to the end of the first pass, seconds of the warm second pass or None)."""
    t0, w0 = time.perf_counter(), time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    secs = time.perf_counter() - t0
    if p.returncode not in (0, 1):
        sys.exit(f"{cmd[0]} failed ({p.returncode}): {p.stderr[-2000:]}")
    lines = p.stdout.split()
    if len(lines) >= 2 and cmd[0] == sys.executable:
        return float(lines[-2]) - w0, float(lines[-1])
    return secs, None


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    tmp = tempfile.mkdtemp()
    try:
        folder = os.path.join(tmp, "in")
        os.mkdir(folder)
        fixture_sketches(folder)
        n = len(os.listdir(folder))
        mirrored = os.path.join(tmp, "mirrored")
        mirror_all(folder, mirrored)
        graph = os.path.join(tmp, "deepfacedrawing_image.sumi.json")
        image_graph(graph)
        runs = {k: [] for k in ("cli", "py", "py warm", "dask", "dask warm")}
        for r in range(reps):
            out = os.path.join(tmp, f"out{r}")
            secs, _ = timed([SUMI, "batch", graph, "--in", f"sketch={folder}", "--out", out + "/cli", "--jobs", "2"])
            runs["cli"].append(n / secs)
            secs, warm = timed([sys.executable, "-c", PY_BATCH, graph, folder, mirrored, out + "/py"])
            runs["py"].append(n / secs)
            runs["py warm"].append(n / warm)
            secs, warm = timed([sys.executable, "-c", PY_DASK, graph, folder, mirrored, out + "/dask"])
            runs["dask"].append(n / secs)
            runs["dask warm"].append(n / warm)
            for k in ("py", "dask"):  # the same portraits as the CLI's
                for f in os.listdir(os.path.join(out, k, "a")):
                    if os.path.isdir(os.path.join(out, k, "a", f)) and not f.startswith("."):
                        a = open(os.path.join(out, "cli", f, "portrait.png"), "rb").read()
                        b = open(os.path.join(out, k, "a", f, "portrait.png"), "rb").read()
                        assert a == b, (k, f)
        load = open("/proc/loadavg").read().split()[:3]
        print(f"{n} fixture drawings, {reps} runs; {os.cpu_count()} cores, load {' '.join(load)}; portraits byte-identical")
        for k, v in runs.items():
            print(f"{k:10} {statistics.median(v):6.2f} portraits/s   (runs: {' '.join(f'{x:.2f}' for x in v)})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

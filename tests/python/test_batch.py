"""sumi.batch: outputs named after inputs, failed items reported and skipped,
resume (shared with `sumi batch`), results.jsonl, results as they complete."""
import json
import pathlib
import shutil
import subprocess

import numpy as np
import pytest

import sumi

PARTS = "graphs/sketch_parts.sumi.json"  # model-free: cheap


@pytest.fixture
def drawings(tmp_path, root):
    """The example drawings plus a corrupt strokes file, in a folder of their own."""
    d = tmp_path / "in"
    d.mkdir()
    for f in sorted((root / "examples").glob("*.strokes.json")):
        shutil.copy(f, d / f.name)
    (d / "broken.strokes.json").write_text('{"format": "sumi.strokes", "version": 1, "strokes": [{"kind":')
    return sorted(d.glob("*.strokes.json"))


def results_file(out):
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def test_batch_writes_outputs_and_reports_the_corrupt_file(tmp_path, root, drawings):
    out = tmp_path / "out"
    seen = []
    results = list(sumi.batch(root / PARTS, [{"draw": f} for f in drawings], out=out, jobs=2,
                              progress=lambda r, n, total: seen.append((r.input, n, total))))
    assert len(results) == len(drawings) == len(seen)
    assert seen[-1][1:] == (len(drawings), len(drawings))
    by_input = {r.input: r for r in results}
    broken = by_input[str(drawings[0])]  # broken.strokes.json sorts first
    assert broken.status == "failed" and not broken.outputs
    assert "broken.strokes.json" in broken.error and "malformed JSON" in broken.error
    for f in drawings[1:]:
        r = by_input[str(f)]
        assert r.status == "done", r.error
        stem = f.name[:-len(".strokes.json")]
        assert sorted(r.outputs) == [str(out / stem / "parts.png"), str(out / stem / "sketch.png")]
    lines = results_file(out)
    assert sorted(line["input"] for line in lines) == sorted(str(f) for f in drawings)
    assert {line["status"] for line in lines} == {"done", "failed"}
    assert all(line.keys() >= {"input", "outputs", "status", "ms"} for line in lines)
    assert not list(out.rglob("*.tmp"))  # atomic writes leave nothing behind


def test_resume_skips_what_is_done_and_reruns_what_changed(tmp_path, root, drawings):
    out = tmp_path / "out"
    items = [{"draw": f} for f in drawings[1:]]
    assert {r.status for r in sumi.batch(root / PARTS, items, out=out)} == {"done"}
    assert {r.status for r in sumi.batch(root / PARTS, items, out=out, resume=True)} == {"skipped"}
    # Another parameter, a changed input and a deleted output each run again.
    changed = list(sumi.batch(root / PARTS, items, out=out, resume=True, params={"sketch.size": 128}))
    assert {r.status for r in changed} == {"done"}
    (out / drawings[1].name.replace(".strokes.json", "") / "parts.png").unlink()
    again = {r.input: r.status for r in sumi.batch(root / PARTS, items, out=out, resume=True, params={"sketch.size": 128})}
    assert again[str(drawings[1])] == "done"
    assert sorted(again.values()) == ["done"] + ["skipped"] * (len(items) - 1)
    assert [line["status"] for line in results_file(out)].count("skipped") == len(items) - 1


def test_cli_and_python_resume_each_others_work(tmp_path, root, drawings, cli):
    out = tmp_path / "out"
    good = drawings[1:]
    subprocess.run([cli, "batch", str(root / PARTS), "--in", f"draw={good[0].parent}", "--out", str(out)],
                   capture_output=True)  # exits 1: the broken file failed
    results = list(sumi.batch(root / PARTS, [{"draw": str(f)} for f in good], out=out, resume=True))
    assert {r.status for r in results} == {"skipped"}
    # And the PNGs Python writes are the CLI's, byte for byte.
    py_out = tmp_path / "py"
    for r in sumi.batch(root / PARTS, [{"draw": str(f)} for f in good], out=py_out):
        for f in r.outputs:
            assert (out / f[len(str(py_out)) + 1:]).read_bytes() == open(f, "rb").read()
    p = subprocess.run([cli, "batch", str(root / PARTS), "--in", f"draw={good[0].parent}", "--out", str(py_out),
                        "--resume"], capture_output=True, text=True)
    assert f"0 done, {len(good)} skipped, 1 failed" in p.stdout


def test_resume_compares_what_subgraphs_expand_to(tmp_path, root, drawings, cli):
    """A graph with subgraph instances: the CLI's and Python's digests agree, and an edited subgraph
    file runs the items again (issue 19)."""
    sg = tmp_path / "sg"
    shutil.copytree(root / "examples" / "subgraphs", sg)
    graph, out = sg / "sketch_styles.sumi.json", tmp_path / "out"
    items = [{"draw": str(f)} for f in drawings[1:]]
    subprocess.run([cli, "batch", str(graph), "--in", f"draw={drawings[1].parent}", "--out", str(out), "--output", "bold"],
                   capture_output=True)  # exits 1: the broken file failed
    assert {r.status for r in sumi.batch(graph, items, out=out, outputs=["bold"], resume=True)} == {"skipped"}
    sub = sg / "bold_lines.sumi.json"
    sub.write_text(sub.read_text().replace('"value": 1.5', '"value": 2.5'))
    assert {r.status for r in sumi.batch(graph, items, out=out, outputs=["bold"], resume=True)} == {"done"}


def test_without_out_results_carry_arrays_equal_to_session_run(root, drawings):
    items = [{"draw": f} for f in drawings[1:]] + [{"draw": "no/such.strokes.json"}, "not a dict"]
    results = sorted(sumi.batch(root / PARTS, iter(items), outputs=["sketch"], jobs=2), key=lambda r: r.index)
    s = sumi.Session()
    for r, item in zip(results, items[:-2]):
        assert r.status == "done" and r.outputs == []
        ref = s.run(root / PARTS, outputs=["sketch"], inputs=item).outputs["sketch"]
        assert np.array_equal(r.values["sketch"], ref)
    assert results[-2].status == "failed" and "no/such.strokes.json" in results[-2].error
    assert "expected a dict" in results[-1].error


def test_bad_arguments_fail_before_anything_runs(tmp_path, root, drawings):
    with pytest.raises(ValueError, match="no output 'nope'"):
        sumi.batch(root / PARTS, [], outputs=["nope"])
    with pytest.raises(ValueError, match="needs out="):
        sumi.batch(root / PARTS, [], resume=True)
    with pytest.raises(ValueError, match="the same output files"):  # two faces' sketch.png: same stem
        fixture = root / "models" / "data" / "fixture" / "faces"
        sumi.batch(root / "graphs" / "deepfacedrawing.sumi.json",
                   [{"sketch": fixture / "00000" / "sketch.png"}, {"sketch": fixture / "00001" / "sketch.png"}],
                   out=tmp_path / "o")
    with pytest.raises(sumi.Error):
        sumi.batch(tmp_path / "missing.sumi.json", [])


def test_a_portrait_graph_names_outputs_by_folder(tmp_path, root):
    fixture = root / "models" / "data" / "fixture" / "faces"
    items = [{"sketch": fixture / f / "sketch.png"} for f in ("00000", "00001")]
    out = tmp_path / "o"
    results = list(sumi.batch(root / "graphs" / "deepfacedrawing.sumi.json", items, out=out, outputs=["portrait"],
                              name="{parent}/{output}"))
    assert sorted(r.status for r in results) == ["done", "done"], [r.error for r in results]
    assert (out / "00000" / "portrait.png").exists() and (out / "00001" / "portrait.png").exists()
    assert {r.status for r in sumi.batch(root / "graphs" / "deepfacedrawing.sumi.json", items, out=out,
                                         outputs=["portrait"], name="{parent}/{output}", resume=True)} == {"skipped"}


def test_stopping_early_records_what_finished_and_leaves_no_partial_files(tmp_path, root, drawings):
    out = tmp_path / "out"
    items = [{"draw": f} for f in drawings[1:]] * 4
    with sumi.batch(root / PARTS, items, out=out, jobs=2, name="{index}_{stem}/{output}") as b:
        first = next(b)
    assert first.status == "done"
    lines = results_file(out)
    assert 1 <= len(lines) < len(items) and {line["status"] for line in lines} == {"done"}
    assert not list(out.rglob("*.tmp"))
    for line in lines:
        assert all((out / f).exists() for f in line["outputs"])


def test_first_array_conversions_on_two_threads_at_once_do_not_deadlock():
    """pybind11 set up its NumPy table lazily: two threads making their first arrays at the same moment deadlocked.
    A fresh interpreter (the table is per process) runs two such runs released together, under a time limit."""
    import subprocess
    import sys
    code = (
        "import threading, numpy as np, sumi\n"
        "s = sumi.Session()\n"
        "g = sumi.Graph(name='t'); g.add_node('x', 'io.load_image'); g.set_output('image', 'x.image')\n"
        "go = threading.Barrier(2)\n"
        "def run():\n"
        "    go.wait()\n"
        "    s.run(g, inputs={'x': np.zeros((1, 1, 8, 8), np.float32)}, use_cache=False)\n"
        "ts = [threading.Thread(target=run) for _ in range(2)]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]\n"
        "print('done')\n")
    for _ in range(3):
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and "done" in r.stdout, r.stderr[-2000:]


def test_ctrl_c_in_a_python_batch_stops_cleanly_and_resume_finishes(tmp_path, root, drawings):
    """A real SIGINT to a Python process running sumi.batch (what Ctrl-C in a terminal sends): the process ends
    with KeyboardInterrupt within seconds, every output folder is whole or absent, results.jsonl lists exactly
    the finished items, and resume=True then does only the rest."""
    import os
    import signal
    import sys
    import time
    out = tmp_path / "out"
    good = [str(f) for f in drawings if "broken" not in f.name]
    items = [{"draw": f} for f in good] * 6  # DeepFaceDrawing portraits: long enough to be interrupted
    script = tmp_path / "run.py"
    script.write_text(
        "import sys, sumi\n"
        f"items = {items!r}\n"
        "def tell(r, finished, total):\n"
        "    print(finished, flush=True)\n"
        f"for _ in sumi.batch({str(root / 'graphs/deepfacedrawing.sumi.json')!r}, items, out={str(out)!r}, jobs=2,\n"
        "                    outputs=['portrait', 'sketch'], name='{index}_{stem}/{output}', progress=tell):\n"
        "    pass\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    p = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=env)
    finished = 0
    while finished < 2:  # wait until two items are done, then interrupt mid-batch
        line = p.stdout.readline()
        assert line, f"the batch ended before it could be interrupted: {p.stderr.read()}"
        finished = int(line)
    t0 = time.time()
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    stop_s = time.time() - t0
    assert p.returncode != 0 and "KeyboardInterrupt" in err, err
    assert stop_s < 10, f"Ctrl-C took {stop_s:.1f} s to stop the batch"
    assert not list(out.rglob("*.tmp")), "partial files left behind"
    lines = results_file(out)
    assert 2 <= len(lines) < len(items) and {line["status"] for line in lines} == {"done"}
    recorded = {pathlib.Path(f).parent.name for line in lines for f in line["outputs"]}
    folders = {d.name for d in out.iterdir() if d.is_dir() and not d.name.startswith(".")}  # .sumi-batch: stamps
    assert folders == recorded, "an output folder exists for an item results.jsonl does not list as done"
    for d in folders:
        assert sorted(f.name for f in (out / d).iterdir()) == ["portrait.png", "sketch.png"]
    again = list(sumi.batch(root / "graphs/deepfacedrawing.sumi.json", items, out=out, jobs=2,
                            outputs=["portrait", "sketch"], name="{index}_{stem}/{output}", resume=True))
    statuses = [r.status for r in again]
    assert statuses.count("skipped") == len(lines) and statuses.count("done") == len(items) - len(lines)


def test_resume_does_not_skip_an_input_listed_again_under_another_name(tmp_path, root, drawings, cli):
    """The resume stamp is per input and output name: item 3 (the same file as item 0, written as 3_...) is not
    'skipped' because item 0's files exist - in Python and in the CLI (a list file naming a drawing twice)."""
    good = [str(f) for f in drawings if "broken" not in f.name]
    items = [{"draw": f} for f in good] * 2
    name = "{index}_{stem}/{output}"
    out = tmp_path / "py"
    assert {r.status for r in sumi.batch(root / PARTS, items[:len(good)], out=out, name=name)} == {"done"}
    again = [r.status for r in sumi.batch(root / PARTS, items, out=out, name=name, resume=True)]
    assert again == ["skipped"] * len(good) + ["done"] * len(good)
    listing = tmp_path / "list.txt"
    listing.write_text("\n".join(good) + "\n")
    out = tmp_path / "cli"
    args = [cli, "batch", str(root / PARTS), "--out", str(out), "--name", name, "--in"]
    assert subprocess.run(args + [f"draw={listing}"], capture_output=True).returncode == 0
    listing.write_text("\n".join(good * 2) + "\n")
    p = subprocess.run(args + [f"draw={listing}", "--resume"], capture_output=True, text=True)
    assert p.returncode == 0 and f"{len(good)} done, {len(good)} skipped, 0 failed" in p.stdout, p.stdout + p.stderr
    assert len([d for d in out.iterdir() if d.is_dir() and not d.name.startswith(".")]) == 2 * len(good)

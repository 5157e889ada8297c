"""sumi.batch: outputs named after inputs, failed items reported and skipped,
resume (shared with `sumi batch`), results.jsonl, results as they complete."""
import json
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

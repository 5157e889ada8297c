"""bench/script_baseline.py, the plain PyTorch + NumPy + OpenCV script that
bench/script_vs_sumi.py times against Sumi, computes what
graphs/deepfacedrawing.sumi.json computes: its sketch equals sketch.rasterise's
byte for byte, its portrait equals the graph's within 1e-4 per pixel on the
example drawing and on fixture faces of several styles (measured: 1.3e-5 at
most; the rasterised sketch, the warps - the same OpenCV code on both sides -
the crops and the encoders' latents are bit-identical; the residue comes from
latent.project's float32 Gram matrix of the neighbours, which NumPy's BLAS and
Eigen round differently and the ridge-regularised solve (condition ~1e3)
magnifies: the projected latents differ by ~1e-5 relative), and the memoised
variant gives the same portraits while recomputing only the parts whose crop
changed."""
import json
import pathlib
import sys

import numpy as np
import pytest

import sumi

pytest.importorskip("cv2", reason="python3-opencv (scripts/setup.sh) runs the script baseline")
ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
import script_baseline as sb  # noqa: E402

GRAPH = ROOT / "graphs" / "deepfacedrawing.sumi.json"
CARTOON = ROOT / "examples" / "cartoon_face.strokes.json"
FIXTURE = ROOT / "models" / "data" / "fixture_styles"
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def script():
    return sb.Script()


@pytest.fixture(scope="module")
def graph():
    return sumi.Graph.load(str(GRAPH))


def test_split_windows_are_the_manifests(graph, script):
    # The script takes the windows from the parts manifest; so does the graph's face.split (no copies in the graph).
    g = json.loads(GRAPH.read_text())["nodes"]["split"].get("params", {})
    assert not set(g) & {"reference", *sb.SPLIT_ORDER}, g
    spec = {p["name"]: p for p in sumi.default_registry()["face.split"].params}
    assert pathlib.Path(spec["manifest"]["default"]).resolve() == (ROOT / "models" / "parts" / "manifest.json").resolve()
    assert spec["reference"]["default"] == 0  # the manifest's canvas
    manifest = json.loads((ROOT / "models" / "parts" / "manifest.json").read_text())
    assert manifest["canvas"] == script.canonical
    for name in sb.SPLIT_ORDER:
        assert spec[name]["default"] == []
        assert manifest["parts"][name]["window"] == script.part[name]["window"], name


def test_drawing_gives_sumis_sketch_and_portrait(session, graph, script):
    doc = json.loads(CARTOON.read_text())
    r = session.run(graph, outputs=["sketch", "portrait"], inputs={"draw": doc}).outputs
    assert np.array_equal(sb.rasterise(doc), r["sketch"][0, 0])
    ours = script.run(doc)
    assert ours.shape == r["portrait"].shape
    diff = float(np.abs(ours - r["portrait"]).max())
    print(f"cartoon_face: max abs difference {diff:.2e}")
    assert diff <= TOLERANCE


@pytest.mark.parametrize("style", ["adventurer", "avataaars", "miniavs", "toon-head"])
def test_fixture_sketches_give_sumis_portrait(session, graph, script, style):
    faces = [json.loads(line) for line in (FIXTURE / "manifest.jsonl").read_text().splitlines() if line.strip()]
    face = next(f for f in faces if f["style"] == style)
    path = FIXTURE / face["files"]["sketch"]
    load = sumi.Graph(name="load")
    load.add_node("sketch", "io.load_image", channels="gray", path=str(path))
    load.set_output("sketch", "sketch.image")
    theirs_sketch = session.run(load).outputs["sketch"]
    sketch = sb.load_sketch(path)
    assert np.array_equal(sketch, theirs_sketch[0, 0])
    theirs = session.run(graph, outputs=["portrait"], inputs={"sketch": theirs_sketch}).outputs["portrait"]
    diff = float(np.abs(script.run(sketch=sketch) - theirs).max())
    print(f"{style} ({face['id']}): max abs difference {diff:.2e}")
    assert diff <= TOLERANCE


def test_memoised_script_recomputes_only_changed_parts(session, graph, script):
    doc = json.loads(CARTOON.read_text())
    memo = sb.Script(memoise=True)
    assert np.array_equal(memo.run(doc), script.run(doc))
    assert len(memo.memo) == 5
    # A stroke under the lower lip: inside the mouth window only (below the nose window).
    frame = script.locate(sb.rasterise(doc))
    stroked = sb.with_stroke(doc, frame, [(105, 212), (125, 213)])
    ours = memo.run(stroked)
    assert len(memo.memo) == 6  # the mouth's new crop; the other four parts came from the memo
    assert np.array_equal(ours, script.run(stroked))
    theirs = session.run(graph, outputs=["portrait"], inputs={"draw": stroked}).outputs["portrait"]
    assert float(np.abs(ours - theirs).max()) <= TOLERANCE


def test_a_mouth_stroke_reruns_only_the_mouth_instance(graph, script):
    """Each part is an instance of graphs/part_chain.sumi.json, expanded into inner nodes that are
    cached one by one (issue 19): a stroke in the mouth re-runs the mouth's chain and what joins the
    parts, and none of the other four parts' nodes."""
    session = sumi.Session()
    doc = json.loads(CARTOON.read_text())
    session.run(graph, inputs={"draw": doc})
    frame = script.locate(sb.rasterise(doc))
    r = session.run(graph, inputs={"draw": sb.with_stroke(doc, frame, [(105, 212), (125, 213)])})
    status = {n["id"]: n["status"] for n in r.nodes}
    inner = {i for i in status if "/" in i}
    assert inner == {f"{p}/{n}" for p in ("left_eye", "right_eye", "nose", "mouth", "remainder")
                     for n in ("encode", "project", "decode", "features")}
    assert {i for i in inner if status[i] == "computed"} == {"mouth/encode", "mouth/project", "mouth/decode",
                                                              "mouth/features"}
    assert all(status[i] == "cached" for i in inner if not i.startswith("mouth/"))
    assert status["paste"] == status["portrait"] == status["compose"] == "computed"


def test_benchmark_runs():
    # bench/script_vs_sumi.py end to end, one pair, no competing load: it stays runnable. (Passive
    # OpenMP waits keep it quick on a busy machine; the figures are not checked.)
    import os
    import subprocess
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "script_vs_sumi.py"), "--pairs", "1", "--warmup", "0",
                        "--load", "0"], capture_output=True, text=True, timeout=240,
                       env=dict(os.environ, OMP_WAIT_POLICY="PASSIVE",
                                PYTHONPATH=str(pathlib.Path(sumi.__file__).parents[1])))
    assert r.returncode == 0, r.stderr
    assert "cold:" in r.stdout and "after stroke:" in r.stdout and "OMP_WAIT_POLICY" in r.stdout

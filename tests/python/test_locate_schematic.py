"""Schematic (freehand-style) drawings for the face locator (models/locate/schematic.py), their packing by
prepare.py, and training on from a shipped TorchScript locator (locate_model.load_exported, train.py --init)."""
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import torch

import sumi

ROOT = pathlib.Path(__file__).resolve().parents[2]
LOCATE = ROOT / "models" / "locate"
sys.path.insert(0, str(LOCATE))
from locate_model import FaceLocator, load_exported  # noqa: E402
from prepare import targets  # noqa: E402
from schematic import rasterise, rasterise_graph, schematic_strokes  # noqa: E402

FIXTURE = ROOT / "models" / "data" / "fixture_styles"


def fixture_faces():
    return [json.loads(l) for l in (FIXTURE / "manifest.jsonl").read_text().splitlines() if l.strip()]


def centre_of(strokes, part):
    pts = np.array([p[:2] for s in strokes["strokes"] if s["part"] == part for p in s["points"]])
    return (pts.min(0) + pts.max(0)) / 2


def test_a_schematic_drawing_sits_on_the_faces_true_parts():
    """Eyes and mouth are drawn about their true centres and the head about the frame's centre, in any style,
    framing and rotation; the same seed gives the same drawing; the head comes first (drawing order)."""
    session = sumi.Session()
    for k, face in enumerate(fixture_faces()[:16]):
        strokes = schematic_strokes(face, np.random.default_rng(k))
        assert strokes["strokes"][0]["part"] == "head"
        assert strokes == schematic_strokes(face, np.random.default_rng(k))
        unit = face["frame"]["scale"] * 4  # 4 canonical px: wobble and the shapes' random sizes
        for part in ("left_eye", "right_eye"):
            assert np.hypot(*(centre_of(strokes, part) - face["points"][part])) < unit, (face["id"], part)
        # The mouth curve sits a little above or below its box centre (a smile, a frown).
        assert np.hypot(*(centre_of(strokes, "mouth") - face["points"]["mouth"])) < 3 * unit, face["id"]
        assert np.hypot(*(centre_of(strokes, "head") - face["frame"]["centre"])) < 3 * unit, face["id"]
        img = rasterise(session, rasterise_graph(face["size"]), strokes)
        assert img.shape == (1, 1, face["size"], face["size"]) and (img < 0.5).mean() > 0.002
        head_only = rasterise(session, rasterise_graph(face["size"]), strokes, keep=1)
        assert (head_only < 0.5).sum() < (img < 0.5).sum()


def test_prepare_packs_schematic_copies_with_the_faces_targets(tmp_path):
    out = tmp_path / "pack.npz"
    r = subprocess.run([sys.executable, str(LOCATE / "prepare.py"), "--data", str(FIXTURE), "--out", str(out),
                        "--limit", "4", "--partial", "0", "--schematic", "1"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    d = np.load(out)
    assert d["sketches"].shape == (8, 128, 128) and list(d["schematic"]) == [0, 1] * 4
    faces = [f for f in fixture_faces()][:4]
    for i, face in enumerate(faces):
        assert np.allclose(d["targets"][2 * i + 1], targets(face), atol=1e-6)
        assert (d["sketches"][2 * i + 1] < 128).mean() > 0.002  # something is drawn


def test_prepare_packs_a_range_of_faces_with_partial_copies_in_the_keep_range(tmp_path):
    """--indices A:B packs faces A <= index < B (a data set extended later is packed in parts); --partial-keep
    bounds the share of lines each partial copy keeps; malformed values are clean errors naming the option."""
    out = tmp_path / "pack.npz"
    r = subprocess.run([sys.executable, str(LOCATE / "prepare.py"), "--data", str(FIXTURE), "--out", str(out),
                        "--indices", "5:9", "--partial", "3", "--partial-keep", "0.3,0.4"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    d = np.load(out)
    assert sorted(set(d["index"].tolist())) == [5, 6, 7, 8] and len(d["index"]) == 16
    partial = d["keep"][np.arange(16) % 4 != 0]
    assert ((partial >= 0.3) & (partial <= 0.4)).all(), partial
    for bad, why in ((["--indices", "5"], "--indices must be A:B"), (["--partial-keep", "0.5,0.2"], "--partial-keep needs")):
        r = subprocess.run([sys.executable, str(LOCATE / "prepare.py"), "--data", str(FIXTURE), "--out",
                            str(tmp_path / "bad.npz"), *bad], capture_output=True, text=True, timeout=300)
        assert r.returncode != 0 and why in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_a_locator_loads_from_its_exported_file_and_trains_on(tmp_path):
    """The shipped locator.pt (frozen: its BatchNorms folded into the convolutions) read back into the
    architecture computes what the file does; train.py --init takes it, keeps the BatchNorms' statistics and
    trains the rest; a file of another architecture is a clear error naming it."""
    shipped = json.loads((LOCATE / "manifest.json").read_text())
    m = load_exported(LOCATE / shipped["locator"]["file"], FaceLocator(128, (16, 24, 48, 64, 96), 256, 4)).eval()
    x = (torch.rand(2, 1, 128, 128) > 0.04).float()
    with torch.no_grad():
        assert torch.allclose(m(x), torch.jit.load(str(LOCATE / shipped["locator"]["file"]))(x), atol=1e-5)
    with pytest.raises(ValueError, match="locator.pt"):
        load_exported(LOCATE / shipped["locator"]["file"], FaceLocator(128, (16, 24, 48, 64, 128), 256, 4))
    pack = tmp_path / "pack.npz"
    subprocess.run([sys.executable, str(LOCATE / "prepare.py"), "--data", str(FIXTURE), "--out", str(pack),
                    "--partial", "0", "--schematic", "1"], check=True, capture_output=True, timeout=300)
    r = subprocess.run([sys.executable, str(LOCATE / "train.py"), "--data", str(pack), "--out", str(tmp_path / "w"),
                        "--init", str(LOCATE / "locator.pt"), "--heat-stride", "4", "--epochs", "1", "--max-steps",
                        "2", "--batch", "8", "--threads", "1"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "BatchNorms frozen" in r.stderr, r.stderr
    ck = torch.load(tmp_path / "w" / "checkpoint.pt")
    assert ck["frozen_batchnorm"]
    bn = ck["model"]["fine.0.1.running_var"]
    assert torch.allclose(bn, torch.full_like(bn, 1 - 1e-5))  # statistics as loaded: eval mode while training
    assert not torch.equal(ck["model"]["fine.0.0.weight"], m.state_dict()["fine.0.0.weight"])  # the rest learnt
    r = subprocess.run([sys.executable, str(LOCATE / "train.py"), "--data", str(pack), "--out", str(tmp_path / "w2"),
                        "--init", str(ROOT / "models" / "stylegan" / "mapping.pt"), "--max-steps", "1"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode != 0 and "--init" in r.stderr and "Traceback" not in r.stderr, r.stderr
    # A checkpoint of this script trained with other architecture flags: the error says which flags.
    r = subprocess.run([sys.executable, str(LOCATE / "train.py"), "--data", str(pack), "--out", str(tmp_path / "w3"),
                        "--init", str(tmp_path / "w" / "checkpoint.pt"), "--heat-stride", "8", "--max-steps", "1"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode != 0 and "another architecture" in r.stderr and "--heat-stride 4" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr, r.stderr


@pytest.mark.parametrize("passes", ["2", "1"])
def test_prepare_refine_cuts_schematic_crops_in_the_named_locators_frames(tmp_path, passes):
    """prepare_refine.py --schematic: each face's schematic drawing located by the locator --manifest names and
    cropped as face.locate cuts the refiner's input; its part centres land inside the crop."""
    out = tmp_path / "refine.npz"
    r = subprocess.run([sys.executable, str(LOCATE / "prepare_refine.py"), "--data", str(FIXTURE), "--out", str(out),
                        "--limit", "3", "--partial", "0", "--schematic", "1", "--schematic-partial", "0", "--jobs", "1",
                        "--manifest", str(LOCATE / "manifest.json"), "--passes", passes],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    d = np.load(out)
    assert int(d["passes"]) == int(passes)
    assert d["sketches"].shape == (9, 128, 128)  # per face: its drawing, the schematic drawing, a moved frame
    for row in range(1, 9, 3):
        centres = d["targets"][row][5:13]
        assert ((centres > 0.05) & (centres < 0.95)).all(), centres
        assert (d["sketches"][row] < 128).mean() > 0.002
    bad = subprocess.run([sys.executable, str(LOCATE / "prepare_refine.py"), "--data", str(FIXTURE), "--out",
                          str(tmp_path / "x.npz"), "--limit", "1", "--jobs", "1", "--manifest", str(tmp_path / "none.json")],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode != 0 and "none.json" in bad.stderr and "Traceback" not in bad.stderr, bad.stderr


def test_an_exported_refiner_records_its_looks_and_face_locate_follows_them(tmp_path):
    """A refiner trained on crops cut after one look (prepare_refine.py --passes 1) and exported next to a copy of
    the shipped locator: the manifest records passes 1 and the shipped refiner's training as `previous`, and
    face.locate's default `passes` then takes one look (its frame is the explicit passes=1 frame)."""
    pack = tmp_path / "refine.npz"
    subprocess.run([sys.executable, str(LOCATE / "prepare_refine.py"), "--data", str(FIXTURE), "--out", str(pack),
                    "--limit", "4", "--partial", "0", "--schematic", "1", "--jobs", "1", "--passes", "1"],
                   check=True, capture_output=True, timeout=300)
    r = subprocess.run([sys.executable, str(LOCATE / "train.py"), "--data", str(pack), "--out", str(tmp_path / "w"),
                        "--init", str(LOCATE / "refiner.pt"), "--heat-stride", "4", "--epochs", "1", "--max-steps",
                        "1", "--batch", "4", "--threads", "1"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "locate"
    out.mkdir()
    for name in ("manifest.json", "locator.pt"):
        (out / name).write_bytes((LOCATE / name).read_bytes())
    shipped = json.loads((LOCATE / "manifest.json").read_text())["refiner"]
    r = subprocess.run([sys.executable, str(LOCATE / "export.py"), "--refiner", str(tmp_path / "w" / "checkpoint.pt"),
                        "--refiner-data", str(pack), "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    refiner = json.loads((out / "manifest.json").read_text())["refiner"]
    assert refiner["passes"] == 1
    assert refiner["training"]["previous"][0]["command"] == shipped["training"]["command"]
    session = sumi.Session()
    frames = []
    for passes in (0, 1):
        g = sumi.Graph(name="locate")
        g.add_node("load", "io.load_image", channels="gray", path=str(FIXTURE / fixture_faces()[0]["files"]["sketch"]))
        g.add_node("locate", "face.locate", manifest=str(out / "manifest.json"), snap=0, canonical_snap=0, passes=passes)
        g.link("load.image", "locate.sketch")
        g.set_output("frame", "locate.frame")
        frames.append(json.dumps(session.run(g).outputs["frame"]))
    assert frames[0] == frames[1]


def test_the_partial_drawing_bound_places_drawn_parts_exactly(tmp_path):
    """models/locate/partial_bound.py: with every line kept every part is drawn and its oracle is exact; with 30 %
    kept some parts are gone and it must guess them; a bad --keep is a clean error."""
    def bound(keep):
        r = subprocess.run([sys.executable, str(LOCATE / "partial_bound.py"), "--data", str(FIXTURE), "--keep", keep,
                            "--json", str(tmp_path / "b.json")], capture_output=True, text=True, timeout=300)
        return r, (json.loads((tmp_path / "b.json").read_text()) if r.returncode == 0 else None)
    _, whole = bound("1.0")
    for group in ("test split", "held-out style"):
        assert whole["results"][group]["all_parts_drawn"] == 1.0
        assert whole["results"][group]["regressed"]["within_4px"] == 1.0
    _, partial = bound("0.3")
    assert min(partial["results"][g]["all_parts_drawn"] for g in ("test split", "held-out style")) < 1.0
    assert partial["results"]["held-out style"]["mean"]["p90_px"] > 0
    r, _ = bound("1.5")
    assert r.returncode != 0 and "--keep" in r.stderr and "Traceback" not in r.stderr, r.stderr

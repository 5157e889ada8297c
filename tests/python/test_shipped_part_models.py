"""The shipped part models (models/parts): files match the manifest, the engine
accepts every model's interface, clean sketches of held-out fixture faces come
back through encode -> decode, and the shadow-guidance graph runs on the
cartoon example with ink in every part's window."""
import hashlib
import json
import pathlib
import sys

import numpy as np
import pytest
import torch

import sumi

ROOT = pathlib.Path(__file__).resolve().parents[2]
PARTS_DIR = ROOT / "models" / "parts"
MANIFEST = PARTS_DIR / "manifest.json"
PARTS = ["left_eye", "right_eye", "nose", "mouth", "remainder"]
sys.path.insert(0, str(PARTS_DIR))
from evaluate import line_scores, split_windows  # noqa: E402


@pytest.fixture(scope="module")
def manifest():
    return json.loads(MANIFEST.read_text())


def test_files_match_the_manifest(manifest):
    assert manifest["format"] == "sumi.models" and set(manifest["parts"]) == set(PARTS)
    for name, part in manifest["parts"].items():
        for key in ("encoder", "decoder", "bank"):
            path = PARTS_DIR / part[key]
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            assert digest == part["sha256"][path.name[len(name) + 1:]], f"{path} differs from the manifest"
        bank = np.load(PARTS_DIR / part["bank"])
        assert bank.dtype == np.float16 and bank.shape == (manifest["data"]["bank_faces"], part["latent"])
        assert np.isfinite(bank.astype(np.float32)).all()


def test_clean_fixture_sketches_survive_encode_decode(manifest):
    """A sanity floor for the export (a flipped ink convention or a wrong crop scores near 0)."""
    fixture = ROOT / "models" / "data" / "fixture"
    faces = [json.loads(line) for line in (fixture / "manifest.jsonl").read_text().splitlines() if line.strip()]
    held_out = [f for f in faces if f["split"] == "test"]
    assert held_out, "the fixture has test faces"
    g = sumi.Graph(name="roundtrip")
    g.add_node("sketch", "io.load_image")
    g.add_node("split", "face.split", **split_windows(MANIFEST))
    g.link("sketch.image", "split.sketch")
    for p in PARTS:
        g.add_node(f"enc_{p}", "latent.encode", part=p)
        g.add_node(f"dec_{p}", "latent.decode", part=p)
        g.link(f"split.{p}", f"enc_{p}.image")
        g.link(f"enc_{p}.latent", f"dec_{p}.latent")
        g.set_output(f"clean_{p}", f"split.{p}")
        g.set_output(f"decoded_{p}", f"dec_{p}.image")
    session = sumi.Session()
    scores = {p: [] for p in PARTS}
    for face in held_out:
        sketch = str(fixture / "faces" / face["id"] / "sketch.png")
        out = session.run(g, inputs={"sketch.image": sketch}).outputs
        for p in PARTS:
            clean = torch.from_numpy(out[f"clean_{p}"][:, :1].copy())
            f1, _ = line_scores(torch.from_numpy(out[f"decoded_{p}"].copy()), clean)
            scores[p].append(f1)
    mean = {p: float(np.mean(v)) for p, v in scores.items()}
    print("line F1 of encode -> decode on held-out fixture faces:", mean)
    for p, f1 in mean.items():
        assert f1 >= 0.6, f"{p}: decoded clean sketches score F1 {f1:.2f}"  # shipped: 0.95-0.98 parts, 0.68 remainder


def test_shadow_guidance_graph_draws_every_part(manifest):
    out = sumi.Session().run(ROOT / "graphs" / "shadow_guidance.sumi.json").outputs
    guidance = out["guidance"][0, 0]
    scale = guidance.shape[-1] / manifest["canvas"]
    for p in PARTS:
        x, y, s = (int(v * scale) for v in manifest["parts"][p]["window"])
        window = guidance[max(0, y):y + s, max(0, x):x + s]
        assert (window < 0.5).mean() > 0.01, f"no shadow ink in the {p} window"
    assert out["overlay"].shape == out["guidance"].shape

"""The shipped synthesis models (models/synth) and the portrait graphs built on
them: files match the manifest; on held-out fixture faces the portraits beat a
flat image of each face's own mean colour; simulated colour hints at least halve
the colour error where they are; the deepfacedrawing and sketch2anime graphs
run on their example drawings (the pink hair hints turn the hair pink); and
awkward drawings - an empty canvas, one stroke, strokes off the canvas, a
sketch of another size - still give portraits (or clear errors)."""
import hashlib
import json
import pathlib

import numpy as np
import pytest

import sumi

ROOT = pathlib.Path(__file__).resolve().parents[2]
SYNTH_DIR = ROOT / "models" / "synth"
FIXTURE = ROOT / "models" / "data" / "fixture"
GRAPHS = ROOT / "graphs"


@pytest.fixture(scope="module")
def session():
    return sumi.Session()


@pytest.fixture(scope="module")
def held_out(session):
    """(sketch 1 x 1 x 256 x 256, truth 1 x 3 x 128 x 128) of every fixture face kept out of training."""
    faces = [json.loads(line) for line in (FIXTURE / "manifest.jsonl").read_text().splitlines() if line.strip()]
    g = sumi.Graph(name="fixture")
    g.add_node("sketch", "io.load_image", channels="gray")
    g.add_node("colour", "io.load_image", channels="rgb")
    g.add_node("small", "image.resize", width=128, height=128, interpolation="area")
    g.link("colour.image", "small.image")
    g.set_output("sketch", "sketch.image")
    g.set_output("truth", "small.image")
    out = []
    for f in faces:
        if f["split"] == "train":
            continue
        g.set_param("sketch", "path", str(FIXTURE / f["files"]["sketch"]))
        g.set_param("colour", "path", str(FIXTURE / f["files"]["color"]))
        r = session.run(g).outputs
        out.append((r["sketch"], r["truth"]))
    assert len(out) >= 4
    return out


def test_files_match_the_manifest():
    m = json.loads((SYNTH_DIR / "manifest.json").read_text())
    assert m["format"] == "sumi.synth" and m["size"] >= 128
    for name, digest in m["sha256"].items():
        assert hashlib.sha256((SYNTH_DIR / name).read_bytes()).hexdigest() == digest, f"{name} differs from the manifest"
    assert m["cost"]["generator_gmac"] > 0.1


def test_portraits_beat_each_faces_flat_mean_colour(session, held_out):
    g = sumi.Graph.load(str(GRAPHS / "deepfacedrawing.sumi.json"))
    ours, flat = [], []
    for sketch, truth in held_out:
        img = session.run(g, outputs=["portrait"], inputs={"sketch": sketch}).outputs["portrait"]
        assert img.shape == truth.shape
        ours.append(np.abs(img - truth).mean())
        flat.append(np.abs(truth.mean(axis=(2, 3), keepdims=True) - truth).mean())
    assert np.mean(ours) < 0.8 * np.mean(flat), (np.mean(ours), np.mean(flat))


def test_hints_at_least_halve_the_colour_error_where_they_are(session, held_out):
    g = sumi.Graph.load(str(GRAPHS / "sketch2anime.sumi.json"))
    sim = sumi.Graph(name="hints")
    sim.add_node("truth", "io.load_image")
    sim.add_node("sim", "colour.simulate_hints", count=8, radius=3, length=20)
    sim.link("truth.image", "sim.image")
    sim.set_output("hints", "sim.hints")
    sim.set_output("mask", "sim.mask")
    errors = {"with": [], "without": []}
    for i, (sketch, truth) in enumerate(held_out):
        sim.set_param("sim", "seed", i)
        h = session.run(sim, inputs={"truth": truth}).outputs
        inside = h["mask"][0, 0] > 0.5
        assert inside.any()
        blank = {"hints.hints": np.ones_like(h["hints"]), "hints.mask": np.zeros_like(h["mask"])}
        for key, feed in (("with", {"hints.hints": h["hints"], "hints.mask": h["mask"]}), ("without", blank)):
            img = session.run(g, outputs=["portrait"], inputs={"sketch": sketch, **feed}).outputs["portrait"]
            errors[key].append(np.abs(img[0] - h["hints"][0, :3])[:, inside].mean())
    assert np.mean(errors["with"]) <= 0.5 * np.mean(errors["without"]), errors


def test_example_graphs_run_and_hints_colour_the_hair(session):
    dfd = session.run(sumi.Graph.load(str(GRAPHS / "deepfacedrawing.sumi.json"))).outputs
    s2a = session.run(sumi.Graph.load(str(GRAPHS / "sketch2anime.sumi.json"))).outputs
    for out in (dfd, s2a):
        assert out["portrait"].shape == (1, 3, 128, 128) and np.isfinite(out["portrait"]).all()
        assert out["portrait"].std() > 0.05  # a face, not a flat fill
    assert {"guidance", "overlay", "sketch"} <= set(dfd)
    # The example's hair hints are pink (#e889b5): where they are, the portrait is pinker with them than without.
    mask = s2a["hints"][0].min(axis=0) < 0.98
    hair = mask & (s2a["hints"][0, 0] > 0.85) & (s2a["hints"][0, 1] < 0.7)
    hair = hair.reshape(128, 2, 128, 2).any(axis=(1, 3))
    pink = np.array([0xE8, 0x89, 0xB5]) / 255.0
    def dist(img):
        return np.abs(img[0][:, hair] - pink[:, None]).mean()
    assert dist(s2a["portrait"]) < 0.7 * dist(dfd["portrait"])


@pytest.mark.parametrize("case", ["empty", "one stroke", "off the canvas"])
def test_awkward_drawings_still_give_portraits(session, case):
    strokes = {"format": "sumi.strokes", "version": 1, "canvas": [512, 512], "strokes": []}
    if case != "empty":
        strokes["strokes"].append({"kind": "line", "width": 3, "points": [[150, 200], [350, 210]]})
    if case == "off the canvas":
        strokes["strokes"].append({"kind": "line", "width": 3, "points": [[-400, -50], [-100, 900]]})
        strokes["strokes"].append({"kind": "hint", "width": 20, "color": "#ff0000", "points": [[900, 900], [1200, 950]]})
    for name in ("deepfacedrawing", "sketch2anime"):
        out = session.run(sumi.Graph.load(str(GRAPHS / f"{name}.sumi.json")), outputs=["portrait"],
                          inputs={"draw": strokes}).outputs["portrait"]
        assert out.shape == (1, 3, 128, 128) and np.isfinite(out).all()


def test_a_sketch_of_another_size(session, held_out):
    g = sumi.Graph.load(str(GRAPHS / "deepfacedrawing.sumi.json"))
    sketch = held_out[0][0]
    big = np.repeat(np.repeat(sketch, 2, axis=2), 2, axis=3)  # 512 x 512: face.split scales its windows
    out = session.run(g, outputs=["portrait"], inputs={"sketch": big}).outputs["portrait"]
    assert out.shape == (1, 3, 128, 128)
    with pytest.raises(sumi.Error, match="split"):  # not square: a clear error naming the node
        session.run(g, outputs=["portrait"], inputs={"sketch": sketch[:, :, :, :200]})

"""Shared fixtures: the repository paths, the sumi CLI built next to the module,
and for the shipped-model tests a shared engine session, the held-out fixture
faces and awkward drawings."""
import json
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("SUMI_BUILD_DIR", ROOT / "build"))


@pytest.fixture
def root():
    return ROOT


@pytest.fixture
def cli():
    path = BUILD / "cli" / "sumi"
    assert path.exists(), f"build the CLI first ({path})"
    return str(path)


@pytest.fixture
def strokes_file():
    return str(ROOT / "examples" / "face.strokes.json")


@pytest.fixture(scope="module")
def session():
    import sumi
    return sumi.Session()


def held_out_records():
    """The manifest records of the fixture faces kept out of training, in `held_out`'s order."""
    fixture = ROOT / "models" / "data" / "fixture"
    faces = [json.loads(line) for line in (fixture / "manifest.jsonl").read_text().splitlines() if line.strip()]
    return [f for f in faces if f["split"] != "train"]


@pytest.fixture(scope="module")
def held_out(session):
    """(sketch 1 x 1 x 256 x 256, truth 1 x 3 x 128 x 128) of every fixture face kept out of training."""
    import sumi
    fixture = ROOT / "models" / "data" / "fixture"
    g = sumi.Graph(name="fixture")
    g.add_node("sketch", "io.load_image", channels="gray")
    g.add_node("colour", "io.load_image", channels="rgb")
    g.add_node("small", "image.resize", width=128, height=128, interpolation="area")
    g.link("colour.image", "small.image")
    g.set_output("sketch", "sketch.image")
    g.set_output("truth", "small.image")
    out = []
    for f in held_out_records():
        g.set_param("sketch", "path", str(fixture / f["files"]["sketch"]))
        g.set_param("colour", "path", str(fixture / f["files"]["color"]))
        r = session.run(g).outputs
        out.append((r["sketch"], r["truth"]))
    assert len(out) >= 4
    return out


@pytest.fixture(params=["empty", "one stroke", "off the canvas"])
def awkward_drawing(request):
    """A strokes document a portrait graph must survive: an empty canvas, one stroke, strokes (and a hint) off it."""
    strokes = {"format": "sumi.strokes", "version": 1, "canvas": [512, 512], "strokes": []}
    if request.param != "empty":
        strokes["strokes"].append({"kind": "line", "width": 3, "points": [[150, 200], [350, 210]]})
    if request.param == "off the canvas":
        strokes["strokes"].append({"kind": "line", "width": 3, "points": [[-400, -50], [-100, 900]]})
        strokes["strokes"].append({"kind": "hint", "width": 20, "color": "#ff0000", "points": [[900, 900], [1200, 950]]})
    return strokes


@pytest.fixture(scope="module")
def portrait_and_flat_l1(session, held_out):
    """graph -> (mean L1 of its portraits, mean L1 of a flat image of each face's own mean colour) on held_out."""
    import numpy as np

    def measure(graph):
        ours, flat = [], []
        for sketch, truth in held_out:
            img = session.run(graph, outputs=["portrait"], inputs={"sketch": sketch}).outputs["portrait"]
            assert img.shape == truth.shape
            ours.append(np.abs(img - truth).mean())
            flat.append(np.abs(truth.mean(axis=(2, 3), keepdims=True) - truth).mean())
        return np.mean(ours), np.mean(flat)
    return measure

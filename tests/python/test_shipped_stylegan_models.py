"""The shipped AniFaceDrawing models (models/stylegan) and graphs/anifacedrawing:
files match the manifest; on held-out fixture faces the sketch's portrait beats
a flat image of each face's own mean colour; a drawing with only some of its
strokes lands nearer its finished drawing's code than another face's finished
code (the progressive sketch encoder); mixing a reference's colour layers moves
the portrait's colours towards the reference; the graph runs on its example
drawing with its guidance outputs; awkward drawings still give portraits."""
import hashlib
import json
import pathlib
import sys

import numpy as np
import pytest

import sumi
from conftest import held_out_records

ROOT = pathlib.Path(__file__).resolve().parents[2]
STYLEGAN_DIR = ROOT / "models" / "stylegan"
sys.path.insert(0, str(STYLEGAN_DIR))
from hair_hue import rgb  # noqa: E402  (the hex colour as 0..1 RGB)
GRAPH = ROOT / "graphs" / "anifacedrawing.sumi.json"


def sketch_only():
    g = sumi.Graph.load(str(GRAPH))
    g.set_param("mix", "strength", 0.0)
    return g


def histogram_distance(a, b, bins=8):
    def hist(img):
        q = np.clip((img[0] * (bins - 1e-6)).astype(int), 0, bins - 1)
        h = np.bincount(((q[0] * bins + q[1]) * bins + q[2]).ravel(), minlength=bins ** 3).astype(float)
        return h / h.sum()
    return 0.5 * np.abs(hist(a) - hist(b)).sum()


def test_files_match_the_manifest():
    m = json.loads((STYLEGAN_DIR / "manifest.json").read_text())
    assert m["format"] == "sumi.stylegan" and m["size"] >= 128 and m["num_ws"] == 2 * int(np.log2(m["size"])) - 2
    for name in ("synthesis", "image_encoder", "sketch_encoder", "mapping"):
        path = STYLEGAN_DIR / m[name]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == m["sha256"][m[name]], f"{path.name} differs"
    assert m["cost"]["synthesis_gmac"] > 0.05


def test_sketch_portraits_beat_each_faces_flat_mean_colour(portrait_and_flat_l1):
    ours, flat = portrait_and_flat_l1(sketch_only())
    assert ours < 0.9 * flat, (ours, flat)


def test_a_partial_drawing_lands_near_its_finished_code(session, held_out):
    g = sketch_only()
    drop = sumi.Graph(name="partial")
    drop.add_node("sketch", "io.load_image", channels="gray")
    drop.add_node("drop", "sketch.drop_strokes", keep=0.6, seed=3, piece_length=64)
    drop.link("sketch.image", "drop.sketch")
    drop.set_output("partial", "drop.image")
    finished, partial = [], []
    for sketch, _ in held_out:
        finished.append(session.run(g, outputs=["encode_sketch.latent"], inputs={"sketch": sketch}).outputs["encode_sketch.latent"])
        part = session.run(drop, inputs={"sketch": sketch}).outputs["partial"]
        partial.append(session.run(g, outputs=["encode_sketch.latent"], inputs={"sketch": part}).outputs["encode_sketch.latent"])
    own, other = [], []
    for i in range(len(finished)):
        own.append(np.abs(partial[i] - finished[i]).mean())
        other.append(np.mean([np.abs(partial[i] - finished[j]).mean() for j in range(len(finished)) if j != i]))
    assert np.mean(own) < 0.8 * np.mean(other), (own, other)


def test_reference_colour_layers_move_colours_towards_the_reference(session, held_out):
    mixed, alone = sumi.Graph.load(str(GRAPH)), sketch_only()
    before, after = [], []
    for i, (sketch, _) in enumerate(held_out):
        reference = held_out[(i + 1) % len(held_out)][1]
        feed = {"sketch": sketch, "reference": reference}
        a = session.run(alone, outputs=["portrait"], inputs=feed).outputs["portrait"]
        m = session.run(mixed, outputs=["portrait"], inputs=feed).outputs["portrait"]
        before.append(histogram_distance(a, reference))
        after.append(histogram_distance(m, reference))
    assert np.mean(after) < np.mean(before), (before, after)


def test_a_reference_gives_its_own_hair_colour(session, held_out):
    """Each held-out fixture face drawn and given as its own reference: the portrait's pixels where the face's
    hair is lie near its hair colour (mean |RGB - hair| over those pixels, averaged over the faces). The image
    encoder before its colour path (session 29) scored 0.094 here (green hair 0.160, pale pink 0.144), one epoch
    of the same training without the path 0.103, session 29's 0.072 (0.100, 0.120), session 32's (hair and skin
    weighted, the rest and dark skins held) 0.068."""
    graph, errors = sumi.Graph.load(str(GRAPH)), {}
    for record, (sketch, truth) in zip(held_out_records(), held_out):
        if not record.get("hair_color"):
            continue
        feed = {"sketch": sketch, "reference": truth}
        portrait = session.run(graph, outputs=["portrait"], inputs=feed).outputs["portrait"]
        hair = np.array(rgb(record["hair_color"])).reshape(1, 3, 1, 1)
        mask = np.abs(truth - hair).max(1, keepdims=True) < 0.12
        if mask.any():
            errors[record["hair_color"]] = float(np.abs(portrait - hair).mean(1, keepdims=True)[mask].mean())
    assert len(errors) >= 4, errors
    assert np.mean(list(errors.values())) < 0.085, errors


def test_the_graph_runs_on_its_example_drawing(session):
    out = session.run(sumi.Graph.load(str(GRAPH))).outputs
    assert out["portrait"].shape == (1, 3, 128, 128) and np.isfinite(out["portrait"]).all()
    assert out["portrait"].std() > 0.05  # a face, not a flat fill
    assert {"guidance", "rough_guidance", "overlay", "sketch", "reference"} <= set(out)
    # Both guidance images trace something of the portrait, and they are not the same picture.
    detail, rough = out["guidance"] < 0.5, out["rough_guidance"] < 0.5
    assert detail.sum() > 50 and rough.sum() > 50 and (detail != rough).any()


def test_awkward_drawings_still_give_portraits(session, awkward_drawing):
    out = session.run(sumi.Graph.load(str(GRAPH)), outputs=["portrait"], inputs={"draw": awkward_drawing}).outputs["portrait"]
    assert out.shape == (1, 3, 128, 128) and np.isfinite(out).all()

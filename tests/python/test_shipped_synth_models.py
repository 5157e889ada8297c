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
GRAPHS = ROOT / "graphs"


def test_files_match_the_manifest():
    m = json.loads((SYNTH_DIR / "manifest.json").read_text())
    assert m["format"] == "sumi.synth" and m["size"] >= 128
    for name, digest in m["sha256"].items():
        assert hashlib.sha256((SYNTH_DIR / name).read_bytes()).hexdigest() == digest, f"{name} differs from the manifest"
    assert m["cost"]["generator_gmac"] > 0.1


def test_portraits_beat_each_faces_flat_mean_colour(portrait_and_flat_l1):
    ours, flat = portrait_and_flat_l1(sumi.Graph.load(str(GRAPHS / "deepfacedrawing.sumi.json")))
    assert ours < 0.8 * flat, (ours, flat)


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


def test_awkward_drawings_still_give_portraits(session, awkward_drawing):
    for name in ("deepfacedrawing", "sketch2anime"):
        out = session.run(sumi.Graph.load(str(GRAPHS / f"{name}.sumi.json")), outputs=["portrait"],
                          inputs={"draw": awkward_drawing}).outputs["portrait"]
        assert out.shape == (1, 3, 128, 128) and np.isfinite(out).all()


def styles_fixture_portraits(session, graph):
    """style -> [(line chamfer px at 128 between the drawing's ink and the portrait's line art, portrait, truth)]
    for every face of models/data/fixture_styles (eight styles, random framing; toon-head is the style kept
    out of all training)."""
    import sys
    import torch
    sys.path.insert(0, str(ROOT / "models" / "synth"))
    from metrics import chamfer, input_ink, line_art
    fixture = ROOT / "models" / "data" / "fixture_styles"
    faces = [json.loads(line) for line in (fixture / "manifest.jsonl").read_text().splitlines() if line.strip()]
    load = sumi.Graph(name="fixture_styles")
    load.add_node("sketch", "io.load_image", channels="gray")
    load.add_node("colour", "io.load_image", channels="rgb")
    load.add_node("small", "image.resize", width=128, height=128, interpolation="area")
    load.link("colour.image", "small.image")
    load.set_output("sketch", "sketch.image")
    load.set_output("truth", "small.image")
    out = {}
    for f in faces:
        load.set_param("sketch", "path", str(fixture / f["files"]["sketch"]))
        load.set_param("colour", "path", str(fixture / f["files"]["color"]))
        r = session.run(load).outputs
        p = session.run(graph, outputs=["portrait"], inputs={"sketch": r["sketch"]}).outputs["portrait"]
        c = chamfer(input_ink(r["sketch"], (128, 128)), line_art(session, torch.from_numpy(p.copy())))
        out.setdefault(f["style"], []).append((c, p, r["truth"]))
    return out


def test_portraits_follow_drawings_of_every_style_wherever_they_are(session):
    """The guided generator draws what was drawn, in every style, framed anywhere. Measured when it shipped
    (session 11): mean chamfer 0.43 px on adventurer faces, 0.80-1.73 on the other training styles, 1.24 on
    toon-head (never trained on), diversity 0.72; the generator before it: 1.06, 2.19-3.15 and 2.41."""
    by_style = styles_fixture_portraits(session, sumi.Graph.load(str(GRAPHS / "deepfacedrawing.sumi.json")))
    assert "toon-head" in by_style and len(by_style) >= 6
    chamfers = {style: float(np.mean([c for c, _, _ in v])) for style, v in by_style.items()}
    assert chamfers["toon-head"] <= 1.6, chamfers
    assert max(chamfers.values()) <= 2.0, chamfers
    # Different drawings of the held-out style give different portraits (1 = as varied as the true faces).
    portraits = [p for _, p, _ in by_style["toon-head"]]
    truths = [t for _, _, t in by_style["toon-head"]]
    def spread(images):
        return np.mean([np.abs(a - b).mean() for i, a in enumerate(images) for b in images[i + 1:]])
    assert spread(portraits) >= 0.5 * spread(truths)


def test_the_guided_generator_needs_the_sketch(session):
    """Without its `sketch` input the shipped (guided) generator is a clear error naming the port."""
    m = json.loads((SYNTH_DIR / "manifest.json").read_text())
    assert m["guide"]["size"] == m["size"]
    g = sumi.Graph.load(str(GRAPHS / "deepfacedrawing.sumi.json"))
    g.unlink("portrait.sketch")
    with pytest.raises(sumi.Error, match="sketch"):
        session.run(g, outputs=["portrait"])

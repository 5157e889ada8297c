"""face.locate and face.warp through the Python API: the node's geometry is
exact (a locator that answers a fixture face's true outputs gives back its
true part centres and frame), the shipped locator finds the parts of the
multi-style fixture faces (held-out style included), and a portrait lands
where the face was drawn."""
import hashlib
import json
import math
import pathlib
import sys

import numpy as np
import pytest
import torch

import sumi

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "models" / "locate"))
from prepare import targets  # noqa: E402
from locate_model import OUTPUTS  # noqa: E402

FIXTURE = ROOT / "models" / "data" / "fixture_styles"
SHIPPED = ROOT / "models" / "locate" / "manifest.json"
PARTS = ["left_eye", "right_eye", "nose", "mouth"]


def fixture_faces():
    return [json.loads(l) for l in (FIXTURE / "manifest.jsonl").read_text().splitlines() if l.strip()]


def locate(session, sketch, manifest=None, previous=None, **params):
    g = sumi.Graph(name="locate")
    g.add_node("load", "io.load_image", channels="gray", path=str(sketch))
    g.add_node("locate", "face.locate", **params)
    if manifest:
        g.set_param("locate", "manifest", str(manifest))
    g.link("load.image", "locate.sketch")
    g.set_output("frame", "locate.frame")
    return session.run(g, inputs={"locate.previous": previous} if previous else None)


def image_point(frame, cx, cy):
    (a, b, c), (d, e, f) = frame["matrix"]
    return a * cx + b * cy + c, d * cx + e * cy + f


class Answer(torch.nn.Module):
    """A locator that answers fixed outputs whatever it is shown: tests the node's maths alone."""

    def __init__(self, out):
        super().__init__()
        self.register_buffer("out", torch.tensor([out], dtype=torch.float32))

    def forward(self, x):
        return self.out + 0.0 * x.mean()


@pytest.mark.parametrize("index", [0, 1, 2, 3])
def test_the_nodes_geometry_is_exact(tmp_path, index):
    face = fixture_faces()[index]
    shipped = json.loads(SHIPPED.read_text())
    shipped.pop("refiner", None)  # the locator's maths alone (the refiner's: test_the_refiners_geometry_is_exact)
    torch.jit.script(Answer(targets(face))).save(str(tmp_path / "answer.pt"))
    shipped["locator"]["file"] = "answer.pt"
    shipped["locator"]["sha256"] = hashlib.sha256((tmp_path / "answer.pt").read_bytes()).hexdigest()  # checked on load
    (tmp_path / "manifest.json").write_text(json.dumps(shipped))
    frame = locate(sumi.Session(), FIXTURE / face["files"]["sketch"], tmp_path / "manifest.json", snap=0, passes=1, canonical_snap=0).outputs["frame"]
    assert frame["located"] and frame["size"] == (face["size"], face["size"])
    for p in PARTS:
        x, y = image_point(frame, *frame["parts"][p][:2])
        assert math.hypot(x - face["points"][p][0], y - face["points"][p][1]) < 0.01, p
        w, h = frame["parts"][p][2:]
        x0, y0, x1, y1 = face["boxes_canonical"][p]
        assert abs(w - (x1 - x0)) < 0.01 and abs(h - (y1 - y0)) < 0.01
    np.testing.assert_allclose(np.array(frame["matrix"]), np.array(face["frame"]["matrix"]), atol=2e-3)
    assert abs(frame["rotation_deg"] - face["frame"]["rotation_deg"]) < 1e-3
    # With the default snapping the frame moves in steps of about 2 px at the head outline.
    snapped = locate(sumi.Session(), FIXTURE / face["files"]["sketch"], tmp_path / "manifest.json", passes=1, canonical_snap=0).outputs["frame"]
    for p in PARTS:
        x, y = image_point(snapped, *snapped["parts"][p][:2])
        assert math.hypot(x - face["points"][p][0], y - face["points"][p][1]) < 3.5, p
    assert abs(snapped["rotation_deg"] - face["frame"]["rotation_deg"]) <= 0.5 * math.degrees(2 / 85) + 1e-6


def test_a_locator_answering_nonsense_is_a_clear_error(tmp_path):
    shipped = json.loads(SHIPPED.read_text())
    shipped.pop("refiner", None)
    torch.jit.script(Answer([float("nan")] * OUTPUTS)).save(str(tmp_path / "nan.pt"))
    shipped["locator"]["file"] = "nan.pt"
    shipped["locator"]["sha256"] = hashlib.sha256((tmp_path / "nan.pt").read_bytes()).hexdigest()  # checked on load
    (tmp_path / "manifest.json").write_text(json.dumps(shipped))
    face = fixture_faces()[0]
    with pytest.raises(sumi.Error, match=r"node 'locate' \(face.locate\).*nan.pt gave no usable frame"):
        locate(sumi.Session(), FIXTURE / face["files"]["sketch"], tmp_path / "manifest.json")


def test_shipped_files_match_the_manifest():
    import hashlib
    m = json.loads(SHIPPED.read_text())
    assert m["format"] == "sumi.models" and m["locator"]["outputs"] == OUTPUTS
    assert hashlib.sha256((SHIPPED.parent / m["locator"]["file"]).read_bytes()).hexdigest() == m["locator"]["sha256"]
    assert hashlib.sha256((SHIPPED.parent / m["refiner"]["file"]).read_bytes()).hexdigest() == m["refiner"]["sha256"]
    assert m["data"]["heldout_style"] not in m["data"]["styles"], "the held-out style was never trained on"


def test_the_shipped_locator_finds_fixture_faces_of_every_style():
    """An accuracy floor (the full distribution is in models/locate/README.md): the
    worst part centre of a complete fixture drawing within 8 px at 256 for 80 % of
    the training styles' faces and for half of the held-out style's (a style the
    locator never saw; measured on 300 faces: about three quarters)."""
    session = sumi.Session()
    worst = {"train styles": [], "held-out style": []}
    for face in fixture_faces():
        frame = locate(session, FIXTURE / face["files"]["sketch"], snap=0, canonical_snap=0).outputs["frame"]
        e = max(math.hypot(*np.subtract(image_point(frame, *frame["parts"][p][:2]), face["points"][p])) for p in PARTS)
        worst["held-out style" if face["split"] == "heldout" else "train styles"].append(e * 256 / face["size"])
    for group, floor in (("train styles", 0.8), ("held-out style", 0.5)):
        errs = worst[group]
        assert errs, group
        assert np.mean(np.array(errs) <= 8) >= floor, f"{group}: worst part-centre errors {np.round(errs, 1)}"


def strokes_moved(path, scale, dx, dy):
    doc = json.loads(pathlib.Path(path).read_text())
    for s in doc["strokes"]:
        s["width"] = s.get("width", 3) * scale
        for p in s["points"]:
            p[0], p[1] = p[0] * scale + dx, p[1] * scale + dy
    return doc


def ink_centre(img):
    ink = 1.0 - img.mean(axis=0)
    ys, xs = np.nonzero(ink > 0.1)
    return xs.mean() / img.shape[2], ys.mean() / img.shape[1]


def test_a_face_drawn_small_in_a_corner_gets_its_portrait_in_that_corner(root):
    example = root / "examples" / "cartoon_face.strokes.json"
    canvas = json.loads(example.read_text())["canvas"]
    doc = strokes_moved(example, 0.45, 0.04 * canvas[0], 0.05 * canvas[1])
    r = sumi.Session().run(root / "graphs" / "deepfacedrawing.sumi.json", inputs={"draw": doc})
    portrait, sketch = r.outputs["portrait"][0], r.outputs["sketch"][0]
    assert portrait.shape[-2:] == (128, 128)
    px, py = ink_centre(portrait)
    sx, sy = ink_centre(sketch)
    assert abs(px - sx) < 0.08 and abs(py - sy) < 0.08, (px, py, sx, sy)
    assert portrait[:, 80:, 80:].min() > 0.97, "paper outside the drawn face"


def test_an_empty_drawing_gives_the_canonical_frame_and_a_warning(root, cli, tmp_path):
    empty = {"format": "sumi.strokes", "version": 1, "canvas": [512, 512], "strokes": []}
    r = sumi.Session().run(root / "graphs" / "deepfacedrawing.sumi.json", inputs={"draw": empty})
    assert any(w.startswith("locate (face.locate): the drawing is empty") for w in r.warnings), r.warnings
    assert r.outputs["portrait"].shape[-2:] == (128, 128)
    (tmp_path / "empty.strokes.json").write_text(json.dumps(empty))
    import subprocess
    p = subprocess.run([cli, "run", str(root / "graphs" / "deepfacedrawing.sumi.json"), "--in",
                        f"draw={tmp_path / 'empty.strokes.json'}", "--out", str(tmp_path / "out")],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "sumi: warning: node 'locate' (face.locate): the drawing is empty" in p.stderr


# ---- the refiner: face.locate's third look (models/locate/prepare_refine.py) ----------------

from prepare_refine import CROP, crop_targets, crop_window, locate_warp_graph  # noqa: E402


class Centroid(torch.nn.Module):
    """A refiner answering the crop's ink centroid for every point: its answer depends on every pixel it is shown."""

    def forward(self, x):
        ink = 1.0 - x[0, 0]
        n = x.shape[-1]
        grid = (torch.arange(n, dtype=torch.float32) + 0.5) / n
        total = ink.sum() + 1e-6
        cx, cy = (ink.sum(0) * grid).sum() / total, (ink.sum(1) * grid).sum() / total
        return torch.stack([cx, cy] * 5)[None]


def with_refiner(tmp_path, module, locator_out=None, **refiner):
    shipped = json.loads(SHIPPED.read_text())
    shipped["locator"]["file"] = str(SHIPPED.parent / shipped["locator"]["file"])  # the manifest is written elsewhere
    if locator_out is not None:
        torch.jit.script(Answer(locator_out)).save(str(tmp_path / "answer.pt"))
        shipped["locator"]["file"] = "answer.pt"
        shipped["locator"]["sha256"] = hashlib.sha256((tmp_path / "answer.pt").read_bytes()).hexdigest()
    torch.jit.script(module).save(str(tmp_path / "refiner.pt"))
    shipped["refiner"] = dict({"file": "refiner.pt", "input_size": CROP[2], "crop": list(CROP), "max_shift": 16,
                               "sha256": hashlib.sha256((tmp_path / "refiner.pt").read_bytes()).hexdigest()}, **refiner)
    (tmp_path / "manifest.json").write_text(json.dumps(shipped))
    return tmp_path / "manifest.json"


@pytest.mark.parametrize("passes", [2, 1])
def test_the_refiner_sees_what_its_training_crops_show(tmp_path, passes):
    """The pixels face.locate gives its refiner are prepare_refine.py's training crops (--passes as the node's
    `passes`): a refiner answering its input's ink centroid gives the part centres computed from the training crop."""
    face = fixture_faces()[5]
    manifest = with_refiner(tmp_path, Centroid(), max_shift=256)
    session = sumi.Session()
    sketch = FIXTURE / face["files"]["sketch"]
    frame = locate(session, sketch, manifest, snap=0, canonical_snap=0, passes=passes).outputs["frame"]
    g = locate_warp_graph(passes=passes)
    g.set_param("locate", "manifest", str(manifest))
    g.set_param("src", "path", str(sketch))
    r = session.run(g)
    assert r.outputs["frame"]["matrix"] == frame["matrix"], "the refiner (head off) leaves the frame as located"
    crop = crop_window(r.outputs["canonical"], r.outputs["frame"]["canonical"])
    cx, cy = Centroid()(torch.from_numpy(np.ascontiguousarray(crop))[None, None])[0, :2].tolist()
    for p in PARTS:
        assert frame["parts"][p][0] == pytest.approx(CROP[0] + cx * CROP[2], abs=1e-3), p
        assert frame["parts"][p][1] == pytest.approx(CROP[1] + cy * CROP[2], abs=1e-3), p
    unrefined = locate(session, sketch, manifest, snap=0, canonical_snap=0, refine=False, passes=passes).outputs["frame"]
    assert unrefined["parts"]["mouth"][:2] != frame["parts"]["mouth"][:2]


@pytest.mark.parametrize("index", [0, 7])
def test_the_refiners_geometry_is_exact(tmp_path, index):
    """A locator a few pixels off and a refiner answering the truth in its crop give the true part
    centres and frame; a refined point moving more than max_shift is ignored; refine=False ignores it."""
    face = fixture_faces()[index]
    truth = targets(face)
    off = list(truth)
    for i in range(5, 15):
        off[i] += 3.0 / face["size"]  # every point 3 px right and down ...
    off[0], off[1] = off[13], off[14]  # ... the frame's centre (the head point) with them
    (a, b, c), (d, e, f) = face["frame"]["matrix"]
    shifted = {"matrix": [[a, b, c + 3.0], [d, e, f + 3.0]], "canonical": 256, "size": [face["size"]] * 2}
    answer = crop_targets(shifted, face)[5:15].tolist()
    manifest = with_refiner(tmp_path, Answer(answer), locator_out=off, head=True)
    session = sumi.Session()
    sketch = FIXTURE / face["files"]["sketch"]
    frame = locate(session, sketch, manifest, snap=0, passes=1, canonical_snap=0).outputs["frame"]
    for p in PARTS:
        x, y = image_point(frame, *frame["parts"][p][:2])
        assert math.hypot(x - face["points"][p][0], y - face["points"][p][1]) < 0.01, p
    np.testing.assert_allclose(np.array(frame["matrix"]), np.array(face["frame"]["matrix"]), atol=2e-3)
    for kw in ({"refine": False}, {}):
        if not kw:  # a refiner sending every point 40 canonical px away is not followed
            far = [v + (40 / CROP[2] if i % 2 == 0 else 0) for i, v in enumerate(answer)]
            manifest = with_refiner(tmp_path, Answer(far), locator_out=off, head=True)
        kept = locate(sumi.Session(), sketch, manifest, snap=0, passes=1, canonical_snap=0, **kw).outputs["frame"]
        x, y = image_point(kept, *kept["parts"]["nose"][:2])
        assert math.hypot(x - face["points"]["nose"][0] - 3, y - face["points"]["nose"][1] - 3) < 0.01
        assert kept["matrix"][0][2] == pytest.approx(face["frame"]["matrix"][0][2] + 3, abs=2e-3)


def test_a_bad_refiner_entry_is_a_clear_error(tmp_path):
    face = fixture_faces()[0]
    manifest = with_refiner(tmp_path, Centroid(), crop=[200, 86, 128])
    with pytest.raises(sumi.Error, match=r"manifest.json.*refiner.crop must be \[x0, y0, side\] inside the canonical frame"):
        locate(sumi.Session(), FIXTURE / face["files"]["sketch"], manifest)


def answering_manifest(tmp_path, face):
    """The shipped manifest with a locator answering `face`'s true outputs (no refiner)."""
    shipped = json.loads(SHIPPED.read_text())
    shipped.pop("refiner", None)
    torch.jit.script(Answer(targets(face))).save(str(tmp_path / "answer.pt"))
    shipped["locator"]["file"] = "answer.pt"
    shipped["locator"]["sha256"] = hashlib.sha256((tmp_path / "answer.pt").read_bytes()).hexdigest()
    (tmp_path / "manifest.json").write_text(json.dumps(shipped))
    return tmp_path / "manifest.json"


def same(a, b):
    """Equal as documents (a Frame comes back with tuples where one was fed lists)."""
    return json.dumps(a) == json.dumps(b)


def moved(frame, dx, parts_dx=0.0):
    """A copy of `frame` moved dx image px to the right, its part boxes where they were on the image and
    then parts_dx canonical px to the right."""
    (a, b, c), (d, e, f) = frame["matrix"]
    det = a * e - b * d
    ux, uy = e * dx / det, -d * dx / det  # the move in canonical px
    parts = {p: (box[0] - ux + parts_dx, box[1] - uy) + tuple(box[2:]) for p, box in frame["parts"].items()}
    return dict(frame, matrix=[[a, b, c + dx], [d, e, f]], parts=parts)


def test_a_previous_frame_is_kept_while_the_face_barely_moves(tmp_path):
    """face.locate's `previous` input (the editor feeds the last answer): a new frame whose head outline
    is within `hold` px (at 256) of the previous one gives the previous frame exactly, and the part boxes
    that moved less than `hold` too; beyond it, or with hold 0, the new frame."""
    face = fixture_faces()[2]
    manifest = answering_manifest(tmp_path, face)
    sketch = FIXTURE / face["files"]["sketch"]
    session = sumi.Session()
    plain = dict(manifest=manifest, snap=0, passes=1, canonical_snap=0)
    exact = locate(session, sketch, **plain).outputs["frame"]
    px = face["size"] / 256.0  # image px per px at 256
    near = moved(exact, 3 * px, parts_dx=1.5)
    kept = locate(session, sketch, previous=near, **plain).outputs["frame"]
    assert same(kept["matrix"], near["matrix"]) and same(kept["parts"], near["parts"])
    # the mouth moved 6 px since: the frame is kept, the mouth box is new (in the kept frame)
    far_mouth = dict(near, parts=dict(near["parts"], mouth=(near["parts"]["mouth"][0] + 6,) + near["parts"]["mouth"][1:]))
    r = locate(session, sketch, previous=far_mouth, **plain)
    assert same(r.outputs["frame"]["matrix"], near["matrix"]) and same(r.outputs["frame"]["parts"]["nose"], near["parts"]["nose"])
    x, y = image_point(r.outputs["frame"], *r.outputs["frame"]["parts"]["mouth"][:2])
    assert math.hypot(x - face["points"]["mouth"][0], y - face["points"]["mouth"][1]) < 0.01
    assert r.node("locate")["status"] == "computed", "the previous frame is part of the node's cache key"
    for previous, params in ((moved(exact, 6 * px), {}), (near, {"hold": 0}),
                             (dict(near, size=(face["size"] * 2, face["size"] * 2)), {}),
                             (dict(near, located=False), {})):
        fresh = locate(session, sketch, previous=previous, **plain, **params).outputs["frame"]
        np.testing.assert_allclose(np.array(fresh["matrix"]), np.array(exact["matrix"]), atol=1e-9)
    # the rotation counts too: turned about the head centre, the outline (85 canonical px out) moves 3 / 6 px
    radius = 85 * exact["scale"] / px  # px at 256
    for move, held in ((3.0, True), (6.0, False)):
        t = 2 * math.asin(move / (2 * radius))
        (a, b, c), (d, e, f) = exact["matrix"]
        hx, hy = image_point(exact, 132.5, 130.0)
        rot = [[math.cos(t) * a - math.sin(t) * d, math.cos(t) * b - math.sin(t) * e, 0],
               [math.sin(t) * a + math.cos(t) * d, math.sin(t) * b + math.cos(t) * e, 0]]
        for row, centre in zip(rot, (hx, hy)):  # keep the head centre where it is
            row[2] = centre - row[0] * 132.5 - row[1] * 130.0
        out = locate(session, sketch, previous=dict(exact, matrix=rot), **plain).outputs["frame"]
        assert same(out["matrix"], rot) == held, move


def test_a_previous_frame_must_be_a_frame(tmp_path):
    face = fixture_faces()[0]
    with pytest.raises(sumi.Error, match=r"locate.*previous"):
        locate(sumi.Session(), FIXTURE / face["files"]["sketch"], previous={"matrix": "x"})


def manifest_with(tmp_path, name, refiner=None, **locator):
    """A copy of the shipped manifest in tmp_path (its networks named by absolute path) with `locator` fields
    (and `refiner` fields) set."""
    m = json.loads(SHIPPED.read_text())
    for section in ("locator", "refiner"):
        m[section]["file"] = str(SHIPPED.parent / m[section]["file"])
    m["locator"].update(locator)
    m["refiner"].update(refiner or {})
    (tmp_path / name).write_text(json.dumps(m))
    return tmp_path / name


def test_optimize_for_inference_finds_the_same_faces(tmp_path):
    """The manifest's opt-in to torch.jit.optimize_for_inference (weights prepacked for this CPU) changes the
    networks' outputs by float rounding only: the located frames and parts agree to a twentieth of a pixel
    (three looks, each in the frame of the one before, compound the rounding)."""
    session = sumi.Session()
    plain = manifest_with(tmp_path, "plain.json", optimize_for_inference=False)
    rewritten = manifest_with(tmp_path, "rewritten.json", optimize_for_inference=True)
    for face in fixture_faces()[:6]:
        a, b = (locate(session, FIXTURE / face["files"]["sketch"], m, snap=0, canonical_snap=0).outputs["frame"]
                for m in (plain, rewritten))
        assert np.allclose(np.array(a["matrix"]), np.array(b["matrix"]), atol=5e-2)
        for p in PARTS:
            assert np.allclose(a["parts"][p][:2], b["parts"][p][:2], atol=5e-2), (face["id"], p)


def test_a_bad_optimize_for_inference_entry_is_a_clear_error(tmp_path):
    face = fixture_faces()[0]
    manifest = manifest_with(tmp_path, "bad.json", optimize_for_inference="yes")
    with pytest.raises(sumi.Error, match=r"bad.json.*malformed locator manifest.*boolean"):
        locate(sumi.Session(), FIXTURE / face["files"]["sketch"], manifest)


def test_the_looks_default_to_those_the_refiner_was_trained_after(tmp_path):
    """face.locate's default `passes` (0) is the manifest refiner's "passes" (the looks its training crops were
    cut after, prepare_refine.py --passes): a graph swapping in another manifest gets the looks its refiner
    expects. Without the refiner (refine off) it is 2; an explicit `passes` wins; a bad entry is a clear error."""
    session = sumi.Session()
    differs = 0
    for face in fixture_faces()[:4]:
        sketch = FIXTURE / face["files"]["sketch"]
        for trained in (1, 2):
            m = manifest_with(tmp_path, f"passes{trained}.json", refiner={"passes": trained})
            look = {n: locate(session, sketch, m, snap=0, canonical_snap=0, passes=n).outputs["frame"] for n in (1, 2)}
            default = locate(session, sketch, m, snap=0, canonical_snap=0).outputs["frame"]
            assert same(default, look[trained]), (face["id"], trained)
            differs += not same(look[1], look[2])
            unrefined = locate(session, sketch, m, snap=0, canonical_snap=0, refine=False).outputs["frame"]
            assert same(unrefined, locate(session, sketch, m, snap=0, canonical_snap=0, refine=False,
                                          passes=2).outputs["frame"])
    assert differs, "one look and two gave the same frames: the test shows nothing"
    bad = manifest_with(tmp_path, "bad.json", refiner={"passes": 3})
    with pytest.raises(sumi.Error, match=r"bad.json.*refiner.*passes"):
        locate(session, FIXTURE / fixture_faces()[0]["files"]["sketch"], bad)

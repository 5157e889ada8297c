"""The framing evaluation (models/synth/framing.py, issue 17): its jitter moves a sketch and its colour
truth together, by the stated pixels, with paper white outside; held-out faces come from a multi-style
manifest's "heldout" split; the diversity measure; the framing.md writer keeps what it does not own;
and every portrait graph in graphs/ is found, with simulated hints for its hint nodes and layer mixing off."""
import json
import math
import pathlib
import sys

import numpy as np
import pytest
import torch

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "models" / "synth"))
import framing  # noqa: E402


def ink_centre(img, scale=1.0):
    """(x, y) centre of the ink (weighted by darkness) of a 1 x C x H x W image, in pixels of an image
    `scale` times as large (pixel centres at +0.5)."""
    ink = 1 - img[0, 0]
    ys, xs = torch.meshgrid(torch.arange(ink.shape[0]), torch.arange(ink.shape[1]), indexing="ij")
    centre = np.array([(ink * xs).sum().item(), (ink * ys).sum().item()]) / ink.sum().item()
    return (centre + 0.5) * scale - 0.5


def dot_pair():
    """A 256 px sketch and a 128 px truth with one dark square at the same place."""
    sketch, truth = torch.ones(1, 1, 256, 256), torch.ones(1, 3, 128, 128)
    sketch[..., 96:104, 160:168] = 0
    truth[..., 48:52, 80:84] = 0
    return sketch, truth


@pytest.mark.parametrize("move", [dict(shift=32, direction=0.7), dict(scale=1.25), dict(scale=0.75),
                                  dict(degrees=-10), dict(shift=32, scale=0.75, degrees=10, direction=4.0)])
def test_jitter_moves_sketch_and_truth_together(move):
    sketch, truth = dot_pair()
    assert np.allclose(ink_centre(sketch), ink_centre(truth, 2))
    a, b = ink_centre(framing.jitter(sketch, **move)), ink_centre(framing.jitter(truth, **move), 2)
    assert np.allclose(a, b, atol=0.5), (a, b)
    assert np.abs(a - ink_centre(sketch)).max() > 2


def test_jitter_shifts_by_the_stated_pixels_and_fills_paper_white():
    sketch, truth = dot_pair()
    moved = framing.jitter(sketch, shift=32, direction=math.pi / 2)  # down
    assert np.allclose(ink_centre(moved) - ink_centre(sketch), [0, 32], atol=0.1)
    right = framing.jitter(truth, shift=32, direction=0)
    assert np.allclose(ink_centre(right) - ink_centre(truth), [16, 0], atol=0.1)  # 32 px at 256 = 16 at 128
    small = framing.jitter(torch.zeros(1, 3, 128, 128), scale=0.5)
    assert small[..., :10, :10].min() == 1 and small[..., 60:68, 60:68].max() == 0
    assert framing.jitter(sketch) is sketch


def test_every_face_moves_the_same_way_in_every_condition():
    assert framing.face_motion(7) == framing.face_motion(7)
    assert {framing.face_motion(i)[1] for i in range(20)} == {-1.0, 1.0}
    names = [j[1] for j in framing.JITTERS]
    assert names[0] == "as generated" and len(set(names)) == len(names)
    assert all("," not in j[0] for j in framing.JITTERS)  # picture labels are comma-separated


def test_diversity_is_the_mean_pairwise_l1():
    a, b, c = torch.zeros(1, 3, 4, 4), torch.ones(1, 3, 4, 4), torch.full((1, 3, 4, 4), 0.5)
    assert framing.diversity([a, a, a]) == 0
    assert framing.diversity([a, b, c]) == pytest.approx((1 + 0.5 + 0.5) / 3)


def heldout_folder(tmp_path, splits):
    """A multi-style data set built from the fixture faces: one manifest line per (style, split)."""
    fixture = ROOT / "models" / "data" / "fixture"
    faces = [json.loads(line) for line in (fixture / "manifest.jsonl").read_text().splitlines() if line.strip()]
    lines = []
    for face, (style, split) in zip(faces, splits):
        files = {k: str(fixture / face["files"][k]) for k in ("color", "sketch")}  # absolute paths join as-is
        lines.append(json.dumps({"style": style, "split": split, "files": files}))
    (tmp_path / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    return tmp_path


def test_heldout_faces_are_read_per_style_at_the_evaluation_sizes(tmp_path, session):
    folder = heldout_folder(tmp_path, [("a", "train"), ("b", "heldout"), ("c", "heldout"), ("b", "heldout"),
                                       ("b", "test")])
    conditions = framing.heldout_conditions(session, folder, count=10)
    assert [(c[0], len(c[2])) for c in conditions] == [("b", 2), ("c", 1)]
    seed, sketch, truth = conditions[0][2][0]
    assert seed == 1 and [s for s, _, _ in conditions[0][2]] == [1, 3]
    assert sketch.shape == (1, 1, 256, 256) and truth.shape == (1, 3, 128, 128)
    assert 0 <= truth.min() and truth.max() <= 1 and (sketch < 0.5).any()
    assert len(framing.heldout_conditions(session, folder, count=1)[0][2]) == 1


def test_a_folder_without_heldout_faces_is_a_clear_error(tmp_path, session):
    folder = heldout_folder(tmp_path, [("a", "train"), ("a", "test")])
    with pytest.raises(SystemExit, match="no faces with \"split\": \"heldout\""):
        framing.heldout_conditions(session, folder, count=10)
    with pytest.raises(SystemExit, match="no manifest.jsonl and no faces"):
        framing.heldout_conditions(session, tmp_path / "missing", count=10)


def test_a_data_set_still_being_generated_is_read_from_its_face_files(tmp_path, session):
    lines = heldout_folder(tmp_path, [("a", "heldout")] * 12).joinpath("manifest.jsonl").read_text().splitlines()
    (tmp_path / "manifest.jsonl").unlink()
    for i in (11, 2, 10):  # done out of order; face 10 sorts after face 2
        (tmp_path / "faces" / f"{i:05d}").mkdir(parents=True)
        (tmp_path / "faces" / f"{i:05d}" / "face.json").write_text(lines[i])
    assert [f["files"] for f in framing.manifest(tmp_path)] == [json.loads(lines[i])["files"] for i in (2, 10, 11)]
    assert len(framing.heldout_conditions(session, tmp_path, count=10)[0][2]) == 3


def test_a_run_replaces_only_its_own_section(tmp_path):
    page = tmp_path / "framing.md"
    framing.write_section(page, "before", "old before rows")
    page.write_text(page.read_text() + "\nWhat the picture shows: hand-written.\n")
    framing.write_section(page, "after", "after rows")
    framing.write_section(page, "before", "new before rows")
    text = page.read_text()
    assert text.startswith("# Portraits under framing jitter")
    assert "new before rows" in text and "old before rows" not in text and "after rows" in text
    assert "hand-written" in text and text.index("new before rows") < text.index("after rows")


def test_every_portrait_graph_is_found_with_its_hint_nodes_and_no_mixing(session):
    graphs = framing.portrait_graphs(ROOT / "graphs")
    assert {"deepfacedrawing", "sketch2anime + hints", "anifacedrawing"} <= set(graphs)
    assert graphs["sketch2anime + hints"][1] == ["hints"] and graphs["deepfacedrawing"][1] == []
    for name, (g, _) in graphs.items():
        assert all(n["params"]["strength"] == 0 for n in g.nodes.values() if n["type"] == "latent.mix_layers")
    truth = torch.full((1, 3, 128, 128), 0.3)
    feed = framing.simulated_hints(session, truth, seed=1, count=4, hint_nodes=["hints"])
    assert set(feed) == {"hints.hints", "hints.mask"} and feed["hints.mask"].max() > 0.5
    assert framing.simulated_hints(session, truth, seed=1, count=4, hint_nodes=[]) == {}


def test_heldout_faces_with_a_recorded_frame_are_also_moved_back_to_the_canonical_frame(tmp_path, session):
    import sumi
    fixture = ROOT / "models" / "data" / "fixture"
    face = json.loads((fixture / "manifest.jsonl").read_text().splitlines()[0])
    frame = framing.jitter_matrix(shift=20, scale=0.8, degrees=12, direction=2.0)  # framed px -> canonical px
    save = sumi.Graph(name="framed")
    save.add_node("img", "io.load_image")
    save.add_node("save", "io.save_image")
    save.link("img.image", "save.image")
    canonical = {}
    for kind, channels in (("sketch", "gray"), ("color", "rgb")):
        load = sumi.Graph(name="load")
        load.add_node("img", "io.load_image", channels=channels, path=str(fixture / face["files"][kind]))
        load.set_output("img", "img.image")
        canonical[kind] = torch.from_numpy(session.run(load).outputs["img"].copy())
        save.set_param("save", "path", str(tmp_path / f"{kind}.png"))
        session.run(save, inputs={"img": framing.warp(canonical[kind], frame).numpy()})
    record = {"style": "x", "split": "heldout", "size": 256, "files": {"sketch": "sketch.png", "color": "color.png"},
              "frame": {"matrix": np.linalg.inv(frame)[:2].tolist()}}  # canonical px -> framed px, as generated
    (tmp_path / "manifest.jsonl").write_text(json.dumps(record) + "\n")
    conditions = framing.heldout_conditions(session, tmp_path, count=5)
    assert [c[0] for c in conditions] == ["x", "x canon"] and all("," not in c[0] for c in conditions)
    (_, framed, _), (_, back, back_truth) = conditions[0][2][0], conditions[1][2][0]
    assert np.abs(ink_centre(framed) - ink_centre(canonical["sketch"])).max() > 10
    assert np.allclose(ink_centre(back), ink_centre(canonical["sketch"]), atol=0.5)
    assert np.allclose(ink_centre(back_truth, 2), ink_centre(canonical["color"]), atol=1.0)


def test_the_page_names_folders_without_this_machines_paths(tmp_path):
    """framing.md is committed: the run's folders are written relative to the repository or the home folder."""
    assert framing.shown(framing.ROOT / "graphs") == "graphs/"
    assert framing.shown(pathlib.Path.home() / "sumi-data" / "styles256_v2") == "~/sumi-data/styles256_v2"
    assert framing.shown("~/x") == "~/x"

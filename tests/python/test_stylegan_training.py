"""AniFaceDrawing's training code (models/stylegan): the shipped networks can be
read back into trainable modules, the edge loss sees lines and not flat colour,
and both training stages start from the shipped weights, take a few steps and
export models the engine accepts."""
import json
import pathlib
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

ROOT = pathlib.Path(__file__).resolve().parents[2]
STYLEGAN = ROOT / "models" / "stylegan"
sys.path.insert(0, str(STYLEGAN))
from stylegan_model import edge_loss, load_exported  # noqa: E402


@pytest.fixture(scope="module")
def shipped():
    nets = load_exported(STYLEGAN)
    for k in ("synthesis", "image_encoder", "sketch_encoder", "mapping"):
        nets[k].eval()
    return nets


def test_exported_networks_load_back_with_the_same_outputs(shipped):
    torch.manual_seed(0)
    sketch = (torch.rand(1, 1, 128, 128) > 0.05).float()
    image = torch.rand(1, 3, 128, 128)
    with torch.no_grad():
        for role, x in (("sketch_encoder", sketch), ("image_encoder", image), ("mapping", torch.randn(1, 128))):
            scripted = torch.jit.load(str(STYLEGAN / shipped["manifest"][role]))
            assert torch.allclose(shipped[role](x), scripted(x), atol=1e-5), role
        ws = shipped["sketch_encoder"](sketch)
        scripted = torch.jit.load(str(STYLEGAN / shipped["manifest"]["synthesis"]))
        inputs = (ws, sketch) if "guide" in shipped["manifest"] else (ws,)  # a synthesis that follows the sketch
        assert torch.allclose(shipped["synthesis"](*inputs), scripted(*inputs), atol=1e-5)  # noise frozen the same way


def test_edge_loss_sees_lines_not_flat_colour():
    face = torch.full((1, 3, 32, 32), 0.8)
    face[:, :, 10:22, 15] = 0.0  # a dark line
    shifted = face.roll(3, dims=3)
    assert edge_loss(face, face).item() == 0.0
    assert edge_loss(face + 0.1, face).item() < 1e-6  # a flat colour change has no gradient
    assert edge_loss(shifted, face).item() > 0.01
    assert edge_loss(torch.full_like(face, 0.8), face).item() > 0.005  # a face without the line


def test_a_missing_or_foreign_init_folder_is_one_clear_error(tmp_path):
    colours = tmp_path / "colours.npz"
    np.savez(colours, colours=np.zeros((2, 128, 128, 3), np.uint8), ids=np.arange(2), split=np.zeros(2, np.uint8))
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "manifest.json").write_text(json.dumps({"size": 128, "w_dim": 256, "synthesis": "x.pt"}))
    for init, words in ((tmp_path / "nowhere", "not a readable StyleGAN manifest"), (tmp_path / "foreign", "x.pt")):
        r = subprocess.run([sys.executable, str(STYLEGAN / "train_teacher.py"), "--colours", str(colours), "--out",
                            str(tmp_path / "work"), "--init", str(init), "--max-steps", "1"],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode != 0 and "Traceback" not in r.stderr, r.stderr
        assert "train: error: --init" in r.stderr and words in r.stderr, r.stderr


def _write_pack(tmp_path):
    """tmp_path/pack.npz: the fixture faces as one canonical pack (sketches, colours, ids, split)."""
    _write_fixture_arrays(tmp_path)
    sk, co = np.load(tmp_path / "sketches.npz"), np.load(tmp_path / "colours.npz")
    np.savez(tmp_path / "pack.npz", sketches=sk["sketches"], colours=co["colours"], ids=sk["ids"], split=sk["split"])


def _train_colour(tmp_path, out, *args):
    """train_guided.py on tmp_path/pack.npz: the image encoder alone, with the graph's mixing and the fixture's
    hair and skin colours; returns the log."""
    return _run(STYLEGAN / "train_guided.py", "--data", tmp_path / "pack.npz", "--out", tmp_path / out,
                "--threads", 1, "--batch", 4, "--mix-from", 4, "--image-encoder-only",
                "--hair-data", ROOT / "models" / "data" / "fixture", *args)


def _write_fixture_arrays(tmp_path):
    """The 32 fixture faces as prepare.py's arrays (sketches 256 px, colours 128 px), through Sumi's nodes."""
    sumi = pytest.importorskip("sumi")
    faces = sorted((ROOT / "models" / "data" / "fixture" / "faces").iterdir())
    g = sumi.Graph(name="fixture_arrays")
    g.add_node("c", "io.load_image", channels="rgb")
    g.add_node("small", "image.resize", width=128, height=128, interpolation="area")
    g.link("c.image", "small.image")
    g.add_node("s", "io.load_image", channels="gray")
    g.set_output("colour", "small.image")
    g.set_output("sketch", "s.image")
    session = sumi.Session()
    colours, sketches = [], []
    for f in faces:
        r = session.run(g, inputs={"c": str(f / "color.png"), "s": str(f / "sketch.png")})
        colours.append((np.asarray(r.outputs["colour"])[0].transpose(1, 2, 0) * 255).round().astype(np.uint8))
        sketches.append((np.asarray(r.outputs["sketch"])[0, 0] * 255).round().astype(np.uint8))
    ids = np.arange(len(faces), dtype=np.int32)
    split = np.zeros(len(faces), dtype=np.uint8)
    split[-4:] = 1  # a few validation faces
    np.savez(tmp_path / "colours.npz", colours=np.stack(colours), ids=ids, split=split)
    np.savez(tmp_path / "sketches.npz", sketches=np.stack(sketches), ids=ids, split=split)


def _run(*args):
    r = subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_both_stages_resume_from_the_shipped_weights_and_export(tmp_path):
    _write_fixture_arrays(tmp_path)
    work, out = tmp_path / "work", tmp_path / "export"
    log = _run(STYLEGAN / "train_teacher.py", "--colours", tmp_path / "colours.npz", "--out", work,
               "--init", STYLEGAN, "--edge", 100, "--max-steps", 2, "--threads", 1)
    assert "starting from" in log and "stopped at --max-steps" in log
    teacher = torch.load(work / "teacher.pt")
    assert teacher["started_from"]["epochs_completed"] >= 1 and teacher["step"] == 2
    log = _run(STYLEGAN / "train_sketch.py", "--sketches", tmp_path / "sketches.npz", "--colours",
               tmp_path / "colours.npz", "--teacher", work / "teacher.pt", "--out", work, "--init", STYLEGAN,
               "--edge", 10, "--max-steps", 2, "--threads", 1)
    assert "starting from" in log
    sketch = torch.load(work / "sketch.pt")
    shipped_sketch = load_exported(STYLEGAN)["sketch_encoder"].state_dict()
    moved = [k for k, v in sketch["model"].items() if not torch.equal(v, shipped_sketch[k])]
    assert moved, "two steps from the shipped sketch encoder changed nothing"
    _run(STYLEGAN / "export.py", "--teacher", work / "teacher.pt", "--sketch", work / "sketch.pt", "--out", out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["training"]["teacher"]["started_from"]["epochs_completed"] >= 1
    assert "--edge 100" in manifest["training"]["teacher"]["command"]
    # The export is one the engine runs: the AniFaceDrawing graph with every model node pointed at it.
    sumi = pytest.importorskip("sumi")
    g = sumi.Graph.load(str(ROOT / "graphs" / "anifacedrawing.sumi.json"))
    for node in ("encode_sketch", "encode_reference", "portrait"):
        g.set_param(node, "manifest", str(out / "manifest.json"))
    r = sumi.Session().run(g, outputs=["portrait"])
    assert np.asarray(r.outputs["portrait"]).shape == (1, 3, manifest["size"], manifest["size"])


def test_a_sketch_encoder_retrains_against_the_shipped_teacher_folder(tmp_path):
    """--teacher may name an exported folder: the sketch encoder learns against the shipped teacher, and
    the export keeps the teacher's files byte for byte and its training record."""
    _write_fixture_arrays(tmp_path)
    work, out = tmp_path / "work", tmp_path / "export"
    _run(STYLEGAN / "train_sketch.py", "--sketches", tmp_path / "sketches.npz", "--colours", tmp_path / "colours.npz",
         "--teacher", STYLEGAN, "--out", work, "--init", STYLEGAN, "--max-steps", 2, "--threads", 1)
    _run(STYLEGAN / "export.py", "--teacher", STYLEGAN, "--sketch", work / "sketch.pt", "--out", out)
    shipped = json.loads((STYLEGAN / "manifest.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    for role in ("synthesis", "image_encoder", "mapping"):
        assert (out / manifest[role]).read_bytes() == (STYLEGAN / shipped[role]).read_bytes(), role
        assert manifest["sha256"][manifest[role]] == shipped["sha256"][shipped[role]], role
    assert (out / "sketch_encoder.pt").read_bytes() != (STYLEGAN / "sketch_encoder.pt").read_bytes()
    assert manifest["training"]["teacher"] == shipped["training"]["teacher"]
    r = subprocess.run([sys.executable, str(STYLEGAN / "train_sketch.py"), "--sketches", str(tmp_path / "sketches.npz"),
                        "--colours", str(tmp_path / "colours.npz"), "--teacher", str(tmp_path / "nowhere"),
                        "--out", str(work)], capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "Traceback" not in r.stderr and "--teacher" in r.stderr, r.stderr


def test_a_guided_synthesis_starts_as_the_plain_one():
    from stylegan_model import GuidedSynthesis, Synthesis
    torch.manual_seed(0)
    plain = Synthesis(32, 16).eval()
    guided = GuidedSynthesis.from_synthesis(plain).eval()
    plain.freeze_noise()
    guided.freeze_noise()
    ws = torch.randn(2, plain.num_ws, 16)
    with torch.no_grad():
        assert torch.equal(guided(ws, (torch.rand(2, 1, 32, 32) > 0.1).float()), plain(ws))


def test_train_guided_fine_tunes_and_exports_a_synthesis_the_engine_runs(tmp_path):
    """train_guided.py: a few steps from the shipped models on a canonical pack, exported with --guided;
    the encoders' files are kept, the manifest says "guide", and the graph runs it with the sketch linked."""
    _write_pack(tmp_path)
    work, out = tmp_path / "work", tmp_path / "export"
    log = _run(STYLEGAN / "train_guided.py", "--data", tmp_path / "pack.npz", "--out", work, "--max-steps", 2,
               "--threads", 1)
    assert "stopped at --max-steps" in log
    _run(STYLEGAN / "export.py", "--teacher", STYLEGAN, "--guided", work / "guided.pt", "--out", out)
    shipped = json.loads((STYLEGAN / "manifest.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["guide"]["resolutions"] == [32, 64, 128] and manifest["training"]["guided"]["step_in_epoch"] >= 1
    for role in ("image_encoder", "sketch_encoder", "mapping"):
        assert (out / manifest[role]).read_bytes() == (STYLEGAN / shipped[role]).read_bytes(), role
    # the kept image encoder keeps the record of how it was trained
    assert manifest["training"].get("image_encoder") == shipped["training"].get("image_encoder")
    sumi = pytest.importorskip("sumi")
    g = sumi.Graph.load(str(ROOT / "graphs" / "anifacedrawing.sumi.json"))
    for node in ("encode_sketch", "encode_reference", "portrait"):
        g.set_param(node, "manifest", str(out / "manifest.json"))
    if "sketch" not in g.nodes["portrait"]["inputs"]:
        g.link("canonical.image", "portrait.sketch")
    r = sumi.Session().run(g, outputs=["portrait"])
    assert np.asarray(r.outputs["portrait"]).shape == (1, 3, 128, 128)
    r = subprocess.run([sys.executable, str(STYLEGAN / "train_guided.py"), "--data", str(tmp_path / "nowhere.npz"),
                        "--out", str(work)], capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "Traceback" not in r.stderr and "--data" in r.stderr, r.stderr


def test_train_guided_can_teach_the_encoders_and_the_graphs_reference_mixing(tmp_path):
    """--encoders-lr and --mix-from: the encoders learn too (the checkpoint holds them), the batch includes the
    graph's reference mixing, and export.py writes the new encoders (mapping kept) with the run's record."""
    _write_pack(tmp_path)
    work, out = tmp_path / "work", tmp_path / "export"
    log = _run(STYLEGAN / "train_guided.py", "--data", tmp_path / "pack.npz", "--out", work, "--epochs", 1,
               "--threads", 1, "--batch", 4, "--encoders-lr", 1e-3, "--mix-from", 2, "--keep-epochs")
    assert "code " in log and "epoch 1 done" in log and "mixed from layer 2" in log
    ck = torch.load(work / "guided.pt")
    kept = torch.load(work / "guided_epoch1.pt")  # --keep-epochs: each finished epoch's checkpoint stays
    assert kept["epoch"] == 1 and all(torch.equal(v, kept["synthesis"][k]) for k, v in ck["synthesis"].items())
    shipped_nets = load_exported(STYLEGAN)
    for role in ("image_encoder", "sketch_encoder"):
        moved = [not torch.equal(v, shipped_nets[role].state_dict()[k]) for k, v in ck[role].items()]
        assert any(moved), f"{role} did not learn"
    _run(STYLEGAN / "export.py", "--teacher", STYLEGAN, "--guided", work / "guided.pt", "--out", out)
    shipped = json.loads((STYLEGAN / "manifest.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["training"]["guided"]["trained"] == ["synthesis", "image_encoder", "sketch_encoder"]
    assert "image_encoder" not in manifest["training"]  # the guided record now tells how the encoder was trained
    assert "--mix-from 2" in manifest["training"]["guided"]["command"]
    assert (out / "mapping.pt").read_bytes() == (STYLEGAN / shipped["mapping"]).read_bytes()
    exported = load_exported(out)
    image = torch.rand(1, 3, 128, 128)
    from stylegan_model import image_encoder_for  # the checkpoint's encoder is the exported one
    enc = image_encoder_for(ck["image_encoder"], 128, 256).eval()
    enc.load_state_dict(ck["image_encoder"])
    with torch.no_grad():
        assert torch.allclose(exported["image_encoder"].eval()(image), enc(image), atol=1e-5)
    r = subprocess.run([sys.executable, str(STYLEGAN / "train_guided.py"), "--data", str(tmp_path / "pack.npz"),
                        "--out", str(tmp_path / "w2"), "--mix-from", "12"], capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "Traceback" not in r.stderr and "--mix-from 12" in r.stderr, r.stderr


def test_colour_inversion_finds_a_code_the_synthesis_renders_and_measures_hair_colour():
    """models/stylegan/invert_colour.py: optimising a W+ code for an image the shipped synthesis made from
    another code gets much closer to it than the start; the hair-colour error reads only the hair's pixels."""
    from invert_colour import colour_error, optimise_code
    m = json.loads((STYLEGAN / "manifest.json").read_text())
    synthesis = torch.jit.load(str(STYLEGAN / m["synthesis"])).eval()
    encoder = torch.jit.load(str(STYLEGAN / m["image_encoder"])).eval()
    for p in synthesis.parameters():
        p.requires_grad_(False)
    torch.manual_seed(0)
    guide = torch.ones(1, 1, m["size"], m["size"])
    with torch.no_grad():
        start = encoder(torch.rand(1, 3, m["size"], m["size"]))
        target = synthesis(start + 0.5 * torch.randn_like(start), guide)
        before = (synthesis(start, guide) - target).abs().mean().item()
    found = optimise_code(synthesis, start, target, guide, steps=30, lr=0.02)
    with torch.no_grad():
        after = (synthesis(found, guide) - target).abs().mean().item()
    assert after < 0.6 * before, (before, after)

    hair = torch.tensor([0.8, 0.2, 0.9]).view(1, 3, 1, 1)
    truth = torch.ones(1, 3, 4, 4)
    truth[:, :, :2] = hair  # the top half is hair
    grey = torch.full((1, 3, 4, 4), 0.5)
    assert colour_error(truth, truth, hair) == pytest.approx(0.0)
    assert colour_error(grey, truth, hair) == pytest.approx(float((grey[:, :, 0, 0] - hair[:, :, 0, 0]).abs().mean()))
    assert colour_error(grey, torch.zeros(1, 3, 4, 4), hair) is None


def test_hue_balanced_sampling_gives_rare_hair_hues_their_share_within_the_cap(tmp_path):
    """train_guided.py --balance-hue: faces binned by hair hue (grey, dark, pale or no hair in one bin, which
    keeps its uniform share), the hue bins drawn alike, no face more than `cap` times as often as uniform
    sampling; the manifest read by face index."""
    from hair_hue import balanced_weights, hair_colours, hue_bins
    colours = ["#e02020"] * 90 + ["#c040e0"] * 10 + ["#303030"] * 100 + [None] * 20  # red, purple, dark, none
    bins = hue_bins(colours)
    assert bins[0] == 0 and bins[90] == 9 and bins[100] == bins[200] == 12
    p = balanced_weights(bins, cap=100.0)
    assert p.sum() == pytest.approx(1.0)
    share = np.bincount(bins, weights=p, minlength=13)
    assert share[12] == pytest.approx(120 / 220)  # the neutral bin as under uniform sampling
    assert share[0] == pytest.approx(50 / 220) and share[9] == pytest.approx(50 / 220)  # 10 purple = 90 red
    capped = balanced_weights(bins, cap=4.0)
    assert capped.max() <= 4.0 / len(colours) * (1 + 1e-9) and np.bincount(bins, weights=capped)[9] > 10 / 220
    (tmp_path / "manifest.jsonl").write_text('{"index": 5, "hair_color": "#c040e0"}\n{"index": 7}\n')
    assert hair_colours(tmp_path) == {5: "#c040e0", 7: None}


def test_the_image_encoders_colour_path_starts_at_zero_and_round_trips_through_export(tmp_path):
    """ImageEncoder(colour_grid=G): the path adds nothing until trained (the shipped codes stay); an encoder
    with it loads back from a state dict or an export shaped by image_encoder_for."""
    from stylegan_model import ImageEncoder, image_encoder_for
    torch.manual_seed(0)
    plain = ImageEncoder(128, 256).eval()
    with_path = ImageEncoder(128, 256, colour_grid=8).eval()
    missing = with_path.load_state_dict(plain.state_dict(), strict=False).missing_keys
    assert sorted(missing) == ["colour.bias", "colour.weight"]
    image = torch.rand(2, 3, 128, 128)
    with torch.no_grad():
        assert torch.equal(with_path(image), plain(image))
        with_path.colour.weight.normal_(0, 0.01)
        # the path reads the colour itself: a uniform shift of the input moves the code through it
        shift = with_path(image + 0.1) - plain(image + 0.1)
        assert shift.abs().max() > 1e-3
    assert image_encoder_for(with_path.state_dict(), 128, 256).colour_grid == 8
    assert image_encoder_for(plain.state_dict(), 128, 256).colour_grid == 0
    # a finer grid starts where the coarse path was: the same codes, then its own cells can learn
    finer = with_path.with_finer_colour_grid(16).eval()
    assert finer.colour_grid == 16 and finer.colour.weight.shape == (with_path.colour.weight.shape[0], 3 * 16 * 16)
    with torch.no_grad():
        assert torch.allclose(finer(image), with_path(image), atol=1e-5)
        assert not torch.allclose(finer(image) - plain(image), torch.zeros(1), atol=1e-4)  # the path is kept
    for grid in (12, 8, 4, 256):  # not a multiple, not finer, or the input has no such cells
        with pytest.raises(ValueError, match="cannot start from"):
            with_path.with_finer_colour_grid(grid)
    bad = dict(with_path.state_dict(), **{"colour.weight": torch.zeros(3072, 50)})
    with pytest.raises(ValueError, match="3 x G x G"):
        image_encoder_for(bad, 128, 256)


def test_train_guided_can_train_the_image_encoder_alone_with_a_colour_path(tmp_path):
    """--image-encoder-only --colour-grid: only the image encoder (with its new colour path) learns; export.py
    writes image_encoder.pt alone, keeps the synthesis's training record and adds the encoder's, and the
    engine runs the graph with it. The start is the shipped folder with an encoder without the path."""
    from stylegan_model import ImageEncoder
    _write_pack(tmp_path)
    init, work, out = tmp_path / "init", tmp_path / "work", tmp_path / "export"
    shutil.copytree(STYLEGAN, init)
    plain = ImageEncoder(128, 256).eval()
    plain.load_state_dict({k: v for k, v in load_exported(STYLEGAN)["image_encoder"].state_dict().items()
                           if not k.startswith("colour.")})
    torch.jit.trace(plain, torch.ones(1, 3, 128, 128)).save(str(init / "image_encoder.pt"))
    log = _run(STYLEGAN / "train_guided.py", "--data", tmp_path / "pack.npz", "--out", work, "--max-steps", 2,
               "--threads", 1, "--batch", 4, "--encoders-lr", 1e-3, "--mix-from", 2, "--image-encoder-only",
               "--colour-grid", 4, "--init", init)
    assert "4 x 4 colour path" in log and "code " not in log
    ck = torch.load(work / "guided.pt")
    assert ck["trained"] == ["image_encoder"] and ck["image_encoder"]["colour.weight"].abs().sum() > 0
    init_nets = load_exported(init)
    for role in ("synthesis", "sketch_encoder"):
        assert all(torch.equal(v, init_nets[role].state_dict()[k]) for k, v in ck[role].items()), role
    _run(STYLEGAN / "export.py", "--teacher", init, "--guided", work / "guided.pt", "--out", out)
    before = json.loads((init / "manifest.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    for role in ("synthesis", "sketch_encoder", "mapping"):
        assert (out / manifest[role]).read_bytes() == (init / before[role]).read_bytes(), role
    assert manifest["training"]["guided"] == before["training"]["guided"]
    record = manifest["training"]["image_encoder"]
    assert record["trained"] == ["image_encoder"] and record["colour_grid"] == 4
    assert "--image-encoder-only" in record["command"] and " True" not in record["command"]  # switches bare
    assert " None" not in record["command"] and "  " not in record["command"]  # options left unset: not shown
    # it continued the image encoder as last trained: its own record, else the guided run's
    last = before["training"].get("image_encoder") or before["training"]["guided"]
    assert record["started_from"]["command"] == last["command"]
    exported = load_exported(out)["image_encoder"].eval()
    assert exported.colour_grid == 4
    sumi = pytest.importorskip("sumi")
    g = sumi.Graph.load(str(ROOT / "graphs" / "anifacedrawing.sumi.json"))
    for node in ("encode_sketch", "encode_reference", "portrait"):
        g.set_param(node, "manifest", str(out / "manifest.json"))
    r = sumi.Session().run(g, outputs=["portrait"])
    assert np.asarray(r.outputs["portrait"]).shape == (1, 3, 128, 128)
    # a finer grid continues the exported 4 x 4 path (the same codes at first, its weights at 1/4 the rate)
    log = _run(STYLEGAN / "train_guided.py", "--data", tmp_path / "pack.npz", "--out", tmp_path / "w8",
               "--max-steps", 1, "--threads", 1, "--batch", 4, "--encoders-lr", 1e-3, "--image-encoder-only",
               "--colour-grid", 8, "--init", out)
    assert "4 x 4 colour path becomes 8 x 8" in log and "0.25 x --encoders-lr" in log
    ck8 = torch.load(tmp_path / "w8" / "guided.pt")
    assert ck8["image_encoder"]["colour.weight"].shape[1] == 3 * 8 * 8
    assert [g["lr"] for g in ck8["opt"]["param_groups"]] == [1e-3, 2.5e-4]
    for args, words in ((["--image-encoder-only"], "--encoders-lr"),
                        (["--image-encoder-only", "--encoders-lr", "1e-3", "--colour-grid", "6", "--init", str(out)],
                         "has a 4 x 4 colour path; a 6 x 6 colour path cannot start from")):
        r = subprocess.run([sys.executable, str(STYLEGAN / "train_guided.py"), "--data", str(tmp_path / "pack.npz"),
                            "--out", str(tmp_path / "w2")] + args, capture_output=True, text=True, timeout=120)
        assert r.returncode != 0 and "Traceback" not in r.stderr and words in r.stderr, r.stderr


def test_hair_weight_weighs_each_faces_hair_and_validation_reports_its_colour(tmp_path):
    """--hair-weight W: W is added to the L1 weight of each face's hair pixels (the true image within 0.12 of its
    hair colour, from the data set's manifest), so the same first batch has a larger loss; the epoch's validation
    reports the mixed portrait's hair-colour error; without hair colours it is a clear error."""
    _write_pack(tmp_path)
    first_l1 = {}
    for w in (0, 20):
        log = _train_colour(tmp_path, f"w{w}", "--epochs", 1, "--encoders-lr", 1e-3, "--hair-weight", w)
        first_l1[w] = float(log.split("step 1/")[1].split(" l1 ")[1].split()[0])
        val = torch.load(tmp_path / f"w{w}" / "guided.pt")["val"][-1]
        assert 0 < val["mixed_hair_error"] < 1 and 0 < val["mixed_skin_error"] < 1, val
        assert ("hair colour error" in log) and val["mixed_l1"] > 0
    assert first_l1[20] > first_l1[0] * 1.2, first_l1  # the same first batch, its hair weighed more
    r = subprocess.run([sys.executable, str(STYLEGAN / "train_guided.py"), "--data", str(tmp_path / "pack.npz"),
                        "--out", str(tmp_path / "bad"), "--image-encoder-only", "--encoders-lr", "1e-3",
                        "--hair-weight", "2"], capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "Traceback" not in r.stderr and "--hair-data" in r.stderr, r.stderr


def test_mean_colour_error_asks_for_each_regions_mean_colour_not_its_texture(tmp_path):
    """mean_colour_error: a portrait whose hair has the true mean colour but another texture costs nothing, one
    whose hair is off by a constant costs that constant; faces with too few hair pixels are left out; and
    --hair-mean-weight adds the term (reported in the progress line; a clear error without hair colours)."""
    from train_guided import MIN_REGION_PIXELS, mean_colour_error
    hair = torch.tensor([0.8, 0.2, 0.8]).view(1, 3, 1, 1)
    target = torch.full((2, 3, 8, 8), 0.9)
    target[:, :, :4] = hair
    textured = target.clone()
    textured[:, :, :4:2] += 0.1  # stripes: same mean over the hair rows
    textured[:, :, 1:4:2] -= 0.1
    assert mean_colour_error(textured, target, hair).item() < 1e-6
    assert abs(mean_colour_error(target - 0.05, target, hair).item() - 0.05) < 1e-6
    few = torch.full((1, 3, 8, 8), 0.9)
    few.view(1, 3, -1)[:, :, :MIN_REGION_PIXELS - 1] = hair.view(1, 3, 1)  # one hair pixel short
    assert mean_colour_error(few - 0.3, few, hair) is None
    few.view(1, 3, -1)[:, :, MIN_REGION_PIXELS - 1] = hair.view(1, 3)
    assert abs(mean_colour_error(few - 0.3, few, hair).item() - 0.3) < 1e-6
    _write_pack(tmp_path)
    fixture = ROOT / "models" / "data" / "fixture"
    logs = [_train_colour(tmp_path, f"m{w}", "--max-steps", 1, "--encoders-lr", 1e-3, "--hair-mean-weight", w,
                          "--skin-mean-weight", w) for w in (0, 20)]
    assert "hair_mean" in logs[1] and "hair_mean" not in logs[0], logs[1]
    for args, words in ((["--image-encoder-only", "--skin-mean-weight", "2"], "--skin-mean-weight"),
                        (["--hold-rest", "1", "--hair-data", str(fixture)], "--hold-rest needs --image-encoder-only")):
        r = subprocess.run([sys.executable, str(STYLEGAN / "train_guided.py"), "--data", str(tmp_path / "pack.npz"),
                            "--out", str(tmp_path / "bad"), "--encoders-lr", "1e-3"] + args,
                           capture_output=True, text=True, timeout=120)
        assert r.returncode != 0 and "Traceback" not in r.stderr and words in r.stderr, r.stderr


def test_hold_rest_holds_the_rest_of_the_face_to_the_starting_encoders_portrait(tmp_path):
    """--hold-rest: the first step's portrait is the starting encoder's own (hold 0); after steps that weigh the
    hair, the term is positive (the rest moved and is pulled back); the checkpoint's encoder has moved."""
    _write_pack(tmp_path)
    log = _train_colour(tmp_path, "h", "--epochs", 2, "--encoders-lr", 3e-3, "--hair-weight", 20, "--hold-rest", 3)
    holds = [float(x) for x in re.findall(r" hold ([0-9.]+)", log)]
    assert holds[0] == 0 and max(holds) > 0, holds
    ck = torch.load(tmp_path / "h" / "guided.pt")
    start = load_exported(STYLEGAN)["image_encoder"].state_dict()
    assert any(not torch.equal(v, start[k]) for k, v in ck["image_encoder"].items())


def test_dark_skins_get_their_own_skin_weight_or_are_held_with_the_rest(tmp_path):
    """--dark-skin-weight: on the same first batch (dark and light skins: the fixture's adventurer faces), the
    weighted L1 with the skin weight on every skin is above that with dark skins at 0, itself above no skin weight
    at all; --hold-dark-skin holds them (the hold starts at 0) and needs --hold-rest; the two together are an
    error, since a held dark skin gets no weight."""
    _write_pack(tmp_path)

    def first_l1(*args):
        log = _train_colour(tmp_path, f"d{len(list(tmp_path.iterdir()))}", "--max-steps", 1, "--batch", 8,
                            "--encoders-lr", 1e-3, *args)
        return float(re.search(r" l1 ([0-9.]+)", log).group(1)), log

    every, _ = first_l1("--skin-weight", 20)
    light_only, _ = first_l1("--skin-weight", 20, "--dark-skin-weight", 0)
    none, _ = first_l1()
    assert every > light_only > none, (every, light_only, none)
    dark_only, _ = first_l1("--skin-weight", 0, "--dark-skin-weight", 20)
    assert abs(every - (light_only + dark_only - none)) < 3e-4  # the two weights add up
    held, log = first_l1("--skin-weight", 20, "--hold-rest", 3, "--hold-dark-skin")
    assert held == light_only and re.findall(r" hold ([0-9.]+)", log)[0] == "0.0000", log
    for args, words in ((["--hold-dark-skin"], "--hold-dark-skin needs --hold-rest"),
                        (["--hold-rest", 1, "--hold-dark-skin", "--dark-skin-weight", 1], "a held dark skin")):
        r = subprocess.run([sys.executable, str(STYLEGAN / "train_guided.py"), "--data", str(tmp_path / "pack.npz"),
                            "--out", str(tmp_path / "bad"), "--encoders-lr", "1e-3", "--image-encoder-only",
                            "--hair-data", str(ROOT / "models" / "data" / "fixture")] + [str(a) for a in args],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode != 0 and "Traceback" not in r.stderr and words in r.stderr, r.stderr


def test_colour_regions_separates_hair_skin_and_the_rest():
    """colour_regions.region_errors: a portrait off only in its hair colour is off only there; the rest is the L1
    of the pixels that are neither hair nor skin; a face without a hair colour has no hair figure; a dark skin
    (the manifest colour's luminance under 0.45) counts in "dark skin" as well."""
    from colour_regions import region_errors
    target = torch.full((1, 3, 8, 8), 0.9)
    target[:, :, :2] = torch.tensor([0.8, 0.2, 0.8]).view(1, 3, 1, 1)  # hair #cc33cc
    target[:, :, 4:6] = torch.tensor([0.93, 0.8, 0.6]).view(1, 3, 1, 1)  # skin #edcc99
    hair, skin = "#cc33cc", "#edcc99"
    same = region_errors(target.clone(), target, hair, skin)
    assert same["rest"] == 0 and same["hair"] < 0.01 and same["skin"] < 0.01
    grey_hair = target.clone()
    grey_hair[:, :, :2] = 0.5
    e = region_errors(grey_hair, target, hair, skin)
    assert e["hair"] > 0.2 and e["skin"] == same["skin"] and e["rest"] == 0
    off_shirt = target.clone()
    off_shirt[:, :, 7:] = 0.1
    e = region_errors(off_shirt, target, None, skin)
    assert e["hair"] is None and e["rest"] > 0.1 and e["skin"] == same["skin"]
    assert same["dark skin"] is None  # a light skin counts in "skin" only
    dark = target.clone()
    dark[:, :, 4:6] = torch.tensor([0x5c, 0x38, 0x29]).view(1, 3, 1, 1) / 255.0  # skin #5c3829
    olive = dark.clone()
    olive[:, :, 4:6] = torch.tensor([0.35, 0.40, 0.15]).view(1, 3, 1, 1)
    e = region_errors(olive, dark, hair, "#5c3829")
    assert e["dark skin"] == e["skin"] > 0.05


def test_colour_regions_draws_the_dark_skinned_faces(tmp_path):
    """colour_regions.py --picture: one row per dark-skinned face (the true image, then each folder's portrait),
    at most --picture-faces; the same folder twice measures the same; no dark skin among the faces is an error."""
    cv2 = pytest.importorskip("cv2")
    _write_pack(tmp_path)
    fixture = ROOT / "models" / "data" / "fixture"

    def regions(faces, *args):
        return subprocess.run([sys.executable, str(STYLEGAN / "colour_regions.py"),
                               "--pack", str(tmp_path / "pack.npz"),
                               "--data", str(fixture), "--models", f"{STYLEGAN},{STYLEGAN}", "--splits", "0,1,2,3",
                               "--faces", str(faces), "--threads", "1", "--picture", str(tmp_path / "dark.png"),
                               *map(str, args)], capture_output=True, text=True, timeout=240)

    r = regions(12, "--picture-faces", 3)
    assert r.returncode == 0, r.stderr
    table = [line for line in r.stdout.splitlines() if line.startswith("| stylegan |")]
    assert len(table) == 2 and table[0] == table[1], r.stdout
    picture = cv2.imread(str(tmp_path / "dark.png"))
    assert picture.shape == (3 * 128, 3 * 128, 3) and "3 dark-skinned faces" in r.stdout
    r = regions(3)  # the fixture's first three faces have light skins
    assert r.returncode != 0 and "no dark-skinned face" in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_invert_colour_compares_model_folders_on_the_same_faces(tmp_path):
    """invert_colour.py --steps 0 --mix-from 4 --models A,B: per face the hair-colour error of each folder's
    image code and of the graph's mixed code, the median over the faces, and one picture row a face (the truth,
    then each folder's portraits); the same folder twice measures the same."""
    cv2 = pytest.importorskip("cv2")
    colours = np.full((3, 128, 128, 3), 235, np.uint8)
    colours[:, :50] = (192, 64, 224)  # pink-purple hair over the top
    np.savez(tmp_path / "pack.npz", sketches=np.full((3, 256, 256), 255, np.uint8), colours=colours,
             ids=np.arange(3), split=np.full(3, 2, np.uint8), styles=np.array(["adventurer"]),
             style=np.zeros(3, np.uint8))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "manifest.jsonl").write_text(
        "".join(json.dumps({"index": i, "hair_color": "#c040e0"}) + "\n" for i in range(3)))
    picture = tmp_path / "rows.png"
    r = subprocess.run([sys.executable, str(STYLEGAN / "invert_colour.py"), "--pack", str(tmp_path / "pack.npz"),
                        "--data", str(tmp_path / "data"), "--steps", "0", "--mix-from", "4", "--faces", "0",
                        "--models", f"{STYLEGAN},{STYLEGAN}", "--threads", "1", "--picture", str(picture)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    summary = r.stdout.strip().splitlines()[-2]
    assert summary.startswith("median hair colour error over 3 faces"), r.stdout
    values = re.findall(r"stylegan:(encoder|mixed) ([0-9.]+)", summary)  # folder:kind median
    assert [k for k, _ in values] == ["encoder", "mixed", "encoder", "mixed"], summary
    assert values[:2] == values[2:]
    assert cv2.imread(str(picture)).shape == (3 * 128, 5 * 128, 3)
    r = subprocess.run([sys.executable, str(STYLEGAN / "invert_colour.py"), "--pack", str(tmp_path / "pack.npz"),
                        "--data", str(tmp_path / "data"), "--steps", "0", "--mix-from", "12"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode != 0 and "--mix-from 12" in r.stderr and "Traceback" not in r.stderr, r.stderr

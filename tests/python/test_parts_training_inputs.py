"""One preprocessing path for the part models (issue 18): models/parts/train.py
cuts and scales the crops (and export.py builds the banks from them) exactly as
graphs/deepfacedrawing.sumi.json's face.split + latent.encode feed the part
encoders - the remainder with the four windows blanked, 60 px windows enlarged
bilinearly, the 256 px remainder area-scaled. Checked on canonical sketches of
several styles: the shipped encoders give the same latents either way."""
import json
import pathlib
import sys

import numpy as np
import torch

import sumi

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "models" / "parts"))
import train as parts_train  # noqa: E402

sys.path.insert(0, str(ROOT / "tests" / "python"))
from test_synth_training_inputs import fixture_faces, load_sketch  # noqa: E402

PARTS = parts_train.PARTS


def test_training_crops_give_the_latents_the_graph_computes():
    manifest = json.loads((ROOT / "models" / "parts" / "manifest.json").read_text())
    encoders = {p: torch.jit.load(str(ROOT / "models" / "parts" / manifest["parts"][p]["encoder"])) for p in PARTS}
    sizes = [manifest["parts"][p]["input_size"] for p in PARTS]
    graph = sumi.Graph.load(str(ROOT / "graphs" / "deepfacedrawing.sumi.json"))
    graph.set_output("canonical", "canonical.image")
    for p in PARTS:
        graph.set_output(f"latent_{p}", f"{p}.encoded")  # the part's instance of part_chain.sumi.json
    session = sumi.Session()
    canon = []
    for face in fixture_faces(4):
        # face.locate's own answer: the crops must match whatever frame the graph ran with
        out = session.run(graph, outputs=["canonical"] + [f"latent_{p}" for p in PARTS],
                          inputs={"sketch": load_sketch(session, face)}).outputs
        canon.append((out["canonical"], out))
    sketches = torch.from_numpy(np.concatenate([c for c, _ in canon])).float()
    windows = parts_train.part_windows({"sketches": sketches.numpy()[:, 0]})
    cut = parts_train.crops(sketches, windows, sizes)
    with torch.no_grad():
        for p in PARTS:
            z = encoders[p](cut[p]).numpy()
            for i, (_, out) in enumerate(canon):
                np.testing.assert_allclose(z[i], np.asarray(out[f"latent_{p}"]).reshape(-1), rtol=1e-4, atol=1e-4,
                                           err_msg=f"{p}, face {i}")


def test_the_remainder_crop_has_the_windows_blanked_and_edge_windows_are_padded_with_paper():
    sketch = torch.zeros(1, 1, 256, 256)  # all ink
    windows = torch.tensor([[-10, 20, 60], [220, 30, 60], [100, 100, 40], [90, 150, 50], [0, 0, 256]])
    cut = parts_train.crops(sketch, windows, [64, 64, 64, 64, 128])
    # the left-eye window starts 10 px left of the canvas: its first columns are paper, the rest ink
    assert cut["left_eye"][0, 0, :, 0].min() > 0.9 and cut["left_eye"][0, 0, :, -1].max() < 0.1
    # the right-eye window ends 24 px past the right edge
    assert cut["right_eye"][0, 0, :, -1].min() > 0.9 and cut["right_eye"][0, 0, :, 0].max() < 0.1
    rem = cut["remainder"][0, 0]
    assert rem[(100 + 20) // 2, (100 + 20) // 2] == 1.0  # inside the nose window: blanked
    assert rem[240 // 2, 160 // 2] == 0.0  # outside every window: ink


def test_training_resumes_within_an_epoch_and_exports_multi_style_data(tmp_path):
    """A data set without windows (the canonical multi-style arrays) trains with the manifest's windows from the
    shipped models, checkpoints within the epoch, resumes there, and exports a manifest naming its styles."""
    import subprocess
    rng = np.random.default_rng(0)
    sketches = np.full((12, 256, 256), 255, np.uint8)
    for s in sketches:
        for _ in range(6):
            y, x = rng.integers(20, 230, 2)
            s[y:y + 3, x:x + 40] = 0
    np.savez(tmp_path / "c.npz", sketches=sketches, ids=np.arange(12), split=np.array([0] * 8 + [1] * 2 + [3] * 2, np.uint8),
             style=np.array([0, 1] * 4 + [0, 1, 2, 2], np.uint8), styles=np.array(["a", "b", "held"]),
             data_version="test")
    train = [sys.executable, str(ROOT / "models" / "parts" / "train.py"), "--data", str(tmp_path / "c.npz"),
             "--out", str(tmp_path / "ck"), "--epochs", "1", "--batch", "2", "--threads", "1",
             "--init", str(ROOT / "models" / "parts"), "--save-minutes", "0"]
    first = subprocess.run(train + ["--max-steps", "2"], capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    assert "val loss of --init" in first.stdout
    ck = torch.load(tmp_path / "ck" / "checkpoint.pt")
    assert (ck["epoch"], ck["step"]) == (0, 2) and "rng" in ck  # mid-epoch
    second = subprocess.run(train, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr
    assert "resuming at epoch 1 step 2" in second.stdout and "heldout_remainder" in second.stdout
    assert torch.load(tmp_path / "ck" / "checkpoint.pt")["epoch"] == 1
    export = subprocess.run([sys.executable, str(ROOT / "models" / "parts" / "export.py"), "--checkpoint",
                             str(tmp_path / "ck" / "checkpoint.pt"), "--data", str(tmp_path / "c.npz"),
                             "--out", str(tmp_path / "out"), "--bank-size", "4"], capture_output=True, text=True, timeout=600)
    assert export.returncode == 0, export.stderr
    m = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert m["canvas"] == 256 and m["data"]["training_styles"] == ["a", "b"] and m["data"]["heldout_style"] == ["held"]
    assert m["parts"]["left_eye"]["window"] == json.loads((ROOT / "models" / "parts" / "manifest.json").read_text())[
        "parts"]["left_eye"]["window"]

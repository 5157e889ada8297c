"""Each part's sketch is decoded once (session 28): the shipped feature decoders
draw every channel but the line ink, which synth.feature_map takes from
latent.decode's image through part_chain's `line` link - the same map the
all-in-one decoders (a frozen part decoder inside each) drew. And
models/synth/split_line_channel.py, which rewrote them, checks its work: a
tiny all-in-one export is split bit for bit, a second run and a folder whose
line was drawn by another decoder are refused, nothing written."""
import hashlib
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import sumi

ROOT = pathlib.Path(__file__).resolve().parents[2]
SYNTH = ROOT / "models" / "synth"
sys.path.insert(0, str(SYNTH))
from synth_model import PARTS, FeatureDecoder  # noqa: E402

TOOL = [sys.executable, str(SYNTH / "split_line_channel.py")]


def test_the_shipped_graph_gives_the_maps_the_all_in_one_decoders_drew(session):
    synth = json.loads((SYNTH / "manifest.json").read_text())
    parts = json.loads((ROOT / "models" / "parts" / "manifest.json").read_text())
    g = sumi.Graph.load(str(ROOT / "graphs" / "deepfacedrawing.sumi.json"))
    wanted = [f"{p}/{n}" for p in PARTS for n in ("project.latent", "features.features", "decode.image")]
    out = session.run(g, outputs=wanted).outputs
    for p in PARTS:
        learnt = torch.jit.load(str(SYNTH / synth["parts"][p]["feature_decoder"])).eval()
        sketch_decoder = torch.jit.load(str(ROOT / "models" / "parts" / parts["parts"][p]["decoder"])).eval()
        latent = torch.from_numpy(np.array(out[f"{p}/project.latent"]))
        with torch.no_grad():
            own = learnt(latent)
            assert own.shape[1] == synth["channels"] - 1, p  # the shipped decoder leaves the line out
            sketch = sketch_decoder(latent)
            # what the all-in-one decoder computed: learnt channels + the ink of its frozen part decoder
            whole = torch.cat([own, F.interpolate(1.0 - sketch, size=own.shape[-2:], mode="area")], 1)
        np.testing.assert_array_equal(out[f"{p}/decode.image"], sketch.numpy())  # the guidance's sketch
        got = torch.from_numpy(np.array(out[f"{p}/features.features"]))
        expect = F.interpolate(whole, size=got.shape[-2:], mode="bilinear", align_corners=False)
        assert torch.allclose(got, expect, atol=1e-6), (p, (got - expect).abs().max())


def test_the_part_decoders_are_the_ones_the_synthesis_was_trained_with():
    """The line channel now comes from latent.decode, i.e. from models/parts: replacing a part decoder there
    would change every portrait's lines without a retrain of the synthesis. The pin in the synth manifest says
    which decoders it learnt from."""
    synth = json.loads((SYNTH / "manifest.json").read_text())
    parts = json.loads((ROOT / "models" / "parts" / "manifest.json").read_text())
    pinned = synth["line_channel"]["part_decoders_sha256"]
    for p in PARTS:
        decoder = ROOT / "models" / "parts" / parts["parts"][p]["decoder"]
        assert hashlib.sha256(decoder.read_bytes()).hexdigest() == pinned[p], \
            f"{decoder} is not the decoder models/synth was trained with: retrain or re-export the synthesis"


class TinySketchDecoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(16, 64)

    def forward(self, z):
        return torch.sigmoid(self.fc(z)).view(-1, 1, 8, 8)


def sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


@pytest.fixture
def tiny_export(tmp_path):
    """An export from before the split: all-in-one feature decoders (3 learnt channels + the line ink at 8 x 8,
    latents of 16) and the part decoders they carry, with both manifests."""
    torch.manual_seed(0)
    parts_dir, synth_dir = tmp_path / "parts", tmp_path / "synth"
    parts_dir.mkdir()
    synth_dir.mkdir()
    parts, synth = {"parts": {}}, {"format": "sumi.synth", "channels": 4, "latent": 16, "parts": {},
                                  "sha256": {}, "line_channel": {"part_decoders_sha256": {}}}
    for p in PARTS:
        torch.jit.script(TinySketchDecoder().eval()).save(str(parts_dir / f"{p}_decoder.pt"))
        parts["parts"][p] = {"decoder": f"{p}_decoder.pt",
                             "sha256": {"decoder.pt": sha256(parts_dir / f"{p}_decoder.pt")}}
        line = torch.jit.load(str(parts_dir / f"{p}_decoder.pt")).eval()
        dec = FeatureDecoder(size=8, latent=16, channels=3, widths=(8, 4), line_decoder=line).eval()
        torch.jit.trace(dec, torch.zeros(1, 16)).save(str(synth_dir / f"{p}_features.pt"))
        synth["parts"][p] = {"feature_decoder": f"{p}_features.pt", "shapes": [[1, 16], [1, 4, 8, 8]]}
        synth["sha256"][f"{p}_features.pt"] = sha256(synth_dir / f"{p}_features.pt")
        synth["line_channel"]["part_decoders_sha256"][p] = parts["parts"][p]["sha256"]["decoder.pt"]
    (parts_dir / "manifest.json").write_text(json.dumps(parts))
    (synth_dir / "manifest.json").write_text(json.dumps(synth))
    return synth_dir, parts_dir / "manifest.json"


def run_tool(synth_dir, parts_manifest):
    return subprocess.run(TOOL + ["--folder", str(synth_dir), "--parts", str(parts_manifest), "--checks", "4"],
                          capture_output=True, text=True)


def test_the_split_keeps_the_learnt_channels_bit_for_bit(tiny_export):
    synth_dir, parts_manifest = tiny_export
    z = torch.randn(5, 16)
    before = {p: torch.jit.load(str(synth_dir / f"{p}_features.pt"))(z) for p in PARTS}
    r = run_tool(synth_dir, parts_manifest)
    assert r.returncode == 0, r.stderr
    m = json.loads((synth_dir / "manifest.json").read_text())
    for p in PARTS:
        after = torch.jit.load(str(synth_dir / f"{p}_features.pt"))(z)
        assert after.shape == (5, 3, 8, 8) and torch.equal(after, before[p][:, :3]), p
        assert m["sha256"][f"{p}_features.pt"] == sha256(synth_dir / f"{p}_features.pt")
        assert m["parts"][p]["shapes"] == [[1, 16], [1, 3, 8, 8]]
    assert set(m["line_channel"]["split"]["replaced_sha256"]) == {f"{p}_features.pt" for p in PARTS}
    again = run_tool(synth_dir, parts_manifest)  # already split: refused, nothing changed
    assert again.returncode != 0 and "already split" in again.stderr
    assert json.loads((synth_dir / "manifest.json").read_text()) == m


def test_a_line_drawn_by_another_decoder_is_refused_and_nothing_written(tiny_export):
    synth_dir, parts_manifest = tiny_export
    torch.jit.script(TinySketchDecoder().eval()).save(str(parts_manifest.parent / "nose_decoder.pt"))  # retrained
    files = {f.name: f.read_bytes() for f in synth_dir.iterdir()}
    r = run_tool(synth_dir, parts_manifest)
    assert r.returncode != 0 and "nose_decoder.pt is not the decoder the line channel was drawn with" in r.stderr
    assert {f.name: f.read_bytes() for f in synth_dir.iterdir()} == files

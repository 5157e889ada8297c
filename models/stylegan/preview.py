#!/usr/bin/python3
"""A picture of what AniFaceDrawing's networks make of the fixture faces, to
watch a training run or compare two: per face, the true image, its sketch, then
for each model given the teacher's reconstruction and the sketch encoder's
portrait, with the mean L1 and edge loss of each column printed.

    PYTHONPATH=build/python /usr/bin/python3 models/stylegan/preview.py --out sheet.png \\
        models/stylegan ~/sumi-work/stylegan-ft

A model is an exported folder (manifest.json + TorchScript) or a training
folder (teacher.pt, and sketch.pt when there is one).
"""
import argparse
import json
import pathlib
import sys

import numpy as np
import torch

import sumi

HERE = pathlib.Path(__file__).resolve().parent
FIXTURE = HERE.parent / "data" / "fixture"
sys.path.insert(0, str(HERE))
from stylegan_model import (GuidedSynthesis, SketchEncoder, Synthesis, edge_loss, image_encoder_for,  # noqa: E402
                            load_exported)


def load_model(path):
    """(synthesis, image encoder, sketch encoder or None), in eval mode with the noise frozen."""
    path = pathlib.Path(path).expanduser()
    if (path / "manifest.json").exists():
        try:
            nets = load_exported(path)
        except ValueError as e:
            sys.exit(f"preview: error: {e}")
        syn, enc, sk = nets["synthesis"], nets["image_encoder"], nets["sketch_encoder"]
    elif (path / "teacher.pt").exists():
        t = torch.load(path / "teacher.pt")
        syn, enc = Synthesis(t["size"], t["args"]["w_dim"]), image_encoder_for(t["encoder"], t["size"], t["args"]["w_dim"])
        syn.load_state_dict(t["synthesis"])
        enc.load_state_dict(t["encoder"])
        sk = None
        if (path / "sketch.pt").exists():
            s = torch.load(path / "sketch.pt")
            sk = SketchEncoder(s["size"], s["w_dim"])
            sk.load_state_dict(s["model"])
    else:
        sys.exit(f"preview: error: {path} holds neither manifest.json nor teacher.pt")
    for m in (syn, enc, sk):
        if m is not None:
            m.eval()
    syn.freeze_noise()
    return syn, enc, sk


def fixture_faces(session, size):
    """(colour N x 3 x size x size, sketch N x 1 x size x size) of the fixture faces, read by Sumi's nodes."""
    g = sumi.Graph(name="fixture")
    for name, channels in (("colour", "rgb"), ("sketch", "gray")):
        g.add_node(name, "io.load_image", channels=channels)
        g.add_node(name + "_small", "image.resize", width=size, height=size, interpolation="area")
        g.link(name + ".image", name + "_small.image")
        g.set_output(name, name + "_small.image")
    colours, sketches = [], []
    faces = [json.loads(line) for line in (FIXTURE / "manifest.jsonl").read_text().splitlines() if line.strip()]
    for face in faces:
        folder = FIXTURE / "faces" / face["id"]
        r = session.run(g, inputs={"colour": str(folder / "color.png"), "sketch": str(folder / "sketch.png")})
        colours.append(torch.from_numpy(np.array(r.outputs["colour"])))
        sketches.append(torch.from_numpy(np.array(r.outputs["sketch"]))[:, :1])
    splits = {k: sum(f["split"] == k for f in faces) for k in ("train", "val", "test")}
    return torch.cat(colours), torch.cat(sketches), splits


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+", help="exported folders or training folders")
    ap.add_argument("--out", required=True, help="PNG to write")
    ap.add_argument("--rows", type=int, default=8, help="faces in the picture (all fixture faces are measured)")
    args = ap.parse_args()
    torch.set_num_threads(2)
    session = sumi.Session()
    models = [load_model(m) for m in args.models]
    colour, sketch, splits = fixture_faces(session, models[0][0].size)
    columns = [colour, sketch.expand(-1, 3, -1, -1)]
    print(f"{len(colour)} fixture faces (" + ", ".join(f"{n} {k}" for k, n in splits.items()) + ")")
    with torch.no_grad():
        for name, (syn, enc, sk) in zip(args.models, models):
            for what, encoder, x in (("teacher", enc, colour), ("sketch encoder", sk, sketch)):
                if encoder is None:
                    continue
                face = syn(encoder(x), sketch) if isinstance(syn, GuidedSynthesis) else syn(encoder(x))
                columns.append(face)
                print(f"{name}: {what}: L1 {(face - colour).abs().mean():.4f}, edge {edge_loss(face, colour):.4f}")
    n = min(args.rows, len(colour))
    sheet = torch.cat([torch.cat([c[i:i + 1] for c in columns], 3) for i in range(n)], 2)
    g = sumi.Graph(name="preview")
    g.add_node("sheet", "io.load_image")
    g.add_node("save", "io.save_image", path=str(pathlib.Path(args.out).resolve()))
    g.link("sheet.image", "save.image")
    g.set_output("written", "save.path")
    session.run(g, inputs={"sheet": sheet.contiguous().numpy()})
    print(f"preview: wrote {args.out}")


if __name__ == "__main__":
    main()

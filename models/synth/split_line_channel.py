#!/usr/bin/python3
"""Rewrites an exported synthesis folder's feature decoders without the copy of
the part decoder each one carried for its line channel (models exported before
export.py shipped the learnt channels only).

    /usr/bin/python3 models/synth/split_line_channel.py --folder models/synth --parts models/parts/manifest.json

Each feature decoder drew 33 channels: 32 learnt ones and the ink of the part's
sketch, which it computed by running a frozen copy of the part decoder - the
same network, on the same latent, that latent.decode runs for the shadow
guidance. So the graph ran every part decoder twice. The rewritten decoders
draw the 32 learnt channels; synth.feature_map appends the ink from its `line`
input (graphs/part_chain.sumi.json links latent.decode's image to it).

Nothing is retrained: the learnt weights are copied, and the rewrite is checked
bit for bit on random latents (new decoder == the old one's first channels; the
old line channel == the ink of the parts manifest's decoder) before any file
is replaced. The manifest records the old files' digests and this command.
"""
import argparse
import datetime
import json
import os
import pathlib
import sys

import torch

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from export import line_channel_entry, sha256  # noqa: E402
from synth_model import PARTS, FeatureDecoder, LearntChannels, line_channel  # noqa: E402


def learnt_decoder(old, latent, map_size):
    """A FeatureDecoder holding the learnt weights of an exported (all-in-one) feature decoder."""
    state = {k: v for k, v in old.state_dict().items() if not k.startswith("line_decoder.")}
    convs = [v.shape[0] for k, v in state.items() if k.startswith("body.") and k.endswith(".weight") and v.dim() == 4]
    c0 = state["fc.weight"].shape[0] // 16
    dec = FeatureDecoder(size=map_size, latent=latent, channels=convs[-1], widths=[c0] + convs[:-1])
    dec.load_state_dict(state)
    return dec.eval()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--folder", default=str(HERE), help="an exported synthesis folder (models/synth)")
    ap.add_argument("--parts", default=str(HERE.parent / "parts" / "manifest.json"),
                    help="the part models' manifest whose decoders drew the line channel")
    ap.add_argument("--checks", type=int, default=16, help="random latents each part is checked on")
    args = ap.parse_args()
    torch.set_num_threads(2)
    folder, parts_path = pathlib.Path(args.folder), pathlib.Path(args.parts)
    manifest = json.loads((folder / "manifest.json").read_text())
    parts = json.loads(parts_path.read_text())
    recorded = manifest.get("line_channel", {}).get("part_decoders_sha256")
    if not recorded:
        sys.exit(f"split_line_channel: {folder / 'manifest.json'} has no line channel: nothing to split")
    channels, latent = int(manifest["channels"]), int(manifest["latent"])
    gen = torch.Generator().manual_seed(1)
    rewritten = {}
    with torch.no_grad():
        for p in PARTS:
            file = folder / manifest["parts"][p]["feature_decoder"]
            if sha256(file) != manifest["sha256"].get(file.name):
                sys.exit(f"split_line_channel: {file} is not the file its manifest records (SHA-256): nothing written")
            old = torch.jit.load(str(file)).eval()
            z = torch.cat([torch.zeros(1, latent), torch.randn(args.checks, latent, generator=gen)])
            before = old(z)
            if before.shape[1] != channels:
                sys.exit(f"split_line_channel: {file} draws {before.shape[1]} channels, not {channels}: "
                         "already split?")
            decoder_file = parts_path.parent / parts["parts"][p]["decoder"]
            if sha256(decoder_file) != recorded[p]:
                sys.exit(f"split_line_channel: {decoder_file} is not the decoder the line channel was drawn with "
                         f"(SHA-256 {recorded[p][:12]}...)")
            ink = line_channel(torch.jit.load(str(decoder_file)).eval()(z), before.shape[-1])
            new = LearntChannels(learnt_decoder(old, latent, before.shape[-1]))
            if not torch.equal(new(z), before[:, :-1]) or not torch.equal(ink, before[:, -1:]):
                sys.exit(f"split_line_channel: {p}: the rewrite does not reproduce {file} exactly; nothing written")
            rewritten[p] = (file, torch.jit.trace(new, torch.zeros(1, latent)), list(new(z[:1]).shape))
            print(f"split_line_channel: {p}: checked on {len(z)} latents, bit-identical", flush=True)
    # Everything is written beside its target first, then moved into place together (a failure while writing
    # leaves the folder as it was).
    old_digests, moves = {}, []
    for p, (file, traced, shape) in rewritten.items():
        old_digests[file.name] = manifest["sha256"][file.name]
        tmp = file.with_name(file.name + ".tmp")
        traced.save(str(tmp))
        moves.append((tmp, file))
        manifest["sha256"][file.name] = sha256(tmp)
        manifest["parts"][p]["shapes"] = [[1, latent], shape]
    entry = line_channel_entry(parts)
    entry["split"] = {"command": "models/synth/split_line_channel.py --folder " + str(args.folder) + " --parts " +
                      str(args.parts), "date": datetime.date.today().isoformat(),
                      "doc": "the feature decoders lost their embedded part decoders (learnt weights unchanged, "
                             "checked bit for bit); the files they replaced:",
                      "replaced_sha256": old_digests}
    manifest["line_channel"] = entry
    tmp = folder / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    for src, dst in moves + [(tmp, folder / "manifest.json")]:
        os.replace(src, dst)
        print(f"split_line_channel: wrote {dst} ({dst.stat().st_size / 1e6:.1f} MB)")
    print(f"split_line_channel: updated {folder / 'manifest.json'}")


if __name__ == "__main__":
    main()

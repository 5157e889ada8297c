"""The Python API: build, run, extend; errors; caching; array round trips."""
import subprocess
import threading
import time

import numpy as np
import pytest

import sumi


def sketch_graph(size=128):
    g = sumi.Graph(name="py_sketch")
    g.add_node("draw", "io.strokes_input")
    g.add_node("sketch", "sketch.rasterise", size=size)
    g.link("draw.strokes", "sketch.strokes")
    g.set_output("sketch", "sketch.image")
    return g


def read_png(path):
    """Reads a PNG through the engine itself (io.load_image), as gray."""
    g = sumi.Graph()
    g.add_node("load", "io.load_image", path=str(path), channels="gray")
    g.set_output("image", "load.image")
    return sumi.Session().run(g).outputs["image"]


def test_build_and_run_matches_the_cli(tmp_path, cli, strokes_file):
    g = sketch_graph(size=160)
    g.save(tmp_path / "g.sumi.json")
    subprocess.run([cli, "run", str(tmp_path / "g.sumi.json"), "--in", f"draw={strokes_file}", "--out",
                    str(tmp_path / "out")], check=True, capture_output=True)
    from_cli = read_png(tmp_path / "out" / "sketch.png")
    from_py = sumi.Session().run(g, inputs={"draw": strokes_file}).outputs["sketch"]
    assert from_py.shape == (1, 1, 160, 160)
    assert from_cli.shape == from_py.shape
    # The CLI's PNG is 8-bit: equal to the float result rounded to 1/255.
    assert np.abs(np.round(from_py * 255) / 255 - from_cli).max() < 1e-6


def test_graph_editing_and_file_round_trip(tmp_path):
    g = sketch_graph()
    g.set_param("sketch", "antialias", False)
    assert g.nodes["sketch"]["params"] == {"size": 128, "antialias": False}
    assert g.outputs == {"sketch": "sketch.image"}
    g.save(tmp_path / "a.sumi.json")
    back = sumi.Graph.load(str(tmp_path / "a.sumi.json"))
    assert back == g
    assert sumi.Graph.load(tmp_path / "a.sumi.json") == g  # a pathlib.Path too
    assert back.to_json() == g.to_json()
    g.remove_node("draw")
    assert "strokes" not in g.nodes["sketch"]["inputs"]
    assert "digraph" in back.to_dot()


def test_arrays_are_zero_copy_read_only_and_round_trip():
    rng = np.random.default_rng(3)
    img = rng.random((1, 3, 24, 32), dtype=np.float32)
    g = sumi.Graph()
    g.add_node("src", "io.load_image")
    g.add_node("a", "image.invert")
    g.add_node("b", "image.invert")
    g.link("src.image", "a.image")
    g.link("a.image", "b.image")
    g.set_output("twice", "b.image")
    g.set_output("fed", "src.image")
    r = sumi.Session().run(g, inputs={"src": img})
    out = r.outputs["twice"]
    assert out.dtype == np.float32 and out.shape == img.shape
    assert np.allclose(out, img, atol=1e-6)
    assert not out.flags.writeable
    with pytest.raises(ValueError):
        out[0, 0, 0, 0] = 1.0
    # H x W x C arrays and uint8 are accepted too.
    hwc = (img[0].transpose(1, 2, 0) * 255).astype(np.uint8)
    r = sumi.Session().run(g, inputs={"src": hwc}, outputs=["fed"])
    assert np.allclose(r.outputs["fed"], hwc.transpose(2, 0, 1)[None] / 255.0, atol=1e-6)


def test_torch_tensors_in_and_out():
    torch = pytest.importorskip("torch")
    g = sumi.Graph()
    g.add_node("src", "io.load_image")
    g.add_node("inv", "image.invert")
    g.link("src.image", "inv.image")
    g.set_output("image", "inv.image")
    t = torch.rand(3, 8, 8)
    r = sumi.Session().run(g, inputs={"src": t}, as_torch=True)
    out = r.outputs["image"]
    assert isinstance(out, torch.Tensor) and out.shape == (1, 3, 8, 8)
    assert torch.allclose(out[0], 1 - t, atol=1e-6)


def test_image_files_as_inputs(root):
    g = sumi.Graph()
    g.add_node("src", "io.load_image")
    g.add_node("inv", "image.invert")
    g.link("src.image", "inv.image")
    g.set_output("image", "inv.image")
    png = root / "tests" / "golden" / "face_128.png"
    s = sumi.Session()
    from_path = s.run(g, inputs={"src": png}).outputs["image"]  # a pathlib.Path
    from_str = s.run(g, inputs={"src.image": str(png)}).outputs["image"]
    assert from_path.shape == (1, 3, 128, 128) and np.array_equal(from_path, from_str)
    g.set_param("src", "path", str(png))
    assert np.array_equal(s.run(g).outputs["image"], from_path)  # the same as the node reading it
    with pytest.raises(sumi.Error, match="missing.png"):
        s.run(g, inputs={"src": root / "missing.png"})


def test_strokes_as_python_lists():
    strokes = [{"kind": "line", "width": 24, "points": [[100, 256], [400, 256]]}]  # 3 px at 64 px
    r = sumi.Session().run(sketch_graph(64), inputs={"draw": strokes})
    img = r.outputs["sketch"][0, 0]
    assert img[32, 32] < 0.1 and img[5, 32] > 0.9


def test_cache_skips_unchanged_nodes_across_runs(strokes_file):
    s = sumi.Session()
    g = sketch_graph()
    g.add_node("split", "face.split")
    g.link("sketch.image", "split.sketch")
    g.add_node("sheet", "image.contact_sheet", cell=64)
    g.link("split.parts", "sheet.images")
    g.set_output("sheet", "sheet.image")
    first = s.run(g, inputs={"draw": strokes_file})
    assert first.computed == 3  # draw is fed
    again = s.run(g, inputs={"draw": strokes_file})
    assert again.computed == 0 and again.cached == 3
    g.set_param("sheet", "cell", 96)
    third = s.run(g, inputs={"draw": strokes_file})
    assert third.computed == 1
    assert third.node("sheet")["status"] == "computed"
    assert third.node("split")["status"] == "cached"
    stats = s.cache_stats()
    assert stats["hits"] >= 5 and stats["entries"] >= 4


def test_replacing_a_model_file_behind_its_manifest_is_not_served_from_the_cache(tmp_path, strokes_file):
    """Swapping a part model by overwriting the file its manifest names (the manifest unchanged) must give the new
    model's result, not the cached one."""
    import json
    import pathlib
    import shutil
    parts = pathlib.Path(__file__).resolve().parents[2] / "models" / "parts"
    manifest = json.loads((parts / "manifest.json").read_text())
    for p in ("left_eye", "right_eye"):
        for f in ("encoder", "decoder", "bank"):
            shutil.copy(parts / manifest["parts"][p][f], tmp_path / manifest["parts"][p][f])
        del manifest["parts"][p]["sha256"]  # a hand-made manifest: with digests, a swapped file is refused instead
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    g = sketch_graph(size=256)
    g.add_node("split", "face.split")
    g.link("sketch.image", "split.sketch")
    g.add_node("encode", "latent.encode", part="left_eye", manifest=str(tmp_path / "manifest.json"))
    g.link("split.left_eye", "encode.image")
    g.set_output("latent", "encode.latent")
    s = sumi.Session()
    first = s.run(g, inputs={"draw": strokes_file}).outputs["latent"].copy()
    # the right eye's encoder has the same interface: written over the left eye's file
    shutil.copy(parts / manifest["parts"]["right_eye"]["encoder"], tmp_path / manifest["parts"]["left_eye"]["encoder"])
    again = s.run(g, inputs={"draw": strokes_file})
    assert again.node("encode")["status"] == "computed"
    assert not np.array_equal(again.outputs["latent"], first)


def test_a_redefined_python_node_is_not_served_its_old_results(strokes_file):
    """Redefining a Python node (same id, same version, new code) in a session recomputes with the new code."""
    @sumi.node("py.test_posterize", inputs={"image": "Image"}, outputs={"image": "Image"})
    def posterize(image):
        return (image > 0.5).astype(np.float32)

    g = sketch_graph()
    g.add_node("post", "py.test_posterize")
    g.link("sketch.image", "post.image")
    g.set_output("post", "post.image")
    s = sumi.Session()
    first = s.run(g, inputs={"draw": strokes_file}).outputs["post"].copy()

    @sumi.node("py.test_posterize", inputs={"image": "Image"}, outputs={"image": "Image"})
    def posterize_again(image):
        return np.zeros_like(image)

    again = s.run(g, inputs={"draw": strokes_file})
    assert again.node("post")["status"] == "computed"
    assert again.outputs["post"].max() == 0 and first.max() == 1


def test_custom_python_node_in_a_cpp_graph(strokes_file):
    calls = []

    @sumi.node("py.darken", inputs={"image": "Image"}, outputs={"image": "Image"},
               params={"factor": sumi.Param(float, 0.5, min=0, max=1, doc="multiplier")})
    def darken(image, factor):
        """Multiplies an image by a factor."""
        calls.append(factor)
        return image * factor

    assert "py.darken" in sumi.default_registry()
    assert "multiplier" in sumi.default_registry()["py.darken"].help()
    g = sketch_graph(64)
    g.add_node("dark", "py.darken", factor=0.25)
    g.link("sketch.image", "dark.image")
    g.add_node("inv", "image.invert")
    g.link("dark.image", "inv.image")
    g.set_output("out", "inv.image")
    s = sumi.Session()
    r = s.run(g, inputs={"draw": strokes_file})
    sketch = s.run(g, inputs={"draw": strokes_file}, outputs=["sketch"]).outputs["sketch"]
    assert np.allclose(r.outputs["out"], 1 - sketch * 0.25, atol=1e-6)
    assert calls == [0.25]  # the second run came from the cache
    # A graph file using the Python node runs from Python.
    g2 = sumi.Graph.from_json(g.to_json())
    assert s.run(g2, inputs={"draw": strokes_file}).cached >= 3


def test_python_node_exception_fails_with_traceback_and_node_id():
    @sumi.node("py.broken", inputs={"x": "Scalar"}, outputs={"y": "Scalar"})
    def broken(x):
        raise ValueError("bad luck " + str(x))

    @sumi.node("py.one", outputs={"y": "Scalar"})
    def one():
        return 1.0

    g = sumi.Graph()
    g.add_node("one", "py.one")
    g.add_node("b", "py.broken")
    g.link("one.y", "b.x")
    g.set_output("y", "b.y")
    with pytest.raises(sumi.Error) as info:
        sumi.Session().run(g)
    e = info.value
    assert e.node == "b" and e.type == "py.broken"
    assert "ValueError: bad luck 1.0" in str(e)
    assert "Traceback" in str(e) and "test_api.py" in str(e)


def test_validation_errors_are_python_exceptions():
    g = sumi.Graph()
    g.add_node("a", "no.such_type")
    g.add_node("s", "sketch.rasterise", size="big")
    with pytest.raises(sumi.ValidationError) as info:
        sumi.Session().run(g)
    errors = info.value.errors
    assert len(errors) == 3  # unknown type, wrong param type, missing input
    assert {e.node for e in errors} == {"a", "s"}
    assert any(e.param == "size" for e in errors)
    assert any(e.port == "strokes" and "required input" in e.message for e in errors)
    with pytest.raises(sumi.Error) as bad:
        g.link("a.out", "nodot")
    assert "node.port" in str(bad.value)
    g2 = sketch_graph()
    g2.add_node("inv", "image.invert")
    g2.link("draw.strokes", "inv.image")
    with pytest.raises(sumi.ValidationError) as mismatch:
        g2.validate()
    assert mismatch.value.errors[0].port == "image"
    assert "type mismatch" in mismatch.value.errors[0].message
    with pytest.raises(sumi.Error) as unknown_input:
        sumi.Session().run(sketch_graph(), inputs={"ghost": 1.0})
    assert "ghost" in str(unknown_input.value)


def test_progress_cancel_and_ctrl_c():
    events = []

    @sumi.node("py.sleep", inputs={"x": "Scalar"}, outputs={"y": "Scalar"},
               params={"seconds": sumi.Param(float, 0.0)}, cacheable=False)
    def sleep(x, seconds):
        time.sleep(seconds)
        return x

    @sumi.node("py.zero", outputs={"y": "Scalar"})
    def zero():
        return 0.0

    g = sumi.Graph()
    g.add_node("z", "py.zero")
    g.add_node("s1", "py.sleep", seconds=0.01)
    g.add_node("s2", "py.sleep", seconds=0.01)
    g.link("z.y", "s1.x")
    g.link("s1.y", "s2.x")
    g.set_output("y", "s2.y")
    s = sumi.Session()
    s.run(g, progress=events.append)
    finished = [e["node"] for e in events if e["kind"] == "finished"]
    assert finished == ["z", "s1", "s2"]
    assert events[-1]["fraction"] == 1.0

    g.set_param("s1", "seconds", 3.0)
    token = sumi.CancelToken()
    threading.Timer(0.2, token.cancel).start()
    t0 = time.time()
    with pytest.raises(sumi.Cancelled):
        s.run(g, cancel=token)
    assert time.time() - t0 < 3.5  # stopped before s2 started

    import _thread
    threading.Timer(0.2, _thread.interrupt_main).start()
    t0 = time.time()
    with pytest.raises(KeyboardInterrupt):
        s.run(g)
    assert time.time() - t0 < 3.5


def test_introspection():
    types = sumi.node_types()
    ids = [t.id for t in types]
    assert ids == sorted(ids) and "sketch.rasterise" in ids
    r = sumi.default_registry()["sketch.rasterise"]
    size = next(p for p in r.params if p["name"] == "size")
    assert size["default"] == 256 and size["min"] == 0 and size["max"] == 16384
    assert not size["live"]  # a live control is marked for the editor's sliders
    blend = next(p for p in sumi.default_registry()["latent.project"].params if p["name"] == "blend")
    assert blend["live"] and blend["min"] == 0 and blend["max"] == 1
    assert r.inputs[0]["kind"] == "Strokes"
    assert "Parameters:" in r.__doc__
    assert sumi.Session().models() == []

"""Output nodes (io.save_image and @sumi.node(output_node=True)) run without being graph outputs."""
import os

import sumi


def sink_graph(png, strokes_file):
    g = sumi.Graph(name="py_sink")
    g.add_node("draw", "io.strokes_input", path=str(strokes_file))
    g.add_node("sketch", "sketch.rasterise", size=64)
    g.link("draw.strokes", "sketch.strokes")
    g.add_node("save", "io.save_image", path=str(png))
    g.link("sketch.image", "save.image")
    g.set_output("strokes", "draw.strokes")  # the save is no graph output
    return g


def test_save_image_is_listed_as_an_output_node():
    assert sumi.default_registry()["io.save_image"].output_node
    assert not sumi.default_registry()["io.load_image"].output_node


def test_session_run_writes_the_file_of_an_output_node(tmp_path, strokes_file):
    png = tmp_path / "saved.png"
    s = sumi.Session()
    r = s.run(sink_graph(png, strokes_file))
    assert png.exists()
    status = {n["id"]: n["status"] for n in r.nodes}
    assert status["save"] == "computed"
    assert s.run(sink_graph(png, strokes_file)).computed == 0  # cached, the file is still there
    os.remove(png)
    r = s.run(sink_graph(png, strokes_file))
    assert png.exists(), "a deleted file is written again"
    assert {n["id"]: n["status"] for n in r.nodes}["save"] == "computed"


def test_python_output_node(tmp_path):
    written = []

    @sumi.node("py.test_record", inputs={"image": "Image"}, outputs={"done": "Scalar"}, output_node=True, cacheable=False)
    def record(image):
        written.append(image.shape)
        return 1.0

    assert sumi.default_registry()["py.test_record"].output_node
    g = sumi.Graph()
    g.add_node("load", "io.load_image")
    g.add_node("rec", "py.test_record")
    g.link("load.image", "rec.image")
    g.set_output("image", "load.image")
    import numpy as np
    sumi.Session().run(g, inputs={"load": np.zeros((1, 1, 4, 4), np.float32)})
    assert written == [(1, 1, 4, 4)]


def test_node_records_split_model_loading_from_compute(strokes_file):
    g = sumi.Graph()
    g.add_node("draw", "io.strokes_input", path=str(strokes_file))
    g.add_node("sketch", "sketch.rasterise", size=256)
    g.add_node("split", "face.split")
    g.add_node("enc", "latent.encode", part="nose")
    g.link("draw.strokes", "sketch.strokes")
    g.link("sketch.image", "split.sketch")
    g.link("split.nose", "enc.image")
    g.set_output("latent", "enc.latent")
    s = sumi.Session()
    first = s.run(g).node("enc")
    assert 0 < first["load_ms"] <= first["ms"]
    assert s.run(g, use_cache=False).node("enc")["load_ms"] == 0  # loaded once per session

"""Subgraphs from Python (issue 19): declare a graph's interface, save it,
instantiate it in another graph, expand it, run it with per-inner-node caching."""
import numpy as np
import pytest

import sumi


def soft_lines(path):
    """A subgraph: blur then threshold, with both settings as parameters."""
    g = sumi.Graph(name="soft_lines")
    g.add_node("blur", "image.blur", sigma="$sigma")
    g.add_node("cut", "image.threshold", level="$level")
    g.link("blur.image", "cut.image")
    g.set_variable("sigma", 1.5, doc="blur in pixels")
    g.set_variable("level", 0.9)
    g.set_interface_input("image", "blur.image", doc="the sketch")
    g.set_output("image", "cut.image")
    g.save(path)
    return g


def top_graph(tmp_path, strokes_file, sigma):
    g = sumi.Graph(name="top")
    g.add_node("draw", "io.strokes_input", path=strokes_file)
    g.add_node("sketch", "sketch.rasterise", size="$size")
    g.set_variable("size", 96)
    g.link("draw.strokes", "sketch.strokes")
    g.add_subgraph("soft", tmp_path / "soft.sumi.json", sigma=sigma)
    g.link("sketch.image", "soft.image")
    g.set_output("soft", "soft.image")
    return g


def test_interface_is_declared_and_described(tmp_path):
    sub = soft_lines(tmp_path / "soft.sumi.json")
    assert sub.variables == {"sigma": 1.5, "level": 0.9}
    interface = sumi.Graph.load(tmp_path / "soft.sumi.json").interface()
    assert interface["inputs"] == {"image": {"kind": "Image", "doc": "the sketch", "to": ["blur.image"]}}
    assert interface["outputs"]["image"]["kind"] == "Image"
    assert interface["outputs"]["image"]["source"] == "cut.image"
    assert interface["params"]["sigma"] == {"default": 1.5, "doc": "blur in pixels", "uses": ["blur.sigma"]}
    assert '"version": 2' in sub.to_json()
    sub.validate()  # a subgraph file validates on its own


def test_instantiate_expand_and_run(tmp_path, strokes_file):
    soft_lines(tmp_path / "soft.sumi.json")
    g = top_graph(tmp_path, strokes_file, sigma=3.0)
    g.save(tmp_path / "top.sumi.json")
    loaded = sumi.Graph.load(tmp_path / "top.sumi.json")
    assert loaded == g
    assert loaded.nodes["soft"]["type"] == "subgraph"  # saving keeps the instance

    flat = loaded.expand()
    assert sorted(flat.nodes) == ["draw", "sketch", "soft/blur", "soft/cut"]
    assert flat.nodes["soft/blur"]["params"]["sigma"] == 3.0
    assert flat.nodes["soft/blur"]["inputs"] == {"image": "sketch.image"}
    assert flat.nodes["sketch"]["params"]["size"] == 96
    assert flat.outputs == {"soft": "soft/cut.image"}

    # The instance gives what the same nodes built by hand give.
    by_hand = sumi.Graph()
    by_hand.add_node("draw", "io.strokes_input", path=strokes_file)
    by_hand.add_node("sketch", "sketch.rasterise", size=96)
    by_hand.add_node("blur", "image.blur", sigma=3.0)
    by_hand.add_node("cut", "image.threshold", level=0.9)
    by_hand.link("draw.strokes", "sketch.strokes")
    by_hand.link("sketch.image", "blur.image")
    by_hand.link("blur.image", "cut.image")
    by_hand.set_output("soft", "cut.image")
    s = sumi.Session()
    a = s.run(loaded).outputs["soft"]
    b = sumi.Session().run(by_hand).outputs["soft"]
    assert a.shape == (1, 1, 96, 96)
    assert np.array_equal(a, b)

    # Changing the instance's parameter re-runs only the instance's nodes.
    loaded.set_param("soft", "sigma", 1.0)
    r = s.run(loaded)
    assert r.node("sketch")["status"] == "cached"
    assert r.node("soft/blur")["status"] == "computed"
    assert r.node("soft/cut")["status"] == "computed"
    # A graph variable re-runs everything downstream of the node using it.
    loaded.set_variable("size", 64)
    r = s.run(loaded)
    assert r.outputs["soft"].shape == (1, 1, 64, 64)
    assert r.node("draw")["status"] == "cached"
    assert r.node("sketch")["status"] == "computed"


def test_errors_name_the_path_through_instances(tmp_path, strokes_file):
    soft_lines(tmp_path / "soft.sumi.json")
    g = top_graph(tmp_path, strokes_file, sigma=-2.0)
    g.save(tmp_path / "top.sumi.json")
    g = sumi.Graph.load(tmp_path / "top.sumi.json")
    with pytest.raises(sumi.ValidationError) as info:
        g.validate()
    (e,) = info.value.errors
    assert e.node == "soft/blur" and e.param == "sigma"
    assert e.file.endswith("top.sumi.json > soft (" + str(tmp_path / "soft.sumi.json") + ")")
    g.set_param("soft", "sigam", 1.0)
    with pytest.raises(sumi.ValidationError) as info:
        g.expand()
    assert "did you mean 'sigma'" in str(info.value)

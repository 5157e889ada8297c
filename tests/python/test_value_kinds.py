"""Value kinds registered from Python and from plugins (engine/kind_registry.h):
listed with their doc, colour and origin, values as NumPy arrays both ways,
graph checks that keep them apart from other tensor kinds, a plugin's kind
named by the plugin file, and clashes named on both sides."""
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

import sumi
from conftest import BUILD


def test_builtin_kinds_are_listed_with_docs_and_colours():
    kinds = sumi.kinds()
    # The engine's own kinds are generic; the node libraries register the drawing and face kinds.
    assert kinds[:6] == ["Image", "Mask", "Scalar", "Int", "Bool", "String"]
    assert {"Strokes", "PartSet", "Features", "Frame", "Latent"} <= set(kinds[6:])
    for name in ("Strokes", "PartSet"):
        assert sumi.kind_info(name)["object"] is True and sumi.kind_info(name)["origin"] == "built-in", name
    assert sumi.kind_info("Image")["object"] is False and sumi.kind_info("Frame")["object"] is False
    info = sumi.kind_info("Features")
    assert info["origin"] == "built-in" and info["colour"].startswith("#") and "feature maps" in info["doc"]
    with pytest.raises(sumi.Error, match="unknown value kind 'Nope'"):
        sumi.kind_info("Nope")


def test_a_kind_registered_in_python_carries_arrays_between_nodes():
    assert sumi.register_kind("PyDepth", "per-pixel depth, N x 1 x H x W", "#4f8f6b") == "PyDepth"
    assert sumi.register_kind("PyDepth") == "PyDepth"  # again from the same origin: the same kind
    assert "PyDepth" in sumi.kinds()
    assert sumi.kind_info("PyDepth") == {"name": "PyDepth", "doc": "per-pixel depth, N x 1 x H x W",
                                         "colour": "#4f8f6b", "origin": "python", "record": False, "object": False}
    reg = sumi.Registry()

    @sumi.node("kinds.ramp", outputs={"depth": "PyDepth"}, registry=reg)
    def ramp():
        return np.arange(12, dtype=np.float32).reshape(1, 1, 3, 4)

    @sumi.node("kinds.far", inputs={"depth": "PyDepth"}, outputs={"far": "Mask"}, registry=reg)
    def far(depth):
        assert depth.shape == (1, 1, 3, 4) and depth.dtype == np.float32
        return (depth > 5).astype(np.float32)

    @sumi.node("kinds.features_in", inputs={"features": "Features"}, outputs={"out": "Scalar"}, registry=reg)
    def features_in(features):
        return 0.0

    g = sumi.Graph()
    g.add_node("ramp", "kinds.ramp")
    g.add_node("far", "kinds.far")
    g.link("ramp.depth", "far.depth")
    g.set_output("far", "far.far")
    g.set_output("depth", "ramp.depth")
    r = sumi.Session(reg).run(g)
    assert r.outputs["depth"].shape == (1, 1, 3, 4)
    assert np.array_equal(r.outputs["depth"].ravel(), np.arange(12))
    assert r.outputs["far"].sum() == 6

    g.add_node("sink", "kinds.features_in")
    g.link("ramp.depth", "sink.features")
    with pytest.raises(sumi.ValidationError, match="PyDepth"):
        sumi.Session(reg).run(g)


def test_a_record_kind_carries_dicts_between_nodes_and_caches_on_content():
    assert sumi.register_kind("PyPalette", "named colours", "#c08040", record=True) == "PyPalette"
    assert sumi.kind_info("PyPalette")["record"] is True
    with pytest.raises(sumi.Error, match="already registered as a record kind"):
        sumi.register_kind("PyPalette")  # the same name as a tensor kind
    reg = sumi.Registry()
    calls = []

    @sumi.node("kinds.palette", inputs={"image": "Image"}, outputs={"palette": "PyPalette"}, registry=reg)
    def palette(image):
        calls.append("palette")
        means = [float(image[0, c].mean()) for c in range(3)]
        # key order and NumPy scalars must not matter: the document is JSON, hashed with sorted keys
        return {"name": "mean", "colours": [means], "count": np.int64(1), "meta": {"b": None, "a": True}}

    @sumi.node("kinds.count", inputs={"palette": "PyPalette"}, outputs={"n": "Int"}, registry=reg)
    def count(palette):
        calls.append("count")
        assert palette["meta"] == {"a": True, "b": None}
        return len(palette["colours"]) + palette["count"]

    @sumi.node("kinds.green", outputs={"image": "Image"}, registry=reg)
    def green():
        image = np.zeros((1, 3, 4, 4), np.float32)
        image[0, 1] = 0.5
        return image

    g = sumi.Graph()
    g.add_node("green", "kinds.green")
    g.add_node("palette", "kinds.palette")
    g.add_node("count", "kinds.count")
    g.link("green.image", "palette.image")
    g.link("palette.palette", "count.palette")
    g.set_output("palette", "palette.palette")
    g.set_output("n", "count.n")
    s = sumi.Session(reg)
    r = s.run(g)
    assert r.outputs["palette"]["colours"] == ((0.0, 0.5, 0.0),)  # JSON arrays come back as tuples
    assert r.outputs["palette"]["count"] == 1 and r.outputs["n"] == 2
    # fed in place of the node's output: the same document in another key order is the same value
    doc = {"colours": [[1, 2, 3], [4, 5, 6]], "count": 0, "meta": {"a": True, "b": None}}
    assert s.run(g, outputs=["n"], inputs={"palette.palette": doc}).outputs["n"] == 2
    calls.clear()
    same = {"meta": {"b": None, "a": True}, "count": 0, "colours": ((1, 2, 3), (4, 5, 6))}
    assert s.run(g, outputs=["n"], inputs={"palette.palette": same}).outputs["n"] == 2
    assert calls == []  # count was a cache hit
    # what is not a JSON object is refused, naming the port
    with pytest.raises(sumi.Error, match="palette"):
        s.run(g, outputs=["n"], inputs={"palette.palette": {"colours": object()}})
    with pytest.raises(sumi.Error, match="palette"):
        s.run(g, outputs=["n"], inputs={"palette.palette": [1, 2]})
    with pytest.raises(sumi.Error, match="NaN or an infinity"):
        s.run(g, outputs=["n"], inputs={"palette.palette": {"colours": [float("nan")]}})


def test_library_tensor_kinds_check_ranks_and_add_a_missing_batch_dimension():
    # Latent (latent library) and Features (synth library) are registered tensor kinds with declared ranks.
    assert sumi.kind_info("Latent")["origin"] == "built-in" and sumi.kind_info("Latent")["record"] is False
    reg = sumi.Registry()
    given = {}

    @sumi.node("kinds.code", outputs={"z": "Latent", "f": "Features"}, registry=reg)
    def code():
        return {"z": given["z"], "f": np.ones((3, 2, 2), np.float32)}

    @sumi.node("kinds.shapes", inputs={"z": "Latent", "f": "Features"}, outputs={"s": "String"}, registry=reg)
    def shapes(z, f):
        return f"{z.shape} {f.shape}"

    g = sumi.Graph()
    g.add_node("code", "kinds.code")
    g.add_node("shapes", "kinds.shapes")
    g.link("code.z", "shapes.z")
    g.link("code.f", "shapes.f")
    g.set_output("s", "shapes.s")
    given["z"] = np.arange(8, dtype=np.float32)  # a D-vector: becomes 1 x D
    assert sumi.Session(reg).run(g).outputs["s"] == "(1, 8) (1, 3, 2, 2)"
    given["z"] = np.zeros((1, 1, 4, 4), np.float32)
    with pytest.raises(sumi.Error, match=r"port 'z'.*a Latent needs shape N x D or N x L x D, got \[1, 1, 4, 4\]"):
        sumi.Session(reg).run(g)
    given["z"] = "codes.npy"
    with pytest.raises(sumi.Error, match="give an array, not a path, for a Latent"):
        sumi.Session(reg).run(g)


def test_bad_names_are_refused():
    with pytest.raises(sumi.Error, match="is a built-in kind"):
        sumi.register_kind("Image")
    with pytest.raises(sumi.Error, match="must start with a letter"):
        sumi.register_kind("2d")
    with pytest.raises(sumi.Error, match="#rrggbb"):
        sumi.register_kind("Tinted", colour="blue")


def fresh_python(script):
    """Runs `script` in a fresh Python process (kinds are process-wide) and returns its output lines."""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env={"PYTHONPATH": str(BUILD / "python"), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()


def test_a_plugin_kind_is_named_by_its_file_and_a_clash_names_both(tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "fx_normals.py").write_text(
        "import numpy as np\nimport sumi\n\n"
        "sumi.register_kind('Normals', 'surface normals, N x 3 x H x W, unit vectors', '#7a5fd6')\n\n"
        "@sumi.node('fx.flat_normals', outputs={'normals': 'Normals'})\n"
        "def flat_normals():\n"
        "    n = np.zeros((1, 3, 2, 2), np.float32)\n"
        "    n[:, 2] = 1\n"
        "    return n\n")
    plugin = str((plugins / "fx_normals.py").resolve())
    # In a fresh process: kinds are process-wide, and this one must meet the plugin first.
    script = (
        "import sumi\n"
        f"r = sumi.load_plugins({str(plugins)!r}, registry=sumi.Registry())\n"
        "assert r.errors == [], r.errors\n"
        "print(sumi.kind_info('Normals')['origin'])\n"
        "try:\n"
        "    sumi.register_kind('Normals')\n"
        "except sumi.Error as e:\n"
        "    print('clash:', e)\n")
    origin, clash = fresh_python(script)
    assert origin == plugin
    assert f"'Normals' is already defined by {plugin}" in clash and "registering it from python" in clash


def test_a_plugins_object_kind_crosses_into_python_through_its_json(tmp_path):
    """A C++ plugin's object kind (its own struct, with JSON hooks): its values come back to Python as the
    kind's JSON document and are fed from one; a document the kind refuses is its error."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    shutil.copy(BUILD / "tests" / "plugins" / "object_kind_plugin.so", plugins / "object_kind_plugin.so")
    script = (
        "import sumi\n"
        f"reg = sumi.Registry()\nr = sumi.load_plugins({str(plugins)!r}, registry=reg)\n"
        "assert r.errors == [], r.errors\n"
        "info = sumi.kind_info('TestMesh')\n"
        "assert info['object'] and not info['record'] and info['origin'].endswith('object_kind_plugin.so'), info\n"
        "g = sumi.Graph(name='mesh')\n"
        "g.add_node('make', 'fx.mesh_make', n=3)\n"
        "g.add_node('scale', 'fx.mesh_scale', factor=2.0)\n"
        "g.link('make.mesh', 'scale.mesh')\n"
        "g.set_output('mesh', 'scale.mesh')\n"
        "s = sumi.Session(registry=reg)\n"
        "print(s.run(g).outputs['mesh'])\n"
        "print(s.run(g, inputs={'make': {'vertices': [1.5, -1]}}).outputs['mesh'])\n"
        "try:\n"
        "    s.run(g, inputs={'make': {'vertices': 'x'}})\n"
        "except sumi.Error as e:\n"
        "    print('refused:', e)\n")
    made, fed, refused = fresh_python(script)
    assert made == "{'vertices': (0.0, 2.0, 4.0)}"  # JSON arrays as tuples, as for record kinds
    assert fed == "{'vertices': (3.0, -2.0)}"
    assert "refused:" in refused and "TestMesh is {\"vertices\": [numbers]}" in refused, refused


def test_the_node_catalogue_says_which_kinds_are_objects():
    """`sumi nodes --json` (and the editor's GET /api/nodes, the same document) lists every kind with its storage."""
    out = subprocess.run([str(BUILD / "cli" / "sumi"), "nodes", "--json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    kinds = {k["name"]: k for k in json.loads(out.stdout)["kinds"]}
    assert kinds["Strokes"]["object"] and kinds["PartSet"]["object"] and not kinds["Strokes"]["record"]
    assert not kinds["Image"]["object"] and kinds["Frame"]["record"] and not kinds["Frame"]["object"]

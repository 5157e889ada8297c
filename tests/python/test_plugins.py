"""Plugins from Python: sumi.load_plugins with the example C++ and Python
plugins, origins, bad packs named while the others load, duplicates naming
both files, and $SUMI_PLUGIN_PATH honoured on import."""
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

import sumi
from conftest import BUILD, ROOT

EXAMPLES = BUILD / "examples" / "plugins"
TEST_PLUGINS = BUILD / "tests" / "plugins"
# The subprocesses import this same package, from any folder.
PYTHONPATH = str(pathlib.Path(sumi.__file__).resolve().parent.parent)
SHARPEN = str((EXAMPLES / "fx_sharpen.so").resolve())
POSTERIZE = str((EXAMPLES / "fx_posterize.py").resolve())


@pytest.fixture
def registry():
    return sumi.Registry()


def test_example_plugins_load_with_their_origin_and_run(registry):
    report = sumi.load_plugins(EXAMPLES, registry=registry)
    assert report.errors == []
    assert sorted(report.loaded) == sorted([SHARPEN, POSTERIZE])
    assert registry["fx.sharpen"].origin == SHARPEN
    assert registry["fx.posterize"].origin == POSTERIZE
    assert registry["image.blur"].origin == "built-in"
    assert "origin: " + SHARPEN in registry["fx.sharpen"].help()

    g = sumi.Graph.load(str(ROOT / "examples" / "plugins" / "poster.sumi.json"))
    s = sumi.Session(registry, threads=2)  # the Python node runs on a TBB worker thread
    r = s.run(g)
    face = sumi.Session(registry).run(g, outputs=["load.image"]).outputs["load.image"]
    sharpened, poster = r.outputs["sharpened"], r.outputs["poster"]
    assert sharpened.shape == face.shape == poster.shape
    assert np.abs(sharpened - face).max() > 0.05  # sharpening changed edges
    assert np.all((sharpened >= 0) & (sharpened <= 1))
    assert np.allclose(poster * 3, np.round(poster * 3), atol=1e-5)  # 4 levels: 0, 1/3, 2/3, 1
    assert np.abs(poster - sharpened).max() <= 1 / 6 + 1e-6  # the nearest of 4 levels
    assert s.run(g).cached == 3  # cached like any node

    # Loading again adds nothing.
    again = sumi.load_plugins(EXAMPLES, registry=registry)
    assert again.loaded == [] and again.errors == []


def test_python_plugins_run_into_the_given_registry_only(registry):
    sumi.load_plugins(EXAMPLES, registry=registry)
    assert "fx.posterize" in registry
    assert "fx.posterize" not in sumi.Registry()


def test_bad_plugins_are_named_and_the_others_load(tmp_path, registry):
    d = tmp_path / "mixed"
    d.mkdir()
    shutil.copy(EXAMPLES / "fx_sharpen.so", d / "fx_sharpen.so")
    shutil.copy(EXAMPLES / "fx_posterize.py", d / "fx_posterize.py")
    shutil.copy(TEST_PLUGINS / "wrong_version_plugin.so", d / "wrong_version.so")
    (d / "broken.so").write_text("not ELF\n")
    (d / "syntax_error.py").write_text("import sumi\n\ndef f(:\n    pass\n")
    (d / "raises.py").write_text("import sumi\n\nraise RuntimeError('no licence key')\n")
    (d / "empty.py").write_text("x = 1\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = sumi.load_plugins(d, registry=registry)
    errors = dict(report.errors)
    real = {name: str((d / name).resolve()) for name in os.listdir(d)}
    assert sorted(report.loaded) == sorted([real["fx_sharpen.so"], real["fx_posterize.py"]])
    assert "cannot load the library" in errors[real["broken.so"]]
    assert "built against Sumi plugin API version 999, but this Sumi has version 3" in errors[real["wrong_version.so"]]
    assert "SyntaxError" in errors[real["syntax_error.py"]] and "line 3" in errors[real["syntax_error.py"]]
    assert "RuntimeError: no licence key" in errors[real["raises.py"]]
    assert "registers no node types" in errors[real["empty.py"]]
    assert len(report.errors) == 5
    assert len(caught) == 5
    assert any(real["broken.so"] in str(w.message) for w in caught)
    assert "fx.sharpen" in registry and "fx.posterize" in registry

    with pytest.raises(sumi.Error, match="wrong_version.so"):
        sumi.load_plugins(d, registry=sumi.Registry(), strict=True)


def test_a_duplicate_id_across_packs_names_both_files(tmp_path, registry):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    shutil.copy(EXAMPLES / "fx_posterize.py", tmp_path / "one" / "posterize.py")
    shutil.copy(EXAMPLES / "fx_posterize.py", tmp_path / "two" / "posterize_too.py")
    first = str((tmp_path / "one" / "posterize.py").resolve())
    second = str((tmp_path / "two" / "posterize_too.py").resolve())
    with pytest.warns(RuntimeWarning, match="already defined by " + first):
        report = sumi.load_plugins(tmp_path / "one", tmp_path / "two", registry=registry)
    assert report.loaded == [first]
    assert report.errors == [(second, f"node type 'fx.posterize' is already defined by {first}: "
                                      "the plugin is not loaded (rename one of them)")]
    assert registry["fx.posterize"].origin == first


def test_sumi_plugin_path_is_loaded_on_import(tmp_path):
    code = ("import sumi\n"
            "t = {n.id: n.origin for n in sumi.node_types()}\n"
            "print(t['fx.sharpen']); print(t['fx.posterize']); print(t['image.blur'])\n")
    env = dict(os.environ, SUMI_PLUGIN_PATH=str(EXAMPLES), PYTHONPATH=PYTHONPATH)
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [SHARPEN, POSTERIZE, "built-in"]

    # A broken plugin on the path is a warning naming it; import still works.
    (tmp_path / "sumi_plugins").mkdir()
    (tmp_path / "sumi_plugins" / "bad.py").write_text("raise ValueError('bad plugin')\n")
    env = dict(os.environ, PYTHONPATH=PYTHONPATH)
    env.pop("SUMI_PLUGIN_PATH", None)
    out = subprocess.run([sys.executable, "-c", "import sumi; print(len(sumi.node_types()))"], env=env, cwd=tmp_path,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert str((tmp_path / "sumi_plugins" / "bad.py").resolve()) in out.stderr
    assert "ValueError: bad plugin" in out.stderr


def test_origin_of_a_node_defined_in_python(registry):
    @sumi.node("test.plugin_origin", inputs={"image": "Image"}, outputs={"image": "Image"}, registry=registry)
    def same(image):
        return image

    assert registry["test.plugin_origin"].origin == "python: " + __file__


PACKAGE_INIT = "from .filters import invert  # noqa: F401\n"
PACKAGE_FILTERS = """import sumi
from ._helpers import flip


@sumi.node("pack.invert", inputs={"image": "Image"}, outputs={"image": "Image"})
def invert(image):
    return flip(image)
"""


def test_a_python_package_is_a_plugin(tmp_path, registry):
    """A folder with __init__.py is one pack: its modules import each other relatively; its
    origin is the folder; an error in one of its modules names the package and that module's line."""
    pack = tmp_path / "plugins" / "image_pack"
    pack.mkdir(parents=True)
    (pack / "__init__.py").write_text(PACKAGE_INIT)
    (pack / "filters.py").write_text(PACKAGE_FILTERS)
    (pack / "_helpers.py").write_text("def flip(image):\n    return 1.0 - image\n")
    (tmp_path / "plugins" / "not_a_package").mkdir()  # a plain folder is not a plugin
    (tmp_path / "plugins" / "not_a_package" / "x.py").write_text("raise SystemExit('not loaded')\n")
    report = sumi.load_plugins(tmp_path / "plugins", registry=registry)
    assert report.errors == []
    assert report.loaded == [str(pack.resolve())]
    assert registry["pack.invert"].origin == str(pack.resolve())
    g = sumi.Graph(name="inverted")
    g.add_node("load", "io.load_image")
    g.add_node("invert", "pack.invert")
    g.link("load.image", "invert.image")
    g.set_output("inverted", "invert.image")
    image = np.full((1, 3, 8, 8), 0.25, dtype=np.float32)
    out = sumi.Session(registry).run(g, inputs={"load": image}).outputs["inverted"]
    assert np.allclose(out, 0.75)

    broken = tmp_path / "broken" / "bad_pack"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text(PACKAGE_INIT)
    (broken / "filters.py").write_text("import sumi\n\n\ndef helper():\n    raise ValueError('bad calibration')\n\n\nhelper()\n")
    with pytest.warns(RuntimeWarning, match="bad_pack"):
        report = sumi.load_plugins(tmp_path / "broken", registry=sumi.Registry())
    [(file, reason)] = report.errors
    assert file == str(broken.resolve())
    assert "filters.py\", line 5" in reason and "ValueError: bad calibration" in reason
    # Nothing of the failed package stays importable under its plugin name.
    assert not [m for m in sys.modules if m.startswith("sumi_plugin_bad_pack")]


def test_ctrl_c_while_a_plugin_loads_stops_the_loading(tmp_path):
    """Ctrl-C during a slow plugin raises KeyboardInterrupt out of sumi.load_plugins at once,
    rather than being reported as that plugin's failure while the loading goes on."""
    d = tmp_path / "slow"
    d.mkdir()
    (d / "a_slow.py").write_text("import pathlib, time\npathlib.Path(__file__).with_suffix('.started').touch()\n"
                                 "time.sleep(60)\n")
    (d / "b_fine.py").write_text((EXAMPLES / "fx_posterize.py").read_text())
    script = ("import sumi, time\nt = time.time()\ntry:\n"
              f"    sumi.load_plugins({str(d)!r})\n    print('RETURNED')\n"
              "except KeyboardInterrupt:\n"
              "    print('INTERRUPTED', 'fx.posterize' in sumi.default_registry(), round(time.time() - t, 1))\n")
    p = subprocess.Popen([sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": PYTHONPATH},
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(300):
            if (d / "a_slow.started").exists() or p.poll() is not None:
                break
            time.sleep(0.1)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
    finally:
        p.kill()
    assert out.split()[:2] == ["INTERRUPTED", "False"], out + err
    assert float(out.split()[2]) < 30
    assert "RuntimeWarning" not in err

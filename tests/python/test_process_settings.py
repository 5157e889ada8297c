"""Creating a session and running a graph leave the host process's own settings
alone (issue 22, item 2; issue 19, item 7): LibTorch's threads on the calling
thread and OpenBLAS's threads are what the caller set. Only the explicit
sumi.configure_threads() changes process-wide settings. Each check runs in a
fresh interpreter, so no earlier test's configure_threads() hides a change."""
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import BUILD, ROOT

CHECK = textwrap.dedent("""
    import ctypes, json, sys
    import torch
    import sumi

    def openblas():
        for line in open("/proc/self/maps"):
            if "libopenblas" in line:
                return ctypes.CDLL(line.split()[-1])
        return None

    blas = openblas()
    torch.set_num_threads(2)
    if blas:
        blas.openblas_set_num_threads(2)
    before = [torch.get_num_threads(), blas.openblas_get_num_threads() if blas else None]
    if sys.argv[1] == "configure":
        sumi.configure_threads(0)
    else:
        s = sumi.Session()
        g = sumi.Graph.load(sys.argv[2])
        r = s.run(g, inputs={"draw": sys.argv[3]})
        assert r.computed > 0
    after = [torch.get_num_threads(), blas.openblas_get_num_threads() if blas else None]
    print(json.dumps({"before": before, "after": after}))
""")


def settings(*args):
    env = dict(os.environ, PYTHONPATH=str(BUILD / "python"))
    env.pop("SUMI_BOOST", None)
    out = subprocess.run([sys.executable, "-c", CHECK, *args], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    import json
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_session_and_a_portrait_run_change_no_process_setting():
    r = settings("run", str(ROOT / "graphs" / "deepfacedrawing.sumi.json"), str(ROOT / "examples" / "face.strokes.json"))
    assert r["after"] == r["before"], r


def test_configure_threads_is_the_explicit_call_that_does():
    if (os.cpu_count() or 1) < 2:
        pytest.skip("needs 2 cores")
    r = settings("configure")
    assert r["after"][0] == 1, r  # LibTorch: one thread per TBB worker
    if r["before"][1] is not None:
        assert r["after"][1] == 1, r  # BLAS on the calling thread

"""sumi.dask.map_graph on a LocalCluster of two worker processes: outputs equal
single-process runs bit for bit, failures come back per item, models load
once per worker."""
import pytest

distributed = pytest.importorskip("distributed")

import numpy as np  # noqa: E402

import sumi  # noqa: E402
import sumi.dask  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_outputs_equal_single_process_runs_bit_for_bit(client, root, tmp_path):
    fixture = root / "models" / "data"
    parts = [{"draw": f} for f in sorted((root / "examples").glob("*.strokes.json"))]
    faces = [{"sketch": fixture / "fixture" / "faces" / "00000" / "sketch.png"},
             {"sketch": fixture / "fixture_styles" / "faces" / "00000" / "sketch.png"}]
    s = sumi.Session()
    for graph, items in (("graphs/sketch_parts.sumi.json", parts), ("graphs/deepfacedrawing.sumi.json", faces)):
        results = sorted(sumi.dask.map_graph(client, root / graph, items), key=lambda r: r.index)
        assert [r.status for r in results] == ["done"] * len(items), [r.error for r in results]
        for r, item in zip(results, items):
            ref = s.run(root / graph, inputs=item).outputs
            assert sorted(r.values) == sorted(ref)
            for name, value in ref.items():
                assert np.array_equal(r.values[name], value), (graph, r.input, name)
    # Each worker loaded the portrait models once, into its own session.
    loaded = client.run(lambda dask_worker: len(dask_worker.plugins[sumi.dask.PLUGIN].session.models()))
    assert len(loaded) == 2 and all(n > 0 for n in loaded.values())


def test_files_failures_and_resume(client, root, tmp_path):
    corrupt = tmp_path / "corrupt.strokes.json"
    corrupt.write_text("{ not json")
    good = sorted((root / "examples").glob("*.strokes.json"))
    items = [{"draw": f} for f in good] + [{"draw": corrupt}]
    out = tmp_path / "out"
    results = list(sumi.dask.map_graph(client, root / "graphs/sketch_parts.sumi.json", items, out=out))
    by_status = {}
    for r in results:
        by_status.setdefault(r.status, []).append(r)
    assert len(by_status["done"]) == len(good)
    [failed] = by_status["failed"]
    assert "corrupt.strokes.json" in failed.error
    for r in by_status["done"]:
        assert all(p.startswith(str(out)) and p.endswith(".png") for p in r.outputs)
    assert len((out / "results.jsonl").read_text().splitlines()) == len(items)
    again = list(sumi.dask.map_graph(client, root / "graphs/sketch_parts.sumi.json", items, out=out, resume=True))
    assert sorted(r.status for r in again) == ["failed"] + ["skipped"] * len(good)
    # What the cluster wrote, sumi.batch resumes (the same stamps).
    local = list(sumi.batch(root / "graphs/sketch_parts.sumi.json", items[:-1], out=out, resume=True))
    assert {r.status for r in local} == {"skipped"}

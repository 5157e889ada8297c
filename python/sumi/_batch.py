"""sumi.batch: one graph over many inputs in one process (models load once).

    for r in sumi.batch("graphs/deepfacedrawing.sumi.json",
                        [{"draw": f} for f in sorted(glob.glob("drawings/*.strokes.json"))],
                        out="portraits", resume=True, progress=True):
        if r.status == "failed":
            print(r.input, r.error)

The Python side of `sumi batch` (cli/batch_command.cpp), with the same
semantics: outputs go to OUT/<input stem>/<output>.png, written atomically once
the item's run succeeded, then a stamp for `resume` (OUT/.sumi-batch/, the
CLI's format and digest, so either one resumes the other's work); a failed
item is reported with its file and the reason and the batch goes on;
OUT/results.jsonl gets one line per item. Items run side by side in a thread
pool on one shared Session (runs release the GIL), `jobs` x LibTorch threads
<= cores.

The pieces that do not depend on where an item runs (_Plan, _Prepared,
BatchResult, _Driver) are shared with sumi.dask.
"""
from __future__ import annotations

import collections
import concurrent.futures as cf
import ctypes
import hashlib
import itertools
import json
import os
import struct
import sys
import threading
import time
from collections.abc import Sized
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from . import _sumi

DEFAULT_NAME = "{stem}/{output}"
STAMP_DIR = ".sumi-batch"
RESULTS_FILE = "results.jsonl"


@dataclass
class BatchResult:
    """One item of a batch.

    input:    the file that names the item (its first file input), or "#<index>"
    status:   "done", "failed" or "skipped" (resume found its outputs)
    outputs:  the files written (with out=...), else []
    error:    why it failed ("" otherwise); names the file
    ms:       wall time of the item
    index:    its position in `inputs`
    values:   the outputs in memory by name (only without out=...)
    warnings: "node (type): message" for each node that warned
    """
    input: str
    status: str
    outputs: List[str] = field(default_factory=list)
    error: str = ""
    ms: float = 0.0
    index: int = 0
    values: Optional[Dict[str, Any]] = None
    warnings: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in ("done", "skipped")

    def to_json(self) -> str:
        """The results.jsonl line, as `sumi batch` writes it."""
        line: Dict[str, Any] = {"input": self.input, "outputs": self.outputs, "status": self.status,
                                "ms": round(self.ms, 1)}
        if self.error:
            line["error"] = self.error
        return json.dumps(line, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# ---- the digest and stamps shared with `sumi batch` ---------------------------------------

def _load_xxh3():
    """XXH3-64 from the system's libxxhash (what the engine's Hasher uses), or None."""
    for name in ("libxxhash.so.0", "libxxhash.so"):
        try:
            lib = ctypes.CDLL(name)
            fn = lib.XXH3_64bits
        except (OSError, AttributeError):
            continue
        fn.restype = ctypes.c_uint64
        fn.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
        return fn
    return None


_XXH3 = _load_xxh3()


def _hash64(data: bytes) -> str:
    # Without libxxhash the stamps still work for Python batches, under names the CLI will not find.
    if _XXH3 is not None:
        return f"{_XXH3(data, len(data)):016x}"
    return "py" + hashlib.blake2b(data, digest_size=8).hexdigest()


class _Hasher:
    """The engine's Hasher.add(string): a native uint64 length, then the bytes (one XXH3 over all)."""

    def __init__(self):
        self._parts: List[bytes] = []

    def add(self, data: Union[str, bytes]) -> "_Hasher":
        b = data.encode() if isinstance(data, str) else data
        self._parts += [struct.pack("=Q", len(b)), b]
        return self

    def digest(self) -> str:
        return _hash64(b"".join(self._parts))


def _read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise _sumi.Error(f"{path}: cannot read the file: {e.strerror or e}") from None


def _fed_bytes(value: Any) -> Optional[bytes]:
    """A canonical byte form of a fed value for the resume digest; None when there is none."""
    if isinstance(value, (bool, int, float, str)):
        return repr(value).encode()
    if isinstance(value, (dict, list, tuple)):
        try:
            return json.dumps(value, sort_keys=True).encode()
        except (TypeError, ValueError):
            return None
    if "torch" in sys.modules and isinstance(value, sys.modules["torch"].Tensor):
        value = value.detach().cpu().numpy()
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy comes with the module
        return None
    if isinstance(value, np.ndarray):
        a = np.ascontiguousarray(value)
        return f"{a.dtype.str}{a.shape}".encode() + a.tobytes()
    return None


def _write_atomic(path: str, data: bytes) -> None:
    """Writes to a temporary file beside `path`, then renames it over: never a half-written file."""
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise _sumi.Error(f"{path}: cannot write the file: {e.strerror or e}") from None


# ---- writing outputs as `sumi batch` does (cli/graph_setup.cpp, nodes/common/png.cpp) -----

def _encode_png(image) -> bytes:
    """An N=1 x C x H x W float image (0..1) as PNG bytes, rounded like the engine's encoder."""
    import numpy as np
    try:
        import cv2
    except ImportError:
        raise _sumi.Error("writing PNG files needs OpenCV for Python (Debian: python3-opencv)") from None
    a = np.asarray(image, dtype=np.float32)
    if a.ndim == 4:
        if a.shape[0] != 1:
            raise _sumi.Error(f"batches of {a.shape[0]} images are not supported here; give one image")
        a = a[0]
    if a.ndim != 3 or a.shape[0] not in (1, 3, 4):
        raise _sumi.Error(f"cannot write an image of shape {tuple(np.shape(image))} as PNG")
    # cv::Mat::convertTo(CV_8U, 255): float multiply, round half to even, saturate (NaN -> 0).
    scaled = np.nan_to_num(a.transpose(1, 2, 0) * np.float32(255), nan=0.0)
    u8 = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    if u8.shape[2] == 1:
        u8 = u8[:, :, 0]
    elif u8.shape[2] == 3:
        u8 = np.ascontiguousarray(u8[:, :, ::-1])  # RGB -> BGR
    else:
        u8 = np.ascontiguousarray(u8[:, :, [2, 1, 0, 3]])  # RGBA -> BGRA
    ok, buf = cv2.imencode(".png", u8)
    if not ok:
        raise _sumi.Error("PNG encoding failed")
    return buf.tobytes()


def _write_output(base: str, kind: str, value: Any) -> List[str]:
    """Writes one output as `base`.png (images, masks; _<part>.png per part) or .strokes.json."""
    if kind in ("Image", "Mask"):
        _write_atomic(base + ".png", _encode_png(value))
        return [base + ".png"]
    if kind == "PartSet":
        files = []
        for part in value:
            path = f"{base}_{part['name']}.png"
            _write_atomic(path, _encode_png(part["image"]))
            files.append(path)
        return files
    if kind == "Strokes":
        _write_atomic(base + ".strokes.json", json.dumps(value, indent=2).encode())
        return [base + ".strokes.json"]
    return []  # latents, features, numbers: only in results' values (without out=)


# ---- naming --------------------------------------------------------------------------------

def stem_of(path: str) -> str:
    """"faces/a.strokes.json" -> "a"; "b.png" -> "b" (as `sumi batch` names outputs)."""
    s = os.path.basename(path)
    for ext in (".strokes.json", ".sumi.json"):
        if s.lower().endswith(ext):
            return s[:-len(ext)]
    dot = s.rfind(".")
    return s[:dot] if dot > 0 else s


def expand_name(pattern: str, stem: str, index: int, width: int, output: str, parent: str = "") -> str:
    return (pattern.replace("{stem}", stem).replace("{index}", f"{index:0{width}d}")
            .replace("{parent}", parent).replace("{output}", output))


# ---- the plan every item shares, and one item ----------------------------------------------

@dataclass
class _Prepared:
    """One item, checked and resolved (file paths absolute): picklable, so it can go to a Dask worker."""
    index: int
    input: str
    stem: str
    parent: str
    files: List[Tuple[str, str]] = field(default_factory=list)  # input node -> file, set as its 'path' (CLI --in)
    fed: Dict[str, Any] = field(default_factory=dict)  # values fed in place of node outputs (Session.run inputs=)
    fed_files: Dict[str, str] = field(default_factory=dict)  # the fed values that are files (for the digest)
    error: str = ""  # why it cannot run
    key: str = ""  # what names its resume stamp: the absolute input file (made here, not on a worker)


def _param_types(registry, type_id: str) -> Dict[str, str]:
    try:
        return {p["name"]: p["type"] for p in registry[type_id].params}
    except (KeyError, _sumi.Error):
        return {}


class _Plan:
    """The graph with `params` applied, the outputs, the naming and the output folder."""

    def __init__(self, graph, outputs: Optional[Sequence[str]] = None, out: Optional[Union[str, os.PathLike]] = None,
                 params: Optional[Mapping[str, Any]] = None, name: str = DEFAULT_NAME, device: str = "cpu",
                 registry=None):
        self.registry = registry or _sumi.default_registry()
        if isinstance(graph, _sumi.Graph):
            g = graph.copy()
        else:
            g = _sumi.Graph.load(os.fspath(graph))
        self._apply_params(g, params or {})
        g.validate(self.registry)
        self.graph = g
        self.device = device
        self.name = name
        self.out = None if out is None else os.fspath(out)
        graph_outputs = g.outputs
        if outputs is None or len(outputs) == 0:
            outputs = sorted(graph_outputs)  # the engine's std::map order, as the CLI's digest lists them
            if not outputs:
                raise ValueError(f"graph '{g.name}': it names no outputs (give outputs=[\"node.port\", ...])")
        self.outputs = list(outputs)
        self.kinds = {o: self._kind(o, graph_outputs) for o in self.outputs}
        if self.out is not None and "{output}" not in name and len(self.outputs) > 1:
            raise ValueError(f"name '{name}' needs {{output}}: the graph writes several outputs")
        self.path_nodes = {nid for nid, n in g.nodes.items()
                           if _param_types(self.registry, n["type"]).get("path") == "path"}

    def _apply_params(self, g, params: Mapping[str, Any]) -> None:
        """params: {"node.param": value} or {"node": {"param": value}}; file parameters made absolute (as --set)."""
        flat = []
        for key, value in params.items():
            if isinstance(value, Mapping):
                flat += [(key, p, v) for p, v in value.items()]
            elif "." in key:
                node, _, p = key.partition(".")
                flat.append((node, p, value))
            else:
                raise ValueError(f"params: '{key}' must be written 'node.param' (or 'node': {{param: value}})")
        for node, p, value in flat:
            n = g.nodes.get(node)
            if n is None:
                raise ValueError(f"params: no node '{node}' in the graph (nodes: {', '.join(sorted(g.nodes))})")
            if isinstance(value, os.PathLike) or (
                    isinstance(value, str) and value and _param_types(self.registry, n["type"]).get(p) in ("path", "model")):
                value = os.path.abspath(os.fspath(value))
            g.set_param(node, p, value)

    def _kind(self, output: str, graph_outputs: Mapping[str, str]) -> str:
        ref = graph_outputs.get(output)
        if ref is None and "." in output:
            ref = output
        if ref is None:
            raise ValueError(f"graph '{self.graph.name}': no output '{output}' (outputs: {', '.join(sorted(graph_outputs))})")
        node, _, port = ref.partition(".")
        n = self.graph.nodes.get(node)
        if n is None:
            raise ValueError(f"output '{output}': no node '{node}' in the graph")
        if n["type"] == "subgraph":  # an instance's output: the inner node that makes it
            flat = self.graph.expand(self.registry)
            inner = flat.outputs.get(output) if output in graph_outputs else None
            if inner is None:
                raise ValueError(f"output '{output}': name a graph output for an output of subgraph instance '{node}'")
            node, _, port = inner.partition(".")
            n = flat.nodes[node]
        for spec in self.registry[n["type"]].outputs:
            if spec["name"] == port:
                return spec["kind"]
        raise ValueError(f"output '{output}': node '{node}' ({n['type']}) has no output '{port}'")

    def spec(self) -> Dict[str, Any]:
        """What a Dask worker needs to rebuild this plan: the graph as JSON text, resolved here."""
        return {"graph": self.graph.to_json(), "base_dir": self.graph.base_dir, "source": self.graph.source_file,
                "outputs": self.outputs, "out": None if self.out is None else os.path.abspath(self.out),
                "name": self.name, "device": self.device}

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], registry=None) -> "_Plan":
        g = _sumi.Graph.from_json(spec["graph"], spec["source"] or "<graph>")
        g.base_dir = spec["base_dir"]
        return cls(g, spec["outputs"], spec["out"], None, spec["name"], spec["device"], registry)

    # -- items --

    def prepare(self, item: Any, index: int) -> _Prepared:
        """Checks one item of `inputs`; never raises (a bad item becomes a failed one)."""
        p = _Prepared(index=index, input=f"#{index}", stem=str(index), parent="")
        if not isinstance(item, Mapping):
            p.error = (f"item {index}: expected a dict of inputs like {{'draw': 'a.strokes.json'}}, "
                       f"got {type(item).__name__}")
            return p
        lead = None
        for key, value in item.items():
            if not isinstance(key, str) or not key:
                p.error = f"item {index}: input names must be non-empty strings, got {key!r}"
                return p
            if isinstance(value, (str, os.PathLike)):
                path = os.fspath(value)
                if not isinstance(path, str):
                    path = os.fsdecode(path)
                if lead is None:
                    lead = path
                    p.input = path
                if not os.path.isfile(path) and not p.error:
                    p.error = f"{path}: input '{key}': file not found"
                path = os.path.abspath(path)
                if key in self.path_nodes:
                    p.files.append((key, path))
                else:
                    p.fed[key] = path
                    p.fed_files[key] = path
            else:
                p.fed[key] = value
        p.key = os.path.abspath(lead) if lead is not None else p.input
        if lead is not None:
            p.stem = stem_of(lead)
            p.parent = os.path.basename(os.path.dirname(os.path.abspath(lead)))
        return p

    def base_name(self, p: _Prepared, width: int, output: str = "") -> str:
        return expand_name(self.name, p.stem, p.index, width, output, p.parent)

    def _digest(self, g, p: _Prepared) -> Optional[str]:
        """What resume compares; for file inputs set as 'path' the same digest as `sumi batch`'s item_digest."""
        text = g.to_json()
        h = _Hasher().add("sumi batch 1").add(text).add(self.device).add(self.name)
        # Subgraph instances or variables: also what the graph expands to (an edited subgraph file reruns).
        flat = g.expand(self.registry).to_json()
        if flat != text:
            h.add("expanded").add(flat)
        for o in self.outputs:
            h.add(o)
        for node, file in p.files:
            h.add(node).add(_read_bytes(file))
        for key, value in p.fed.items():  # Python only: values fed in place of node outputs
            data = _read_bytes(p.fed_files[key]) if key in p.fed_files else _fed_bytes(value)
            if data is None:
                return None  # no stable form: this item always runs
            h.add("fed:" + key).add(data)
        return h.digest()

    def _stamp_path(self, p: _Prepared, width: int) -> str:
        # One stamp per input and output name (as the CLI's): an input listed twice under different names
        # ({index}) is not skipped on the strength of the other's files.
        key = (p.key or p.input) + "\n" + self.base_name(p, width)
        return os.path.join(self.out, STAMP_DIR, _hash64(key.encode()) + ".json")

    @staticmethod
    def _stamp_holds(stamp: str, digest: str) -> Optional[List[str]]:
        """The outputs a stamp lists when it is for `digest` and they all exist; None otherwise."""
        try:
            with open(stamp, "rb") as f:
                s = json.loads(f.read())
        except (OSError, ValueError):
            return None
        if not isinstance(s, dict) or s.get("digest") != digest or not isinstance(s.get("outputs"), list):
            return None
        files = s["outputs"]
        if not all(isinstance(f, str) and os.path.exists(f) for f in files):
            return None
        return files

    def run(self, session, p: _Prepared, width: int, resume: bool = False, cancel=None) -> BatchResult:
        """Runs one item; every failure becomes a failed result naming the file."""
        r = BatchResult(input=p.input, status="failed", index=p.index)
        t0 = time.perf_counter()
        try:
            if p.error:
                raise _sumi.Error(p.error)
            g = self.graph.copy()
            for node, file in p.files:
                g.set_param(node, "path", file)
            digest = stamp = None
            if self.out is not None:
                digest = self._digest(g, p)
                stamp = self._stamp_path(p, width)
                if resume and digest is not None:
                    files = self._stamp_holds(stamp, digest)
                    if files is not None:
                        r.status, r.outputs = "skipped", files
                        return r
            run = session.run(g, outputs=self.outputs, inputs=p.fed, device=self.device, cancel=cancel)
            r.warnings = list(run.warnings)
            if self.out is None:
                r.values = dict(run.outputs)
            else:
                for name, value in run.outputs.items():
                    base = os.path.join(self.out, self.base_name(p, width, name))
                    folder = os.path.dirname(base)
                    try:
                        os.makedirs(folder, exist_ok=True)
                    except OSError as e:
                        raise _sumi.Error(f"{folder}: cannot create the folder: {e.strerror or e}") from None
                    r.outputs += _write_output(base, self.kinds.get(name, ""), value)
                if digest is not None:
                    _write_atomic(stamp, json.dumps({"input": p.input, "digest": digest, "outputs": r.outputs},
                                                    sort_keys=True, separators=(",", ":")).encode())
            r.status = "done"
        except _sumi.Cancelled:
            r.status = "cancelled"
        except Exception as e:  # noqa: BLE001 - an item's failure must not stop the batch
            msg = str(e) or type(e).__name__
            r.error = msg if p.input in msg else f"{p.input}: {msg}"
        finally:
            r.ms = (time.perf_counter() - t0) * 1000
        return r


# ---- driving a batch: items in, results out as they complete -------------------------------

class _Driver:
    """Iterates the results of a batch as items complete; subclasses run the items somewhere.

    Takes items from `inputs` lazily (a bounded number in flight), checks their
    output names are distinct, writes results.jsonl and reports progress.
    Iterate it to run the batch; close() (or leaving a `with` block) stops it.
    """

    window = 2  # items in flight per job

    def __init__(self, plan: _Plan, inputs: Iterable[Any], jobs: int, resume: bool, progress):
        self.plan = plan
        self.jobs = jobs
        self.resume = resume
        if resume and plan.out is None:
            raise ValueError("resume=True needs out=: it skips items whose output files exist")
        self.total = len(inputs) if isinstance(inputs, Sized) else None
        self._width = len(str(self.total - 1)) if self.total else 1
        self._items = iter(inputs)
        self._index = 0
        self._exhausted = False
        self._pending: Dict[Any, int] = {}  # handle -> index
        self._ready: collections.deque = collections.deque()
        self._taken: Dict[str, str] = {}  # output name -> input
        self._progress = progress
        self.counts = collections.Counter()
        self.started = time.perf_counter()
        self._results = None
        self.results_file = None
        if plan.out is not None:
            if self.total is not None:
                self._check_names_up_front(inputs)
            self._prepare_out()

    def _prepare_out(self) -> None:
        out = self.plan.out
        try:
            os.makedirs(os.path.join(out, STAMP_DIR), exist_ok=True)
        except OSError as e:
            raise _sumi.Error(f"{out}: cannot create the output folder: {e.strerror or e}") from None
        self.results_file = os.path.join(out, RESULTS_FILE)
        try:
            self._results = open(self.results_file, "w", encoding="utf-8")
        except OSError as e:
            raise _sumi.Error(f"{self.results_file}: cannot write the results file: {e.strerror or e}") from None

    def _check_names_up_front(self, inputs: Sequence[Any]) -> None:
        # As `sumi batch`: two items writing the same files is an error before anything runs.
        taken: Dict[str, str] = {}
        for i, item in enumerate(inputs):
            p = self.plan.prepare(item, i)
            name = self.plan.base_name(p, self._width)
            if name in taken and taken[name] != p.input:
                raise ValueError(f"name '{self.plan.name}' gives {taken[name]} and {p.input} the same output files "
                                 "(use {index} or {parent}, or inputs with different names)")
            taken[name] = p.input

    # -- subclasses --
    def _submit(self, p: _Prepared) -> Any:
        raise NotImplementedError

    def _wait(self, handles: List[Any]) -> List[Tuple[Any, BatchResult]]:
        raise NotImplementedError

    def _cancel(self, handles: List[Any]) -> None:
        raise NotImplementedError

    def _shutdown(self) -> None:
        pass

    # -- iteration --
    def __iter__(self) -> Iterator[BatchResult]:
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _top_up(self) -> None:
        while not self._exhausted and len(self._pending) < self.window * self.jobs:
            try:
                item = next(self._items)
            except StopIteration:
                self._exhausted = True
                return
            p = self.plan.prepare(item, self._index)
            self._index += 1
            if self.plan.out is not None and not p.error:
                name = self.plan.base_name(p, self._width)
                if self._taken.setdefault(name, p.input) != p.input:
                    p.error = f"{p.input}: gives the same output files as {self._taken[name]} (use {{index}} in name=)"
            if p.error:  # fails at once, without a trip to a worker
                self._ready.append(BatchResult(input=p.input, status="failed", index=p.index,
                                               error=p.error if p.input in p.error else f"{p.input}: {p.error}"))
                continue
            self._pending[self._submit(p)] = p.index

    def __next__(self) -> BatchResult:
        while True:
            try:
                self._top_up()
            except BaseException:
                self.close()
                raise
            if self._ready:
                r = self._ready.popleft()
                self._record(r, report=True)
                return r
            if not self._pending:
                self.close()
                raise StopIteration
            try:
                done = self._wait(list(self._pending))
            except KeyboardInterrupt:
                self._interrupted()
                raise
            for handle, r in sorted(done, key=lambda d: d[1].index):
                del self._pending[handle]
                if r.status != "cancelled":
                    self._ready.append(r)

    def _record(self, r: BatchResult, report: bool) -> None:
        self.counts[r.status] += 1
        if self._results is not None:
            self._results.write(r.to_json() + "\n")
            self._results.flush()
        if not report or not self._progress:
            return
        finished = sum(self.counts.values())
        if callable(self._progress):
            self._progress(r, finished, self.total)
            return
        if r.status == "failed":
            print(f"sumi: error: {r.error}", file=sys.stderr)
        for w in r.warnings:
            print(f"sumi: warning: {r.input}: {w}", file=sys.stderr)
        total = "?" if self.total is None else self.total
        print(f"[{finished}/{total}] {r.input}: {r.status} ({r.ms:.0f} ms)", file=sys.stderr, flush=True)

    def _interrupted(self) -> None:
        """Ctrl-C: runs in progress are cancelled at a node boundary (they write nothing); no item starts."""
        self.close()
        if self._progress:
            n = sum(self.counts.values())
            print(f"sumi: stopped by Ctrl-C after {n} items; run again with resume=True to go on", file=sys.stderr)

    def close(self) -> None:
        """Stops: items not started are dropped, runs in progress cancelled; what finished is recorded."""
        if self._exhausted and not self._pending and self._results is None:
            return
        self._exhausted = True
        pending, self._pending = list(self._pending), {}
        if pending:
            self._cancel(pending)
            for _, r in self._wait_all(pending):
                if r.status != "cancelled":
                    self._ready.append(r)
        for r in self._ready:  # finished but not yet taken: on record, not reported
            self._record(r, report=False)
        self._ready.clear()
        self._shutdown()
        if self._results is not None:
            self._results.close()
            self._results = None

    def _wait_all(self, handles: List[Any]) -> List[Tuple[Any, BatchResult]]:
        out, left = [], list(handles)
        while left:
            done = self._wait(left)
            out += done
            finished = {id(h) for h, _ in done}
            left = [h for h in left if id(h) not in finished]
        return out

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - nothing to report to at interpreter exit
            pass

    def summary(self) -> str:
        secs = time.perf_counter() - self.started
        c = self.counts
        n = sum(c.values())
        return (f"batch: {c['done']} done, {c['skipped']} skipped, {c['failed']} failed of {n} in {secs:.1f} s "
                f"({c['done'] / secs if secs > 0 else 0:.2f} items/s, {self.jobs} jobs)")


class Batch(_Driver):
    """sumi.batch's iterator: items on a thread pool sharing one Session."""

    def __init__(self, plan: _Plan, inputs: Iterable[Any], session, jobs: int, resume: bool, progress):
        super().__init__(plan, inputs, jobs, resume, progress)
        self.session = session
        self._cancel_token = _sumi.CancelToken()
        self._pool: Optional[cf.ThreadPoolExecutor] = None

    def _submit(self, p: _Prepared):
        if self._pool is None:
            self._pool = cf.ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="sumi-batch")
        return self._pool.submit(self.plan.run, self.session, p, self._width, self.resume, self._cancel_token)

    def _wait(self, handles):
        done, _ = cf.wait(handles, return_when=cf.FIRST_COMPLETED)
        return [(f, f.result()) for f in done]  # Plan.run never raises

    def _cancel(self, handles):
        self._cancel_token.cancel()
        for f in handles:
            f.cancel()

    def _wait_all(self, handles):
        live = [f for f in handles if not f.cancelled()]
        cf.wait(live)
        return [(f, f.result()) for f in live]

    def _shutdown(self):
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


def _cores() -> int:
    return max(1, os.cpu_count() or 1)  # what the engine counts (std::thread::hardware_concurrency)


def batch(graph, inputs: Iterable[Mapping[str, Any]], outputs: Optional[Sequence[str]] = None,
          out: Optional[Union[str, os.PathLike]] = None, jobs: Optional[int] = None, resume: bool = False,
          params: Optional[Mapping[str, Any]] = None,
          progress: Union[None, bool, Callable[[BatchResult, int, Optional[int]], None]] = None, *,
          name: str = DEFAULT_NAME, device: str = "cpu", session=None) -> Batch:
    """Runs `graph` over many inputs in this process; returns an iterator of
    BatchResult in the order items complete (iterate it to run the batch).

        results = list(sumi.batch("graphs/sketch_parts.sumi.json",
                                  [{"draw": "a.strokes.json"}, {"draw": "b.strokes.json"}], out="out"))

    graph:    a sumi.Graph or a graph-file path.
    inputs:   an iterable of dicts like Session.run's inputs= ({"draw": "a.strokes.json"}, arrays, ...),
              read lazily. A file given for an input node that reads files (a 'path' parameter, e.g.
              io.strokes_input) is set as that parameter, as `sumi batch --in` does; other values are fed.
    outputs:  graph outputs to compute (default: all).
    out:      folder for OUT/<stem>/<output>.png, the resume stamps and results.jsonl; without it nothing
              is written and each result carries its arrays in .values.
    jobs:     items run side by side (default: one per core); each run gets cores / jobs LibTorch threads
              (this sets the process's budget: sumi.configure_threads(jobs)).
    resume:   skip items whose outputs exist from the same graph, parameters, naming and input contents
              (stamps shared with `sumi batch --resume`).
    params:   {"node.param": value} (or {"node": {"param": value}}) applied to the graph, like --set.
    progress: True for a line per item on stderr (failures with their reason), or a callable
              (result, finished, total) where total is None for an iterable of unknown length.
    name:     output files under out, without extension: {stem}, {index}, {parent} (the input's folder),
              {output}.
    session:  a Session to share (its loaded models and cache); default a new one.

    A failed item (a missing or corrupt file, a failing node) comes back with
    status "failed" and the reason, and the batch goes on. Ctrl-C cancels the
    runs in progress (no partial files) and raises KeyboardInterrupt.
    Raises ValueError / sumi.Error / sumi.ValidationError up front for a bad
    graph, outputs, params, naming or output folder.
    """
    plan = _Plan(graph, outputs, out, params, name, device, session.registry if session is not None else None)
    cores = _cores()
    jobs = cores if jobs is None or jobs <= 0 else min(int(jobs), cores)
    if isinstance(inputs, Sized):
        jobs = max(1, min(jobs, len(inputs)))
    _sumi.configure_threads(jobs)  # jobs x LibTorch threads <= cores
    if session is None:
        from . import Session  # the package's wrapper (graph paths, RunResult)
        session = Session(cache_mb=256.0)  # items rarely share results; models live in the model store
    return Batch(plan, inputs, session, jobs, resume, progress)

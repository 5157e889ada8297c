"""Sumi: build, run and extend drawing-to-portrait node graphs from Python.

    import sumi
    g = sumi.Graph.load("graphs/sketch_parts.sumi.json")
    s = sumi.Session()
    r = s.run(g, inputs={"draw": "examples/face.strokes.json"})
    sheet = r.outputs["parts"]          # float32 ndarray, 1 x 3 x H x W, values 0..1

Arrays: results are read-only NumPy arrays that share the engine's memory
(zero-copy for CPU tensors) in the tensor layout, N x C x H x W for images and
N x D for latents; `as_torch=True` returns torch tensors instead (copies: torch
has no read-only tensors). Inputs may be NumPy arrays (H x W, H x W x C or
N x C x H x W; float in 0..1 or uint8), torch tensors (C x H x W or
N x C x H x W), strokes as a dict / list / strokes-file path; they are copied.

Runs release the GIL; Ctrl-C cancels a run cleanly (KeyboardInterrupt).

Many inputs: sumi.batch(graph, [{"draw": "a.strokes.json"}, ...], out="out") in this
process (models load once), sumi.dask.map_graph(client, graph, inputs) on a Dask cluster.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from . import _sumi
from ._sumi import (CancelToken, Cancelled, Error, Graph, NodeType, Registry, ValidationError, configure_threads,
                    default_registry, kind_info, kinds, register_kind)

__all__ = [
    "CancelToken", "Cancelled", "Error", "Graph", "NodeType", "Registry", "RunResult", "Session", "ValidationError",
    "Param", "Input", "Output", "node", "node_types", "configure_threads", "default_registry", "kinds", "kind_info",
    "register_kind", "to_hwc",
    "batch", "Batch", "BatchResult", "load_plugins", "PluginReport",
]


@dataclass
class RunResult:
    """What a run produced: outputs by name, per-node status and timing, counts."""
    outputs: Dict[str, Any]
    nodes: List[Dict[str, Any]]
    computed: int
    cached: int
    total_ms: float
    # "node (type): message" for each node that warned, e.g. face.locate on an empty drawing.
    warnings: List[str] = field(default_factory=list)

    def node(self, node_id: str) -> Dict[str, Any]:
        """The status record of one node: {'id', 'type', 'status', 'ms', 'load_ms'} (+ 'warning' when it warned).

        'load_ms' is the part of 'ms' spent loading models, manifests and banks (their first use in the session).
        """
        for n in self.nodes:
            if n["id"] == node_id:
                return n
        raise KeyError(node_id)


class Session:
    """Runs graphs; keeps results cached across runs so a loop that changes one
    parameter recomputes only what that parameter affects.

        s = sumi.Session(threads=0, cache_mb=1024)
        r = s.run(graph, outputs=["sketch"], inputs={"draw": strokes}, progress=print)
        s.cache_stats()   # {'hits': ..., 'misses': ..., 'entries': ..., 'bytes': ..., ...}

    Thread safety: run() may be called from several threads at once.
    """

    def __init__(self, registry: Optional[Registry] = None, threads: int = 0, cache_mb: float = 1024.0):
        self._s = _sumi.Session(registry, threads, cache_mb)

    def run(self, graph: Union[Graph, str, os.PathLike], outputs: Optional[Sequence[str]] = None,
            inputs: Optional[Mapping[str, Any]] = None, device: str = "cpu", use_cache: bool = True,
            progress: Optional[Callable[[Dict[str, Any]], None]] = None, cancel: Optional[CancelToken] = None,
            as_torch: bool = False) -> RunResult:
        """Runs `graph` (a Graph or a graph-file path).

        outputs: graph output names (or "node.port"); default all.
        inputs: values fed in place of node outputs, by "node" or "node.port": NumPy
                arrays or torch tensors (images N x C x H x W, or H x W [x C]),
                image file paths (str or pathlib.Path) for images and masks,
                strokes files or lists of stroke dicts for strokes, dicts for record kinds
                (a Frame). "node.port" may also name an optional input the graph leaves
                unlinked: the node runs with that value (face.locate's "previous" frame).
        progress: called with {'kind', 'node', 'type', 'ms', 'fraction', 'message'}
                  for each node started / cached / finished / failed.
        Raises sumi.ValidationError, sumi.Error (naming the failing node), sumi.Cancelled.
        """
        if not isinstance(graph, Graph):
            graph = Graph.load(os.fspath(graph))
        r = self._s._run(graph, list(outputs or []), dict(inputs or {}), device, use_cache, progress, cancel, as_torch)
        return RunResult(r["outputs"], r["nodes"], r["computed"], r["cached"], r["total_ms"], r["warnings"])

    def cache_stats(self) -> Dict[str, int]:
        return self._s.cache_stats()

    def reset_cache_stats(self) -> None:
        self._s.reset_cache_stats()

    def clear_cache(self) -> None:
        self._s.clear_cache()

    def models(self) -> List[Dict[str, Any]]:
        """TorchScript models this session has loaded: {'path', 'device', 'uses'}."""
        return self._s.models()

    @property
    def threads(self) -> int:
        return self._s.threads

    @property
    def registry(self) -> Registry:
        return self._s.registry


def node_types(registry: Optional[Registry] = None) -> List[NodeType]:
    """Every registered node type (ports, parameters, defaults, ranges, docs, origin)."""
    return (registry or default_registry()).types()


def to_hwc(image):
    """An N x C x H x W (or C x H x W) image array as H x W x C for display (a view)."""
    a = image[0] if image.ndim == 4 else image
    return a.transpose(1, 2, 0)


# ---- Python nodes -------------------------------------------------------------------------

_PARAM_TYPES = {int: "int", float: "float", bool: "bool", str: "string"}


@dataclass
class Param:
    """A parameter of a Python node.

        Param(float, 0.5, min=0, max=1, doc="how much")
        Param(str, "fast", choices=["fast", "best"])
        Param("path", "", doc="a file")   # also "model", "int list", "float list"
        Param(float, 1.0, min=0, max=2, live=True)  # the editor shows a live slider
    """
    type: Union[type, str]
    default: Any
    min: Optional[float] = None
    max: Optional[float] = None
    choices: Sequence[str] = ()
    length: int = 0
    doc: str = ""
    live: bool = False

    def spec(self, name: str) -> Dict[str, Any]:
        t = self.type if isinstance(self.type, str) else _PARAM_TYPES.get(self.type)
        if t is None:
            raise TypeError(f"parameter '{name}': unsupported type {self.type!r}")
        if self.choices:
            t = "enum"
        return {"name": name, "type": t, "default": self.default, "min": self.min, "max": self.max,
                "choices": list(self.choices), "length": self.length, "doc": self.doc, "live": self.live}


@dataclass
class Input:
    """An input port of a Python node: Input("Image", optional=True, doc="...")."""
    kind: str
    optional: bool = False
    doc: str = ""


@dataclass
class Output:
    """An output port of a Python node: Output("Image", doc="...")."""
    kind: str
    doc: str = ""


def node(id: str, *, inputs: Optional[Mapping[str, Union[str, Input]]] = None,
         outputs: Optional[Mapping[str, Union[str, Output]]] = None,
         params: Optional[Mapping[str, Param]] = None, doc: Optional[str] = None, version: int = 1,
         cacheable: bool = True, output_node: bool = False, registry: Optional[Registry] = None):
    """Declares a node type whose compute is the decorated function.

        @sumi.node("py.brighten", inputs={"image": "Image"}, outputs={"image": "Image"},
                   params={"amount": sumi.Param(float, 0.1, min=0, max=1)})
        def brighten(image, amount):
            return (image + amount).clip(0, 1)

    The function receives inputs (as NumPy arrays etc., None for an unconnected
    optional input) and parameters as keyword arguments, and returns the value
    of its single output, or a dict {output: value} (a single output of a record
    kind takes the dict as its value). It must be a pure function
    of them (results are cached) unless cacheable=False. output_node=True marks
    a node that writes files (like io.save_image): a run of the whole graph
    runs it without it being a graph output; with cacheable=False it writes on
    every run. Registering an id again
    replaces the type. An exception inside fails the run with the node id and
    the Python traceback.
    """
    def wrap(fn):
        ins = []
        for name, spec in (inputs or {}).items():
            spec = Input(spec) if isinstance(spec, str) else spec
            ins.append((name, spec.kind, not spec.optional, spec.doc))
        outs = []
        for name, spec in (outputs or {"out": "Image"}).items():
            spec = Output(spec) if isinstance(spec, str) else spec
            outs.append((name, spec.kind, spec.doc))
        ps = [p.spec(name) for name, p in (params or {}).items()]
        text = doc if doc is not None else ((fn.__doc__ or "").strip().splitlines() or [""])[0]
        # `is None`, not `or`: a Registry is a container, and an empty one is falsy.
        target = registry if registry is not None else _plugins.target()
        _sumi._register_node(target if target is not None else default_registry(), id, version, text, ins, outs, ps, fn, cacheable, True, output_node)
        fn.node_type = id
        return fn

    return wrap


# After Session: sumi.batch makes one.
from ._batch import Batch, BatchResult, batch  # noqa: E402
# Plugins (docs/plugins.md): a plugin module runs `import sumi` and @sumi.node, so last.
from . import _plugins  # noqa: E402
from ._plugins import PluginReport, load_plugins  # noqa: E402

_plugins.load_startup_plugins()

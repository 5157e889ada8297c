"""Plugins from Python (docs/plugins.md): sumi.load_plugins() and, on import,
the folders of $SUMI_PLUGIN_PATH and ./sumi_plugins.

The loading itself is the engine's (engine/plugins.h), the same for the CLI,
the editor server and Python; a Python plugin is a module of @sumi.node
functions that this file executes into the loader's scratch registry.
"""
from __future__ import annotations

import importlib.util
import os
import re
import sys
import traceback
import warnings
from dataclasses import dataclass, field
from typing import List, Optional, Tuple, Union

from . import _sumi

# The registry @sumi.node registers into while a plugin file runs (None otherwise).
_target = None


def target():
    return _target


def _describe(exc: BaseException, path: str) -> str:
    """Why a plugin failed: for a syntax error the line and caret, otherwise the
    traceback from the plugin's own frames on (importlib's are left out; a
    package's frames are those of its files)."""
    if isinstance(exc, SyntaxError):
        return "".join(traceback.format_exception_only(type(exc), exc)).rstrip()
    frames = traceback.extract_tb(exc.__traceback__)

    def own_file(filename: str) -> bool:
        real = os.path.realpath(filename)
        return real == path or real.startswith(path + os.sep)

    own = [i for i, f in enumerate(frames) if own_file(f.filename)]
    keep = frames[own[0]:] if own else frames
    lines = ["Traceback (most recent call last):\n"] + traceback.format_list(keep)
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines).rstrip()


def exec_plugin(path: str, registry) -> Optional[str]:
    """Runs the plugin module at `path` (a .py file, or a package folder with
    __init__.py); its @sumi.node types go into `registry`. Returns None, or the
    reason it failed. Called by the engine's loader."""
    global _target
    name = "sumi_plugin_" + re.sub(r"\W", "_", os.path.splitext(os.path.basename(path))[0])
    previous, _target = _target, registry
    try:
        if os.path.isdir(path):  # a package: its modules import each other relatively
            spec = importlib.util.spec_from_file_location(name, os.path.join(path, "__init__.py"),
                                                          submodule_search_locations=[path])
        else:
            spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses, pickling and the like look modules up here
        try:
            spec.loader.exec_module(module)
        except BaseException:
            for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
                sys.modules.pop(loaded, None)
            raise
        return None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # noqa: BLE001 - any error fails the plugin, not the program
        return _describe(e, os.path.realpath(path))
    finally:
        _target = previous


@dataclass
class PluginReport:
    """What sumi.load_plugins() did: the plugin files loaded and, for each that
    failed, (file, reason); the others loaded regardless."""
    loaded: List[str] = field(default_factory=list)
    errors: List[Tuple[str, str]] = field(default_factory=list)


def load_plugins(*dirs: Union[str, os.PathLike], registry=None, search_path: bool = False,
                 strict: bool = False) -> PluginReport:
    """Loads the plugin folders `dirs` (C++ *.so, Python *.py and Python packages) into
    `registry` (default: sumi.default_registry()).

        report = sumi.load_plugins("my_plugins")
        report.loaded   # ['/abs/my_plugins/sharpen.so', ...]

    search_path=True also loads $SUMI_PLUGIN_PATH and ./sumi_plugins (done on
    import for the default registry). Each failed plugin is a warning naming
    its file and the reason (strict=True raises sumi.Error after loading the
    others); a file already loaded is skipped.
    """
    folders = [os.fspath(d) for d in dirs]
    if search_path:
        folders = _sumi._plugin_search_path(folders)
    loaded, errors = _sumi._load_plugins(registry if registry is not None else _sumi.default_registry(), folders)
    report = PluginReport(list(loaded), [tuple(e) for e in errors])
    for file, reason in report.errors:
        if not strict:
            warnings.warn(f"sumi: plugin {file}: {reason}", RuntimeWarning, stacklevel=2)
    if strict and report.errors:
        raise _sumi.Error("\n".join(f"{file}: {reason}" for file, reason in report.errors))
    return report


def load_startup_plugins() -> None:
    """On import: $SUMI_PLUGIN_PATH and ./sumi_plugins into the default registry,
    unless this interpreter is embedded by a program that loads its own."""
    if getattr(sys, "_sumi_plugin_host", False):
        return
    if os.environ.get("SUMI_PLUGIN_PATH") or os.path.isdir("sumi_plugins"):
        load_plugins(search_path=True)

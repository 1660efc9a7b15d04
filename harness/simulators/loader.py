"""Find a fixture's vendor model: `vendor_model()` in `<fixtures root>/<source>/simulator.py`."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from harness.simulators.model import VendorModel

SIMULATOR_FILE = "simulator.py"
FACTORY = "vendor_model"
NO_SIMULATOR = "not applicable: no simulator"


class ModelProblem(Exception):
    """The fixture's simulator exists but cannot give a vendor model; the message says why and where."""


@functools.cache
def _module(path: Path) -> ModuleType:
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    name = f"vendor_simulator_{path.parent.name}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up by name while the file runs
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise ModelProblem(f"{path}: cannot import the simulator: {type(exc).__name__}: {exc}") from None
    return module


def model_factory(fixtures_dir: Path) -> Callable[[], VendorModel] | None:
    """`vendor_model` of the fixture directory's simulator, or None when it has no simulator or no model."""
    path = (fixtures_dir / SIMULATOR_FILE).resolve()
    if not path.is_file():
        return None
    factory = getattr(_module(path), FACTORY, None)
    return factory if callable(factory) else None


def has_model(fixtures_dir: Path) -> bool:
    try:
        return model_factory(fixtures_dir) is not None
    except ModelProblem:
        return True  # the check runs and reports the problem


def new_model(fixtures_dir: Path) -> VendorModel:
    """A fresh vendor model (dataset version 1) for the fixture directory."""
    factory = model_factory(fixtures_dir)
    if factory is None:
        raise ModelProblem(f"{fixtures_dir / SIMULATOR_FILE}: no {FACTORY}() to build the vendor model from")
    model = factory()
    if not isinstance(model, VendorModel):
        raise ModelProblem(
            f"{fixtures_dir / SIMULATOR_FILE}: {FACTORY}() returned {type(model).__name__}, not a VendorModel"
        )
    return model

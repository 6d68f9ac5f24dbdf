"""Load a joblib artifact only if every global its pickle names is on an allow-list.

Unpickling runs code: a pickle names callables (``GLOBAL`` / ``STACK_GLOBAL`` opcodes) and calls
them (``REDUCE``, ``NEWOBJ``, ``BUILD``). A checksum beside the file does not help, since whoever can
replace the file can update the checksum. So the loader resolves every global through
:meth:`_AllowListUnpickler.find_class`, the hook Python documents for restricting globals
(https://docs.python.org/3/library/pickle.html#restricting-globals), and joblib routes the nested
pickles of object arrays through the same hook. A global off the list is never imported: a harmless
placeholder stands in for it, the load runs on so that every refused global is named (it stops at once
where going on would itself be unsafe, see the BUILD checks), then :class:`~ava_model.errors.UnsafeArtifact`
is raised and the object is discarded. The file is read into memory once, so the bytes checked are the
bytes loaded.

The allow-list is code, not a rules file, on purpose: widening it is a security decision, reviewed
as a code change. It holds AVA's own model classes, scikit-learn estimators (subclasses of
``BaseEstimator``, plus the calibration internals they pickle), and numpy's array, dtype, scalar and
random-state types. No function is allowed except numpy's array reconstructors.
"""

from __future__ import annotations

import importlib
import io
import pickle
import sys
import types
from pathlib import Path
from typing import Any

from ava_model.errors import ArtifactError, UnsafeArtifact

# Exact globals allowed, by "module.name".
ALLOWED_GLOBALS = frozenset({
    # AVA's model: its classes hold only arrays, estimators and plain data.
    "ava_model.core.model.AvaModel",
    "ava_model.core.calibration.OutOfFoldCalibratedHead",
    "ava_model.core.hazard.ExposureHazard",
    "ava_model.core.heads.RBFSupportVectorHead",
    "ava_model.core.heads.ScaledLogisticRegression",
    "ava_model.core.platform_factors.PlatformFactor",
    # scikit-learn's calibration internals (not BaseEstimator subclasses).
    "sklearn.calibration._CalibratedClassifier",
    # joblib's placeholder for the raw bytes of a numpy array.
    "joblib.numpy_pickle.NumpyArrayWrapper",
    # numpy: arrays, dtypes, scalars, random states.
    "numpy.ndarray", "numpy.dtype",
    "numpy._core.multiarray._reconstruct", "numpy.core.multiarray._reconstruct",
    "numpy._core.multiarray.scalar", "numpy.core.multiarray.scalar",
    "numpy.random._pickle.__randomstate_ctor", "numpy.random._pickle.__bit_generator_ctor",
    "numpy.random._pickle.__generator_ctor",
    "numpy.random.mtrand.RandomState", "numpy.random._generator.Generator",
    "numpy.random._mt19937.MT19937", "numpy.random._pcg64.PCG64",
    # Python containers with no behaviour of their own.
    "builtins.set", "builtins.frozenset", "builtins.slice", "builtins.complex", "builtins.range",
    "builtins.bytearray", "collections.OrderedDict",
})
# Where AVA's model classes lived before the runtime moved into subpackages: artifacts written then
# name the old module, and load as the same class from its new one.
MOVED_MODULES = {
    "ava_model.model": "ava_model.core.model",
    "ava_model.hazard": "ava_model.core.hazard",
    "ava_model.heads": "ava_model.core.heads",
    "ava_model.platform_factors": "ava_model.core.platform_factors",
}
# scikit-learn modules whose BaseEstimator subclasses may be rebuilt (estimators, calibrators). Only these
# are imported on a file's say-so; another sklearn module is looked at only if this process imported it.
_SKLEARN_MODULES = frozenset({
    "sklearn.calibration", "sklearn.linear_model._logistic", "sklearn.svm._classes", "sklearn.isotonic",
    "sklearn.preprocessing._data", "sklearn.preprocessing._label", "sklearn.pipeline",
})
_SKLEARN_EXCLUDED = ("sklearn.utils._testing", "sklearn.datasets", "sklearn.externals", "sklearn.experimental",
                     "sklearn.conftest", "sklearn.tests")


def is_allowed(module: str, name: str) -> bool:
    """Return True if the global ``module.name`` may be resolved while loading an artifact."""
    qualified = f"{module}.{name}"
    if qualified in ALLOWED_GLOBALS:
        return True
    if module.startswith("sklearn.") and not module.startswith(_SKLEARN_EXCLUDED) and "." not in name:
        if module in _SKLEARN_MODULES:
            try:
                loaded = importlib.import_module(module)
            except ImportError:
                return False
        elif module in sys.modules:
            loaded = sys.modules[module]
        else:
            return False
        obj = getattr(loaded, name, None)
        from sklearn.base import BaseEstimator

        return isinstance(obj, type) and issubclass(obj, BaseEstimator)
    if module == "numpy" and "." not in name:  # numpy scalar types (numpy.float64, numpy.int64, ...)
        import numpy as np

        obj = getattr(np, name, None)
        return isinstance(obj, type) and issubclass(obj, np.generic)
    return False


class _Refused:
    """Stands in for a refused global: calling, building or filling it does nothing."""

    def __new__(cls, *args: Any, **kwargs: Any) -> _Refused:
        return object.__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __call__(self, *args: Any, **kwargs: Any) -> _Refused:
        return _Refused()

    def __setstate__(self, state: Any) -> None:
        pass

    def __setitem__(self, key: Any, value: Any) -> None:
        pass

    def append(self, value: Any) -> None:
        pass

    def extend(self, values: Any) -> None:
        pass

    def add(self, value: Any) -> None:
        pass


class _Unsafe(Exception):
    """Raised inside the unpickler when going on would itself be unsafe; the load stops there."""


_NOT_BUILDABLE = (type, types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.ModuleType)


def _unpickler_class() -> type:
    import numpy as np
    from joblib.numpy_pickle import NumpyArrayWrapper, NumpyUnpickler

    class _AllowListUnpickler(NumpyUnpickler):
        """joblib's unpickler with every global checked against the allow-list (refusals recorded).

        BUILD is checked too: it may set the state of instances only (never of a class, function or
        module, which would change them for the whole process), a numpy dtype must be a plain
        dtype whose state matches its type string (a forged one reads memory out of bounds), and an
        array of Python objects in joblib's raw-array form is refused (joblib would read it with a
        second, unchecked unpickler).
        """

        dispatch = NumpyUnpickler.dispatch.copy()

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.refused: list[str] = []

        def _refuse(self, what: str) -> None:
            if what not in self.refused:
                self.refused.append(what)

        def find_class(self, module: str, name: str) -> Any:
            module = MOVED_MODULES.get(module, module)
            if is_allowed(module, name):
                return super().find_class(module, name)
            self._refuse(f"{module}.{name}")
            return _Refused

        def load_build(self) -> None:
            inst = self.stack[-2]
            if isinstance(inst, _NOT_BUILDABLE):
                self._refuse(f"BUILD on {getattr(inst, '__qualname__', type(inst).__name__)} (a class or function)")
                raise _Unsafe
            pickle._Unpickler.load_build(self)
            top = self.stack[-1]
            if isinstance(top, np.dtype):
                plain = top.fields is None and top.subdtype is None
                canonical = np.dtype(top.str) if plain else None
                if not plain or canonical != top or canonical.flags != top.flags or canonical.itemsize != top.itemsize:
                    self._refuse(f"numpy.dtype with a forged state ({top!r})")
                    raise _Unsafe
            elif isinstance(top, NumpyArrayWrapper):
                if top.dtype.hasobject:
                    self._refuse("an object array in joblib's raw form (read by an unchecked unpickler)")
                    raise _Unsafe
                self.stack[-1] = top.read(self, self.ensure_native_byte_order)

        dispatch[pickle.BUILD[0]] = load_build

    return _AllowListUnpickler


def untrusted_globals(source: str | Path | bytes) -> list[str]:
    """Return what a joblib file names outside the allow-list (empty: safe to load).

    The file is read with refused globals replaced by placeholders, so nothing off the list runs.
    """
    refused, _ = _load(source)
    return refused


def safe_joblib_load(source: str | Path | bytes, name: str | None = None) -> Any:
    """Return the object in a joblib file (a path, or its bytes), or raise UnsafeArtifact naming what is refused.

    Raises ArtifactError if the file is empty, truncated or not a joblib pickle. ``name`` is the
    file named in errors when ``source`` is bytes.
    """
    label = name or (str(source) if not isinstance(source, bytes) else "the artifact")
    refused, obj = _load(source, label)
    if refused:
        raise UnsafeArtifact(
            f"Refusing to load {label}: its pickle names {len(refused)} thing(s) outside AVA's allow-list "
            f"({', '.join(refused)}). Loading it could run arbitrary code. Only load artifacts you trained "
            f"(`make train`) or whose sha256 you pinned; see ava_model/persistence/safe_load.py for what is allowed."
        )
    return obj


def _load(source: str | Path | bytes, label: str | None = None) -> tuple[list[str], Any]:
    from joblib.numpy_pickle import _validate_fileobject_and_memmap

    if isinstance(source, bytes):
        data, label = source, label or "the artifact"
    else:
        path = Path(source)
        label = label or str(path)
        if not path.is_file():
            raise ArtifactError(f"Artifact file {path} is missing.")
        data = path.read_bytes()
    if not data:
        raise ArtifactError(f"Artifact file {label} is empty (0 bytes): it was truncated or never written.")
    unpickler = None
    try:
        with _validate_fileobject_and_memmap(io.BytesIO(data), label, None) as (fobj, _):
            if isinstance(fobj, str):  # joblib < 0.10 layout, loaded by a separate unchecked path
                raise ArtifactError(f"Artifact file {label} uses joblib's pre-0.10 format, which AVA does not load.")
            unpickler = _unpickler_class()(label, fobj, False)
            obj = unpickler.load()
    except ArtifactError:
        raise
    except Exception as exc:  # truncated, corrupt or not a pickle (EOFError, UnpicklingError...), or _Unsafe
        if unpickler is not None and unpickler.refused:
            return unpickler.refused, None  # the refusal is the finding; placeholders may break the rest
        raise ArtifactError(f"Artifact file {label} is not a readable joblib pickle ({type(exc).__name__}: {exc}).") from exc
    return unpickler.refused, obj

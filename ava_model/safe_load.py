"""Load a joblib artifact only if every global its pickle names is on an allow-list.

Unpickling runs code: a pickle names callables (``GLOBAL`` / ``STACK_GLOBAL`` opcodes) and calls
them (``REDUCE``, ``NEWOBJ``, ``BUILD``). A checksum beside the file does not help, since whoever can
replace the file can update the checksum. So the loader resolves every global through
:meth:`_AllowListUnpickler.find_class`, the hook Python documents for restricting globals
(https://docs.python.org/3/library/pickle.html#restricting-globals), and joblib routes the nested
pickles of object arrays through the same hook. A global off the list is never imported: a harmless
placeholder stands in for it, the load runs to the end so that *every* refused global is named, and
then :class:`~ava_model.errors.UnsafeArtifact` is raised and the object is discarded.

The allow-list is code, not a rules file, on purpose: widening it is a security decision, reviewed
as a code change. It holds AVA's own model classes, scikit-learn estimators (subclasses of
``BaseEstimator``, plus the calibration internals they pickle), and numpy's array, dtype, scalar and
random-state types. No function is allowed except numpy's array reconstructors.
"""

from __future__ import annotations

import importlib
import pickle
from pathlib import Path
from typing import Any

from ava_model.errors import ArtifactError, UnsafeArtifact

# Exact globals allowed, by "module.name".
ALLOWED_GLOBALS = frozenset({
    # AVA's model: its classes hold only arrays, estimators and plain data.
    "ava_model.model.AvaModel",
    "ava_model.hazard.ExposureHazard",
    "ava_model.heads.RBFSupportVectorHead",
    "ava_model.heads.ScaledLogisticRegression",
    "ava_model.platform_factors.PlatformFactor",
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
# scikit-learn modules whose BaseEstimator subclasses may be rebuilt (estimators, calibrators).
_SKLEARN_PACKAGES = ("sklearn.",)
_SKLEARN_EXCLUDED = ("sklearn.utils._testing", "sklearn.datasets", "sklearn.externals", "sklearn.experimental")


def is_allowed(module: str, name: str) -> bool:
    """Return True if the global ``module.name`` may be resolved while loading an artifact."""
    qualified = f"{module}.{name}"
    if qualified in ALLOWED_GLOBALS:
        return True
    if module.startswith(_SKLEARN_PACKAGES) and not module.startswith(_SKLEARN_EXCLUDED) and "." not in name:
        try:
            obj = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            return False
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


def _unpickler_class() -> type:
    from joblib.numpy_pickle import NumpyUnpickler

    class _AllowListUnpickler(NumpyUnpickler):
        """joblib's unpickler with every global checked against the allow-list (refusals recorded)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.refused: list[str] = []

        def find_class(self, module: str, name: str) -> Any:
            if is_allowed(module, name):
                return super().find_class(module, name)
            qualified = f"{module}.{name}"
            if qualified not in self.refused:
                self.refused.append(qualified)
            return _Refused

    return _AllowListUnpickler


def untrusted_globals(path: str | Path) -> list[str]:
    """Return the globals of a joblib file that are not on the allow-list (empty: safe to load).

    The file is read with refused globals replaced by placeholders, so nothing off the list runs.
    """
    refused, _ = _load(Path(path))
    return refused


def safe_joblib_load(path: str | Path) -> Any:
    """Return the object in a joblib file, or raise UnsafeArtifact naming every global off the allow-list.

    Raises ArtifactError if the file is empty, truncated or not a joblib pickle.
    """
    path = Path(path)
    refused, obj = _load(path)
    if refused:
        raise UnsafeArtifact(
            f"Refusing to load {path}: its pickle names {len(refused)} global(s) outside AVA's allow-list "
            f"({', '.join(refused)}). Loading it could run arbitrary code. Only load artifacts you trained "
            f"(`make train`) or whose sha256 you pinned; see ava_model/safe_load.py for what is allowed."
        )
    return obj


def _load(path: Path) -> tuple[list[str], Any]:
    from joblib.numpy_pickle import _validate_fileobject_and_memmap

    if not path.is_file():
        raise ArtifactError(f"Artifact file {path} is missing.")
    if path.stat().st_size == 0:
        raise ArtifactError(f"Artifact file {path} is empty (0 bytes): it was truncated or never written.")
    unpickler = None
    try:
        with open(path, "rb") as fh, _validate_fileobject_and_memmap(fh, str(path), None) as (fobj, _):
            if isinstance(fobj, str):  # joblib < 0.10 layout, loaded by a separate unchecked path
                raise ArtifactError(f"Artifact file {path} uses joblib's pre-0.10 format, which AVA does not load.")
            unpickler = _unpickler_class()(str(path), fobj, False)
            obj = unpickler.load()
    except ArtifactError:
        raise
    except Exception as exc:  # truncated, corrupt or not a pickle: EOFError, UnpicklingError, ValueError, ...
        if unpickler is not None and unpickler.refused:
            return unpickler.refused, None  # the refusal is the finding; placeholders may break the rest
        raise ArtifactError(f"Artifact file {path} is not a readable joblib pickle ({type(exc).__name__}: {exc}).") from exc
    return unpickler.refused, obj

"""Drift detection: have the prompts, the predicted risks or the model's accuracy moved?

Three questions, in the order their evidence arrives:

1. Input drift: are current prompts drawn from the reference population? An MMD
   permutation test and a domain-classifier test on prompt embeddings, and k-means
   clusters saying which kinds of prompt grew (``drift_drivers``).
2. Output drift: has the predicted risk moved? PSI and a KS test per mode, and the
   change in the shares of green/yellow/red lights.
3. Performance drift, once outcome labels arrive: AUC and Brier per time window with
   bootstrap intervals (``ava_evaluation.performance_drift``).

``detect_drift`` answers 1 and 2 for two windows of prompts (DataFrames or JSONL
scoring logs) and returns a DriftReport; ``ava_evaluation.drift_report`` renders it as HTML.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ava_model.errors import DriftInputError

if TYPE_CHECKING:
    import pandas as pd

LIGHTS = ("green", "yellow", "red")
PSI_EPSILON = 1e-4
"""Share given to an empty bin so PSI stays finite (a bin empty in one window adds ~share x 9)."""
HIST_BINS = 20




@dataclass
class DriftConfig:
    """Configuration of one drift check.

    Attributes
    ----------
    permutations: permutations of the MMD test (p-values are (1 + #null >= observed) / (1 + B)).
    alpha: level of every test.
    max_samples: each window is randomly subsampled to at most this many prompts.
    seed: randomness of subsampling, permutations, folds, k-means and bootstrap.
    psi_bins: quantile bins of the reference for PSI.
    n_clusters: k-means clusters of the drift-driver summary.
    classifier_permutations: window-label permutations of the domain-classifier test.
    classifier_folds: stratified folds of the out-of-fold AUC.
    psi_threshold: PSI above which a mode's risk is called drifted (0.25: the usual "major shift").
    bootstrap: resamples of the performance intervals.
    """

    permutations: int = 200
    alpha: float = 0.05
    max_samples: int = 500
    seed: int = 0
    psi_bins: int = 10
    n_clusters: int = 5
    classifier_permutations: int = 50
    classifier_folds: int = 5
    psi_threshold: float = 0.25
    bootstrap: int = 200

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise DriftInputError(f"alpha must be in (0, 1), got {self.alpha!r}.")
        minimum = {"permutations": 1, "classifier_permutations": 1, "bootstrap": 1, "n_clusters": 1,
                   "max_samples": 2, "psi_bins": 2, "classifier_folds": 2}
        for name, low in minimum.items():
            if not isinstance(getattr(self, name), int) or getattr(self, name) < low:
                raise DriftInputError(f"{name} must be an integer >= {low}, got {getattr(self, name)!r}.")


@dataclass(frozen=True)
class TestResult:
    """One two-sample test: its statistic, p-value and verdict at the configured alpha."""

    __test__ = False  # not a pytest test class despite its name
    name: str
    statistic: float
    p_value: float
    drifted: bool
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return asdict(self)


@dataclass(frozen=True)
class ClusterShift:
    """One k-means cluster of the pooled prompts: its share in each window and typical current prompts."""

    cluster: int
    n_reference: int
    n_current: int
    share_reference: float
    share_current: float
    shift: float
    examples: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return {**asdict(self), "examples": list(self.examples)}


@dataclass(frozen=True)
class DriftReport:
    """Input and output drift between a reference and a current window of prompts.

    ``output`` maps a mode to its psi, ks_statistic, ks_p_value, mean risks and drifted flag;
    ``light_shares`` holds the reference, current and change shares of each light;
    ``histograms`` holds per mode the shared bin edges and each window's share per bin.
    ``drifted`` is true when any verdict is: each input test at level alpha, the KS family
    Bonferroni-corrected over modes, PSI above the threshold for any mode.
    """

    tests: list[TestResult]
    output: dict[str, dict[str, Any]]
    light_shares: dict[str, dict[str, float]]
    clusters: list[ClusterShift]
    verdicts: dict[str, bool]
    drifted: bool
    n_reference: int
    n_current: int
    histograms: dict[str, dict[str, list[float]]]
    config: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        tests, clusters = [t.to_dict() for t in self.tests], [c.to_dict() for c in self.clusters]
        return {**asdict(self), "tests": tests, "clusters": clusters}


# ----------------------------------------------------------------------------- input drift


def _embeddings(X: Any, name: str) -> np.ndarray:
    array = np.asarray(X, dtype=np.float64)
    if array.ndim != 2 or len(array) < 2 or not np.isfinite(array).all():
        raise DriftInputError(f"{name} must be a finite (n, d) array with n >= 2, got shape {array.shape}.")
    return array


def _windows(X_ref: Any, X_cur: Any, config: DriftConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (reference rows, current rows) kept after subsampling each window to max_samples."""
    A, B = _embeddings(X_ref, "X_ref"), _embeddings(X_cur, "X_cur")
    if A.shape[1] != B.shape[1]:
        raise DriftInputError(f"X_ref has {A.shape[1]} columns but X_cur has {B.shape[1]}.")
    rng = np.random.default_rng(config.seed)
    keep = [np.sort(rng.permutation(len(X))[: config.max_samples]) for X in (A, B)]
    return A[keep[0]], B[keep[1]], keep[0], keep[1]


def _mmd2(K: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Return the unbiased MMD² for each row of masks (True = reference) over kernel matrix K."""
    X, diag = masks.astype(np.float64), np.diag(K)
    m = X[0].sum()
    n = len(K) - m
    s_xx = np.einsum("pn,np->p", X, K @ X.T)  # sums over reference pairs, diagonal included
    s_xy = X @ K.sum(1) - s_xx
    s_yy = K.sum() - s_xx - 2 * s_xy
    d_x = X @ diag
    return (s_xx - d_x) / (m * (m - 1)) + (s_yy - diag.sum() + d_x) / (n * (n - 1)) - 2 * s_xy / (m * n)


def mmd_test(X_ref: Any, X_cur: Any, config: DriftConfig | None = None) -> TestResult:
    """Return the MMD permutation test of "both windows come from one distribution".

    The kernel is an RBF, exp(-d² / median d²), the median taken over pooled pairs; the
    pooled kernel matrix is computed once and every permutation is one column of a
    matrix product, so 500 + 500 points x 200 permutations take well under a second.
    """
    config = config or DriftConfig()
    A, B, _, _ = _windows(X_ref, X_cur, config)
    Z = np.vstack([A, B])
    sq = np.maximum(np.add.outer((Z**2).sum(1), (Z**2).sum(1)) - 2 * Z @ Z.T, 0.0)
    bandwidth = float(np.median(sq[np.triu_indices(len(Z), 1)])) or 1.0  # 1.0: all points identical
    K = np.exp(-sq / bandwidth)
    rng = np.random.default_rng(config.seed + 1)
    observed = np.arange(len(Z))[None] < len(A)
    permuted = np.argsort(rng.random((config.permutations, len(Z))), axis=1) < len(A)  # random m-subsets
    stats = _mmd2(K, np.vstack([observed, permuted]))
    p = float((1 + np.sum(stats[1:] >= stats[0])) / (1 + config.permutations))
    details = {"bandwidth_sq": bandwidth, "null_q95": float(np.quantile(stats[1:], 0.95)), "n_reference": len(A),
               "n_current": len(B), "permutations": config.permutations}
    return TestResult("mmd", float(stats[0]), p, p <= config.alpha, details)


def _oof_auc(Z: np.ndarray, y: np.ndarray, folds: int, seed: int) -> float:
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    scores = np.zeros(len(y))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(Z, y):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=500).fit(Z[train], y[train])
        scores[test] = model.decision_function(Z[test])
    return float(roc_auc_score(y, scores))


def domain_classifier_test(X_ref: Any, X_cur: Any, config: DriftConfig | None = None) -> TestResult:
    """Return the domain-classifier test: can logistic regression tell the windows apart?

    The statistic is the out-of-fold ROC AUC (stratified folds) of a logistic regression
    predicting the window from the embedding. Its p-value comes from re-running the whole
    cross-validation on permuted window labels (``classifier_permutations`` times), which is
    exact for exchangeable windows. A normal approximation of the AUC under H0 is not used:
    measured on random splits of real prompts, out-of-fold AUC varies 1.3-1.6x more than the
    Mann-Whitney formula says, so it would alarm at about twice the nominal rate.
    """
    config = config or DriftConfig()
    A, B, _, _ = _windows(X_ref, X_cur, config)
    folds = min(config.classifier_folds, len(A), len(B))
    if folds < 2:
        raise DriftInputError(f"each window needs >= 2 prompts for the classifier test, got {len(A)} and {len(B)}.")
    import sklearn.linear_model  # noqa: F401  (loads scipy's BLAS now, so the limit below reaches it)
    from threadpoolctl import threadpool_limits

    Z, y = np.vstack([A, B]), np.r_[np.zeros(len(A)), np.ones(len(B))]
    rng = np.random.default_rng(config.seed + 2)
    with threadpool_limits(1):  # hundreds of small fits: BLAS threads only contend (10x slower on 2 busy cores)
        auc = _oof_auc(Z, y, folds, config.seed)
        null = np.array([_oof_auc(Z, rng.permutation(y), folds, config.seed)
                         for _ in range(config.classifier_permutations)])
    p = float((1 + np.sum(null >= auc)) / (1 + len(null)))
    details = {"null_auc_mean": float(null.mean()), "null_auc_q95": float(np.quantile(null, 0.95)), "folds": folds,
               "permutations": len(null), "n_reference": len(A), "n_current": len(B)}
    return TestResult("domain_classifier", auc, p, p <= config.alpha, details)


def cluster_members(X_ref: Any, X_cur: Any, config: DriftConfig | None = None) -> dict[str, np.ndarray]:
    """Return the k-means clustering behind ``drift_drivers``: which kept row of each window is in which cluster.

    Returns
    -------
    dict
        ``keep_reference`` and ``keep_current``: the row numbers kept after subsampling;
        ``reference`` and ``current``: the cluster of each kept row; ``centres``: (k, d) centroids.
    """
    from sklearn.cluster import KMeans

    config = config or DriftConfig()
    A, B, keep_a, keep_b = _windows(X_ref, X_cur, config)
    k = min(config.n_clusters, len(A) + len(B))
    km = KMeans(n_clusters=k, n_init=3, random_state=config.seed).fit(np.vstack([A, B]))
    return {"keep_reference": keep_a, "keep_current": keep_b, "reference": km.labels_[: len(A)],
            "current": km.labels_[len(A):], "centres": km.cluster_centers_}


def drift_drivers(prompts_ref: list[str], X_ref: Any, prompts_cur: list[str], X_cur: Any,
                  config: DriftConfig | None = None) -> list[ClusterShift]:
    """Return k-means clusters of the pooled (subsampled) windows, largest growth in share first.

    Each cluster holds its share of each window and up to 3 current prompts nearest its centroid.
    """
    config = config or DriftConfig()
    if len(prompts_ref) != len(X_ref) or len(prompts_cur) != len(X_cur):
        raise DriftInputError(f"prompts and embeddings differ in length: {len(prompts_ref)} vs {len(X_ref)} "
                              f"(reference), {len(prompts_cur)} vs {len(X_cur)} (current).")
    fit = cluster_members(X_ref, X_cur, config)
    keep_b, ref_labels, cur_labels = fit["keep_current"], fit["reference"], fit["current"]
    B = _embeddings(X_cur, "X_cur")[keep_b]
    cur_prompts = [prompts_cur[i] for i in keep_b]
    shifts = []
    for c in range(len(fit["centres"])):
        members = np.flatnonzero(cur_labels == c)
        nearest = members[np.argsort(((B[members] - fit["centres"][c]) ** 2).sum(1))[:3]]
        share_ref, share_cur = float(np.mean(ref_labels == c)), float(np.mean(cur_labels == c))
        shifts.append(ClusterShift(c, int(np.sum(ref_labels == c)), len(members), share_ref, share_cur,
                                   share_cur - share_ref, tuple(cur_prompts[i] for i in nearest)))
    return sorted(shifts, key=lambda s: s.shift, reverse=True)


# ----------------------------------------------------------------------------- output drift


def population_stability_index(ref: Any, cur: Any, bins: int = 10) -> float:
    """Return the PSI, sum of (cur - ref) x ln(cur / ref) over quantile bins of the reference.

    Bins are open-ended at both ends (a current value beyond the reference range lands in an
    end bin); tied quantiles merge bins; an empty bin counts as a share of ``PSI_EPSILON``.
    """
    ref, cur = np.asarray(ref, dtype=float).ravel(), np.asarray(cur, dtype=float).ravel()
    if not len(ref) or not len(cur) or not (np.isfinite(ref).all() and np.isfinite(cur).all()):
        raise DriftInputError(f"PSI needs non-empty finite samples, got {len(ref)} and {len(cur)} values.")
    cuts = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    r, c = (np.maximum(np.bincount(np.searchsorted(cuts, x, side="right"), minlength=len(cuts) + 1) / len(x),
                       PSI_EPSILON) for x in (ref, cur))
    return float(np.sum((c - r) * np.log(c / r)))


def output_drift(risks_ref: pd.DataFrame, risks_cur: pd.DataFrame,
                 config: DriftConfig | None = None) -> dict[str, dict[str, Any]]:
    """Return per mode the PSI, two-sample KS statistic and p-value, mean risks and a drifted flag.

    A mode is drifted when its PSI exceeds ``psi_threshold`` or its KS p-value, Bonferroni
    corrected over modes, is at most alpha.
    """
    from scipy.stats import ks_2samp

    config = config or DriftConfig()
    if list(risks_ref.columns) != list(risks_cur.columns):
        raise DriftInputError(f"risk columns differ: {list(risks_ref.columns)} vs {list(risks_cur.columns)}.")
    result: dict[str, dict] = {}
    for mode in risks_ref.columns:
        ref, cur = risks_ref[mode].to_numpy(float), risks_cur[mode].to_numpy(float)
        ks = ks_2samp(ref, cur)
        psi = population_stability_index(ref, cur, config.psi_bins)
        p_adj = min(1.0, float(ks.pvalue) * risks_ref.shape[1])
        result[str(mode)] = {
            "psi": psi, "ks_statistic": float(ks.statistic), "ks_p_value": float(ks.pvalue), "ks_p_adjusted": p_adj,
            "mean_reference": float(ref.mean()), "mean_current": float(cur.mean()),
            "drifted": bool(psi > config.psi_threshold or p_adj <= config.alpha),
        }
    return result


def light_shares(lights_ref: list[str], lights_cur: list[str]) -> dict[str, dict[str, float]]:
    """Return the share of each light in the reference and current windows, and current minus reference."""
    bad = sorted({x for x in [*lights_ref, *lights_cur] if x not in LIGHTS})
    if bad or not lights_ref or not lights_cur:
        raise DriftInputError(f"lights must be non-empty lists of {LIGHTS}; got unknown values {bad}.")
    ref = {x: lights_ref.count(x) / len(lights_ref) for x in LIGHTS}
    cur = {x: lights_cur.count(x) / len(lights_cur) for x in LIGHTS}
    return {"reference": ref, "current": cur, "change": {x: cur[x] - ref[x] for x in LIGHTS}}


# ----------------------------------------------------------------------------- performance drift


def load_window(source: Any, name: str = "window") -> pd.DataFrame:
    """Return a window as a DataFrame with prompt, platform and, when logged, risks and timestamp.

    ``source`` is a DataFrame with a ``prompt`` column, the path of a JSONL scoring log, or a CSV path.
    """
    import pandas as pd

    if isinstance(source, (str, Path)) and Path(source).suffix.lower() == ".csv":
        if not Path(source).is_file():
            raise DriftInputError(f"{name}: no CSV file at {source}.")
        frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    elif isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise DriftInputError(f"{name}: no JSONL scoring log at {path}.")
        lines = enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        frame = pd.DataFrame([_json_line(line, i, path, name) for i, line in lines if line.strip()])
    elif isinstance(source, pd.DataFrame):
        frame = source.reset_index(drop=True)
    else:
        raise DriftInputError(f"{name} must be a DataFrame, a JSONL or a CSV path, got {type(source).__name__}.")
    if "prompt" not in frame.columns or len(frame) < 2:
        raise DriftInputError(f"{name} needs >= 2 rows and a 'prompt' column; "
                              f"got {len(frame)} rows, columns {list(frame.columns)}.")
    bad = [i + 1 for i, p in enumerate(frame["prompt"]) if not isinstance(p, str) or not p.strip()]
    if bad:
        raise DriftInputError(f"{name}: prompts must be non-empty strings; rows {bad[:10]} are not.")
    from ava_model.rules.taxonomy import load_rules

    default = load_rules().thresholds.default_platform
    platform = frame["platform"] if "platform" in frame.columns else pd.Series(default, index=frame.index)
    return frame.assign(platform=platform.fillna(default))


def _json_line(line: str, number: int, path: Path, name: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DriftInputError(f"{name}: {path} line {number} is not JSON: {exc}") from exc
    if not isinstance(record, dict):
        raise DriftInputError(f"{name}: {path} line {number} must be a JSON object, got {type(record).__name__}.")
    return record


def _logged_risks(frame: pd.DataFrame, name: str) -> pd.DataFrame | None:
    import pandas as pd

    if "risks" not in frame.columns or frame["risks"].isna().any():
        return None
    if not all(isinstance(r, dict) for r in frame["risks"]):
        raise DriftInputError(f"{name}: every 'risks' entry must be a dict mode -> probability.")
    risks = pd.DataFrame(list(frame["risks"]))
    if risks.isna().any().any() or not ((risks >= 0) & (risks <= 1)).all().all():
        raise DriftInputError(f"{name}: logged risks must cover the same modes on every line, in [0, 1].")
    return risks


def _histograms(risks_ref: pd.DataFrame, risks_cur: pd.DataFrame) -> dict[str, dict[str, list[float]]]:
    edges = np.linspace(0, 1, HIST_BINS + 1)
    return {str(m): {"edges": edges.tolist(),
                     "reference": (np.histogram(risks_ref[m], edges)[0] / len(risks_ref)).tolist(),
                     "current": (np.histogram(risks_cur[m], edges)[0] / len(risks_cur)).tolist()}
            for m in risks_ref.columns}


def detect_drift(reference: Any, current: Any, predictor: Any = None, config: DriftConfig | None = None,
                 *, embedder: Any = None, show_progress: bool | None = None) -> DriftReport:
    """Return the DriftReport of a current window of prompts against a reference window.

    Windows are DataFrames (``prompt``, optional ``platform`` defaulting to sora-2, optional
    ``risks`` dicts) or JSONL scoring logs. Logged risks are used when every line of a window
    has them; otherwise the window is scored with ``predictor`` (``ava_model.api.load()``
    when None). Prompts are embedded with ``embedder`` if given, else ``predictor.embedder``;
    ``show_progress`` is passed to its ``encode`` (None: a bar beyond 256 new prompts; a notebook
    passes False, since tqdm.auto without ipywidgets warns).
    """
    config = config or DriftConfig()
    ref, cur = load_window(reference, "reference"), load_window(current, "current")
    logged = [_logged_risks(ref, "reference"), _logged_risks(cur, "current")]
    if predictor is None and (embedder is None or any(r is None for r in logged)):
        from ava_model.api import load

        predictor = load()
    risks = [r if r is not None else predictor.predict_proba(list(w["prompt"]), list(w["platform"]))
             for r, w in zip(logged, (ref, cur))]
    if sorted(risks[0].columns) != sorted(risks[1].columns):
        raise DriftInputError(f"the windows' risks name different modes: "
                              f"{list(risks[0].columns)} vs {list(risks[1].columns)}.")
    risks[1] = risks[1][list(risks[0].columns)]
    from ava_model.rules.taxonomy import load_rules

    thresholds = predictor.rules.thresholds if predictor is not None else load_rules().thresholds
    lights = [[thresholds.light(float(m)) for m in r.max(axis=1)] for r in risks]
    encode = (embedder or predictor.embedder).encode
    prompts = [list(map(str, w["prompt"])) for w in (ref, cur)]
    X_ref, X_cur = (encode(p, show_progress=show_progress) for p in prompts)
    output = output_drift(risks[0], risks[1], config)
    worst = min(output.values(), key=lambda o: o["ks_p_adjusted"])
    worst_mode = next(m for m, o in output.items() if o is worst)
    ks = TestResult("output_ks", worst["ks_statistic"], worst["ks_p_adjusted"], worst["ks_p_adjusted"] <= config.alpha,
                    {"mode": worst_mode, "correction": "bonferroni over modes"})
    tests = [mmd_test(X_ref, X_cur, config), domain_classifier_test(X_ref, X_cur, config), ks]
    verdicts = {t.name: bool(t.drifted) for t in tests}
    verdicts["output_psi"] = any(o["psi"] > config.psi_threshold for o in output.values())
    return DriftReport(
        tests=tests, output=output, light_shares=light_shares(*lights),
        clusters=drift_drivers(prompts[0], X_ref, prompts[1], X_cur, config), verdicts=verdicts,
        drifted=any(verdicts.values()), n_reference=len(ref), n_current=len(cur),
        histograms=_histograms(*risks), config=asdict(config),
    )

"""Drift detection on real prompt embeddings: power on real shifts, false alarms on random splits."""

from __future__ import annotations

import json
import re
import time

import numpy as np
import pandas as pd
import pytest

from ava_model.errors import DriftInputError
from ava_evaluation.drift import (
    DriftConfig,
    DriftReport,
    detect_drift,
    domain_classifier_test,
    drift_drivers,
    light_shares,
    mmd_test,
    output_drift,
    population_stability_index,
)
from ava_evaluation.performance_drift import flag_windows, performance_by_window

FOREIGN_PROMPTS = [
    # Spanish
    "Un perro corre por la playa al atardecer, cámara lenta",
    "Una mujer baila flamenco en una plaza llena de gente",
    "Un tren antiguo cruza un puente de piedra entre montañas nevadas",
    "Dos niños juegan al fútbol en una calle estrecha de un pueblo",
    "Un gato duerme sobre una ventana mientras cae la lluvia",
    "Vista aérea de un mercado de frutas en Ciudad de México",
    "Un pescador lanza su red desde una barca al amanecer",
    "Una bailarina gira en un escenario vacío con luz azul",
    "Un chef corta verduras muy rápido en una cocina de restaurante",
    "Caballos salvajes galopan por una llanura polvorienta",
    "Una pareja camina bajo un paraguas rojo por una avenida mojada",
    "Fuegos artificiales sobre el puerto de una ciudad costera",
    "Un anciano toca la guitarra sentado en un banco del parque",
    "La cámara avanza despacio por un bosque cubierto de niebla",
    # French
    "Un chat noir marche sur les toits de Paris la nuit",
    "Une femme fait du vélo le long d'un canal bordé d'arbres",
    "Un boulanger sort des baguettes chaudes du four à l'aube",
    "Des enfants construisent un château de sable sur une plage bretonne",
    "Un voilier traverse une mer agitée sous un ciel d'orage",
    "Plan aérien d'un vignoble en automne, couleurs dorées",
    "Un vieil homme nourrit des pigeons sur une place ensoleillée",
    "Une danseuse de ballet répète seule dans un studio lumineux",
    "La caméra suit un renard qui court dans la neige fraîche",
    "Un marché de Noël animé avec des guirlandes lumineuses",
    "Deux amis boivent un café en terrasse sous la pluie fine",
    "Un train à grande vitesse file à travers la campagne",
    "Une montgolfière s'élève au-dessus des champs de lavande",
    "Un peintre dessine le portrait d'une passante au bord de la Seine",
    # German
    "Ein Hund springt in einen klaren Bergsee im Sommer",
    "Eine Frau liest ein Buch in einem gemütlichen Café am Fenster",
    "Ein alter Zug fährt durch einen verschneiten Wald",
    "Kinder lassen bunte Drachen auf einer windigen Wiese steigen",
    "Ein Bäcker knetet Teig in einer kleinen Backstube",
    "Luftaufnahme einer Burg auf einem Hügel bei Sonnenaufgang",
    "Ein Radfahrer fährt eine steile Bergstraße hinauf",
    "Die Kamera gleitet langsam über einen nebligen Fluss",
    "Ein Fuchs schleicht nachts durch einen verlassenen Garten",
    "Menschen tanzen auf einem Volksfest unter bunten Lichtern",
    "Ein Fischer flickt sein Netz am Hafen im Abendlicht",
    "Ein Eichhörnchen sammelt Nüsse auf einem moosigen Baumstamm",
    "Schneeflocken fallen auf eine leere Straße in der Altstadt",
    "Ein Segelboot gleitet über einen ruhigen See bei Dämmerung",
]
QUOTE = re.compile(r"[\"“”«»]|:\s*'")
DRAWS_POWER, DRAWS_NULL = 10, 20
REFERENCE_SIZE, CURRENT_SIZE = 500, 200
MEASURED: dict[str, float] = {}


@pytest.fixture(scope="module")
def corpus(embedder):
    """Real prompts embedded once: the population, its dialogue prompts and foreign-language prompts."""
    from ava_training.importers import import_authored, import_t2v_compbench, import_vbench, import_vbench2
    from ava_training.paths import authored_dir, shared_data_dir

    authored, _ = import_authored(authored_dir())
    prompts = list(authored["prompt"].unique())
    if (shared_data_dir() / "vbench2").is_dir():
        for importer in (import_vbench2, import_vbench, import_t2v_compbench):
            prompts += list(importer(shared_data_dir()).labels["prompt"].unique())
    prompts = list(dict.fromkeys(prompts))
    lip_sync = set(authored.loc[(authored["mode"] == "lip_sync") & (authored["label"] == 1), "prompt"])
    dialogue = np.array([p in lip_sync or bool(QUOTE.search(p)) for p in prompts])
    return {
        "prompts": prompts, "X": embedder.encode(prompts), "dialogue": np.flatnonzero(dialogue),
        "foreign": FOREIGN_PROMPTS, "X_foreign": embedder.encode(FOREIGN_PROMPTS),
    }


def _reference(corpus, exclude, rng):
    rest = np.setdiff1d(np.arange(len(corpus["prompts"])), exclude)
    return rng.choice(rest, min(REFERENCE_SIZE, len(rest)), replace=False)


def _power(corpus, current_of) -> tuple[float, float]:
    """Return (MMD power, classifier power) over DRAWS_POWER draws of (reference, shifted current)."""
    hits = np.zeros((DRAWS_POWER, 2), dtype=bool)
    for draw in range(DRAWS_POWER):
        rng = np.random.default_rng(100 + draw)
        X_cur, taken = current_of(rng)
        X_ref = corpus["X"][_reference(corpus, taken, rng)]
        config = DriftConfig(seed=draw, classifier_permutations=30)
        hits[draw] = mmd_test(X_ref, X_cur, config).drifted, domain_classifier_test(X_ref, X_cur, config).drifted
    return tuple(hits.mean(0))


def test_detects_a_shift_to_dialogue_prompts(corpus):
    pool = corpus["dialogue"]
    size = min(60, int(0.8 * len(pool)))

    def current(rng):
        taken = rng.choice(pool, size, replace=False)
        return corpus["X"][taken], taken

    mmd, classifier = _power(corpus, current)
    MEASURED.update(dialogue_mmd=mmd, dialogue_classifier=classifier)
    print(f"\ndialogue shift ({len(pool)} prompts, windows {REFERENCE_SIZE} vs {size}): "
          f"power MMD {mmd:.2f}, classifier {classifier:.2f}")
    assert mmd >= 0.9 and classifier >= 0.9


def test_detects_a_shift_to_other_languages(corpus):
    size = 36

    def current(rng):
        return corpus["X_foreign"][rng.choice(len(FOREIGN_PROMPTS), size, replace=False)], np.array([], dtype=int)

    mmd, classifier = _power(corpus, current)
    MEASURED.update(language_mmd=mmd, language_classifier=classifier)
    print(f"\nlanguage shift (windows {REFERENCE_SIZE} vs {size}): power MMD {mmd:.2f}, classifier {classifier:.2f}")
    assert mmd >= 0.9 and classifier >= 0.9


def test_false_alarms_on_random_disjoint_windows(corpus):
    X = corpus["X"]
    alarms, classifier_alarms, p_values = [], [], []
    for draw in range(DRAWS_NULL):
        order = np.random.default_rng(200 + draw).permutation(len(X))
        current = order[:CURRENT_SIZE]
        reference = order[CURRENT_SIZE: CURRENT_SIZE + REFERENCE_SIZE]  # disjoint, same population
        config = DriftConfig(seed=draw)
        result = mmd_test(X[reference], X[current], config)
        alarms.append(result.drifted)
        p_values.append(result.p_value)
        if draw < DRAWS_NULL // 2:  # the classifier costs ~1 s per draw: half the draws
            small = DriftConfig(seed=draw, classifier_permutations=30)
            classifier_alarms.append(domain_classifier_test(X[reference], X[current], small).drifted)
    rate, classifier_rate = float(np.mean(alarms)), float(np.mean(classifier_alarms))
    MEASURED.update(null_mmd=rate, null_classifier=classifier_rate)
    print(f"\nunshifted windows ({REFERENCE_SIZE} vs {CURRENT_SIZE}): false alarms MMD {rate:.2f} over {DRAWS_NULL} "
          f"draws (median p {np.median(p_values):.2f}), classifier {classifier_rate:.2f} "
          f"over {len(classifier_alarms)}")
    assert rate <= 0.1
    assert classifier_rate <= 0.3  # 10 draws: a bound on gross miscalibration only, not a rate estimate
    assert 0.25 <= np.median(p_values) <= 0.75  # null p-values spread around 0.5, not piled near 0 or 1


def test_mmd_statistic_matches_the_direct_formula():
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(30, 5)), rng.normal(1.5, 1, size=(20, 5))
    result = mmd_test(A, B, DriftConfig(permutations=99))
    Z = np.vstack([A, B])
    sq = ((Z[:, None] - Z[None]) ** 2).sum(-1)
    bandwidth = np.median([sq[i, j] for i in range(50) for j in range(i + 1, 50)])
    K = np.exp(-sq / bandwidth)
    kxx, kyy, kxy = K[:30, :30], K[30:, 30:], K[:30, 30:]
    direct = ((kxx.sum() - 30) / (30 * 29) + (kyy.sum() - 20) / (20 * 19) - 2 * kxy.mean())
    assert result.statistic == pytest.approx(direct, rel=1e-9)
    assert result.details["bandwidth_sq"] == pytest.approx(bandwidth)
    assert result.drifted and result.p_value == pytest.approx(0.01)  # the smallest p-value 99 permutations allow


def test_mmd_is_fast_on_full_windows(corpus):
    X = corpus["X"]
    n = min(500, len(X) // 2)
    start = time.perf_counter()
    result = mmd_test(X[:n], X[n: 2 * n], DriftConfig(permutations=200))
    elapsed = time.perf_counter() - start
    print(f"\nMMD {n}+{n} x 200 permutations: {elapsed:.2f} s")
    assert result.details["n_reference"] == n and 0 < result.p_value <= 1
    assert elapsed < 5


def test_drift_drivers_name_the_grown_cluster(corpus):
    rng = np.random.default_rng(0)
    ref = rng.choice(len(corpus["prompts"]), 300, replace=False)
    prompts_ref = [corpus["prompts"][i] for i in ref]
    config = DriftConfig(n_clusters=5)
    shifts = drift_drivers(prompts_ref, corpus["X"][ref], FOREIGN_PROMPTS, corpus["X_foreign"], config)
    top = shifts[0]
    assert len(shifts) == 5 and [s.shift for s in shifts] == sorted((s.shift for s in shifts), reverse=True)
    assert top.share_current >= 0.5 and top.share_current - top.share_reference >= 0.4
    assert len(top.examples) == 3 and set(top.examples) <= set(FOREIGN_PROMPTS)
    assert abs(sum(s.share_reference for s in shifts) - 1) < 1e-9


# ----------------------------------------------------------------------------- output drift


def test_psi_is_zero_for_identical_and_large_for_shifted_samples():
    rng = np.random.default_rng(0)
    ref = rng.beta(2, 8, 2000)
    assert population_stability_index(ref, ref) == pytest.approx(0.0, abs=1e-12)
    assert population_stability_index(ref, rng.beta(2, 8, 2000)) < 0.05
    assert population_stability_index(ref, rng.beta(4, 6, 2000)) > 0.25
    # values outside the reference range land in the end bins and still count
    assert population_stability_index(ref, np.full(500, 0.99)) > 2


def test_ks_and_psi_per_mode_flag_only_the_shifted_mode():
    rng = np.random.default_rng(1)
    ref = pd.DataFrame({"physics": rng.beta(2, 8, 800), "lip_sync": rng.beta(2, 8, 800)})
    cur = pd.DataFrame({"physics": rng.beta(2, 8, 400), "lip_sync": rng.beta(5, 5, 400)})
    result = output_drift(ref, cur)
    assert result["lip_sync"]["drifted"] and result["lip_sync"]["ks_p_value"] < 1e-6
    assert result["lip_sync"]["ks_statistic"] > 0.4 and result["lip_sync"]["psi"] > 0.25
    assert not result["physics"]["drifted"] and result["physics"]["ks_p_value"] > 0.01
    assert result["lip_sync"]["mean_current"] > result["lip_sync"]["mean_reference"] + 0.2


def test_light_shares_change():
    shares = light_shares(["green"] * 8 + ["yellow"] * 2, ["green"] * 5 + ["red"] * 5)
    assert shares["reference"] == {"green": 0.8, "yellow": 0.2, "red": 0.0}
    assert shares["change"] == pytest.approx({"green": -0.3, "yellow": -0.2, "red": 0.5})
    with pytest.raises(DriftInputError, match="blue"):
        light_shares(["blue"], ["green"])


# ----------------------------------------------------------------------------- performance drift


def _labelled_weeks(weeks: int, n: int, seed: int, start: str = "2026-01-05") -> pd.DataFrame:
    """Return calibrated synthetic outcomes: per week and mode, n rows with label ~ Bernoulli(risk)."""
    rng = np.random.default_rng(seed)
    frames = []
    for week in range(weeks):
        for mode in ("physics", "lip_sync"):
            risk = rng.beta(2, 5, n)
            frames.append(pd.DataFrame({
                "timestamp": pd.Timestamp(start) + pd.Timedelta(days=7 * week)
                + pd.to_timedelta(rng.uniform(0, 6, n), "D"),
                "mode": mode, "label": (rng.random(n) < risk).astype(int), "risk": risk,
            }))
    return pd.concat(frames, ignore_index=True)


def test_performance_by_window_flags_flipped_labels():
    reference = _labelled_weeks(8, 300, seed=0)
    current = _labelled_weeks(6, 300, seed=1, start="2026-03-02")
    week4 = current["timestamp"].dt.to_period("W").eq(current["timestamp"].dt.to_period("W").unique()[3])
    flip = week4 & (current["mode"] == "physics")
    current.loc[flip, "label"] = 1 - current.loc[flip, "label"]
    per_window = performance_by_window(current, freq="W")
    assert len(per_window) == 12 and per_window["n"].eq(300).all()
    assert ((per_window["auc_lo"] <= per_window["auc"]) & (per_window["auc"] <= per_window["auc_hi"])).all()
    flipped_row = (per_window["window"] == per_window["window"].unique()[3]) & (per_window["mode"] == "physics")
    assert per_window.loc[flipped_row, "auc"].item() < 0.4

    flagged = flag_windows(per_window, reference)  # size-matched reference intervals
    assert flagged.loc[flipped_row, "flagged"].item() and flagged.loc[flipped_row, "auc_outside"].item()
    assert flagged.loc[flipped_row, "auc"].item() < flagged.loc[flipped_row, "ref_auc_lo"].item() - 0.2
    as_given = flag_windows(per_window, performance_by_window(reference, freq=None))
    assert as_given.loc[flipped_row, "flagged"].item()
    first = flag_windows(per_window, per_window["window"].iloc[0])
    assert first.loc[flipped_row, "flagged"].item()
    with pytest.raises(DriftInputError, match="one row per mode"):
        flag_windows(per_window, "1999-01-03")


def test_flag_windows_rarely_flags_unchanged_windows():
    per_window = performance_by_window(_labelled_weeks(30, 300, seed=7, start="2026-03-02"))
    reference = _labelled_weeks(8, 300, seed=8)
    size_matched = flag_windows(per_window, reference)
    period_ci = flag_windows(per_window, performance_by_window(reference, freq=None))
    rates = {name: float(frame["flagged"].mean()) for name, frame in
             (("size-matched", size_matched), ("reference CI as given", period_ci))}
    print(f"\nflag_windows on 60 unchanged window-modes: flagged {rates}")
    assert size_matched["auc_outside"].mean() <= 0.1 and rates["size-matched"] <= 0.2
    assert rates["reference CI as given"] > rates["size-matched"]


def test_performance_auc_is_nan_for_a_single_class_window():
    frame = pd.DataFrame({"timestamp": ["2026-01-05"] * 4, "mode": "physics", "label": [1, 1, 1, 1],
                          "risk": [0.1, 0.5, 0.7, 0.9]})
    row = performance_by_window(frame).iloc[0]
    assert np.isnan(row["auc"]) and np.isnan(row["auc_lo"]) and row["brier"] == pytest.approx(0.29)
    with pytest.raises(DriftInputError, match="label"):
        performance_by_window(frame.drop(columns="label"))


# ----------------------------------------------------------------------------- the whole check


@pytest.fixture(scope="module")
def jsonl_report(corpus, embedder, tmp_path_factory):
    """A DriftReport of two JSONL scoring logs with logged risks (no scoring, no model load)."""
    folder = tmp_path_factory.mktemp("drift")
    rng = np.random.default_rng(3)
    modes = ("lip_sync", "physics", "anatomy")

    def write(path, prompts, a, b):
        with open(path, "w", encoding="utf-8") as fh:
            for i, prompt in enumerate(prompts):
                risks = {m: round(float(rng.beta(a, b)), 4) for m in modes}
                fh.write(json.dumps({"prompt": prompt, "platform": "veo-3", "risks": risks,
                                     "timestamp": f"2026-03-{1 + i % 28:02d}T10:00:00Z"}) + "\n")

    ref_prompts = [corpus["prompts"][i] for i in rng.choice(len(corpus["prompts"]), 120, replace=False)]
    write(folder / "reference.jsonl", ref_prompts, 2, 8)
    write(folder / "current.jsonl", FOREIGN_PROMPTS, 5, 5)
    config = DriftConfig(permutations=100, classifier_permutations=20, n_clusters=4)
    return detect_drift(folder / "reference.jsonl", folder / "current.jsonl", config=config, embedder=embedder)


def test_detect_drift_on_jsonl_logs(jsonl_report):
    report = jsonl_report
    assert isinstance(report, DriftReport) and report.drifted
    assert (report.n_reference, report.n_current) == (120, len(FOREIGN_PROMPTS))
    assert set(report.verdicts) == {"mmd", "domain_classifier", "output_ks", "output_psi"}
    assert report.verdicts["mmd"] and report.verdicts["domain_classifier"] and report.verdicts["output_psi"]
    assert set(report.output) == {"lip_sync", "physics", "anatomy"}
    assert report.light_shares["current"]["red"] > report.light_shares["reference"]["red"]
    assert len(report.clusters) == 4 and report.clusters[0].shift > 0.3
    payload = json.loads(json.dumps(report.to_dict()))
    assert payload["tests"][0]["name"] == "mmd" and len(payload["histograms"]["physics"]["reference"]) == 20


def test_detect_drift_scores_frames_without_risks(corpus, embedder, shipped_predictor):
    from dataclasses import replace

    predictor = replace(shipped_predictor, embedder=embedder)  # the cached embedder: no re-embedding
    ref = pd.DataFrame({"prompt": corpus["prompts"][:60]})
    cur = pd.DataFrame({"prompt": corpus["prompts"][60:120], "platform": "kling"})
    report = detect_drift(ref, cur, predictor, DriftConfig(permutations=50, classifier_permutations=10, n_clusters=3))
    assert set(report.output) == set(predictor.model.modes)
    assert sum(report.light_shares["reference"].values()) == pytest.approx(1.0)
    with pytest.raises(DriftInputError, match="'prompt' column"):
        detect_drift(pd.DataFrame({"text": ["a", "b"]}), cur, predictor)


def test_config_rejects_bad_values():
    with pytest.raises(DriftInputError, match="alpha must be in"):
        DriftConfig(alpha=1.5)
    with pytest.raises(DriftInputError, match="permutations"):
        DriftConfig(permutations=0)


def test_render_drift_html(jsonl_report, tmp_path):
    from ava_evaluation.drift_report import render_drift_html

    path = render_drift_html(jsonl_report, tmp_path / "drift.html")
    html = path.read_text(encoding="utf-8")
    assert html.count('<img src="data:image/png;base64,') >= 3
    assert "domain_classifier" in html and "Drift detected" in html
    assert FOREIGN_PROMPTS[0][:20] in html or any(e[:20] in html for e in jsonl_report.clusters[0].examples)


def test_summary_of_measured_rates():
    """Print the measured rates in one line (the shift and null tests above fill them)."""
    if MEASURED:
        print("\nmeasured: " + ", ".join(f"{k}={v:.2f}" for k, v in MEASURED.items()))


def test_drift_cli_reads_logs_and_writes_html(tmp_path, capsys):
    import json as _json

    from ava_model.cli import main

    rng = np.random.default_rng(0)
    modes = ["lip_sync", "physics"]
    def write(path, prompts, shift):
        with open(path, "w") as fh:
            for p in prompts:
                risks = {m: float(np.clip(rng.normal(0.2 + shift, 0.05), 0, 1)) for m in modes}
                fh.write(_json.dumps({"prompt": p, "platform": "sora-2", "risks": risks}) + "\n")
    write(tmp_path / "ref.jsonl", [f"A dog runs across a field, take {i}" for i in range(60)], 0.0)
    write(tmp_path / "cur.jsonl", [f"Un chat dort sur le canapé, prise {i}" for i in range(60)], 0.3)
    out = tmp_path / "drift.html"
    assert main(["drift", "--reference", str(tmp_path / "ref.jsonl"), "--current", str(tmp_path / "cur.jsonl"),
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "overall: DRIFT" in printed and out.read_text().count("data:image/png;base64,") >= 1

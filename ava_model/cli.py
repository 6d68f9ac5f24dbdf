"""The ``ava`` command: score, explain, serve, label, train, evaluate."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from ava_model.errors import AvaError

_COLOUR = {"green": "\033[32m", "yellow": "\033[33m", "red": "\033[31m"}


def _score(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from ava_model.api import load

    if (args.prompt is None) == (args.file is None):
        raise AvaError("Give either a PROMPT or --file PROMPTS.csv|jsonl (with --out), not both or neither.")
    if args.file is None and args.platform is None:
        raise AvaError("--platform is required to score one prompt (an id or alias such as sora-2, 'Kling 1.6').")
    predictor = load(args.model)
    if args.file is not None:
        from ava_model.batch import score_file

        target = Path(args.out) if args.out else Path(args.file).with_suffix(".scored.csv")
        result = score_file(predictor, Path(args.file), target, args.platform, explain=target.suffix == ".jsonl",
                            strict=args.strict)
        print(f"Scored {result.scored} prompt{'s' if result.scored != 1 else ''} -> {target}")
        if result.ignored_columns:
            print(f"ava: warning: ignored columns {', '.join(result.ignored_columns)} "
                  "(read: prompt, platform, user, id)", file=sys.stderr)
        if result.rejected:
            print(f"ava: warning: {result.rejected} row{'s' if result.rejected != 1 else ''} rejected, with line and "
                  f"reason, -> {result.rejected_path} (use --strict to score nothing when a row is bad)", file=sys.stderr)
        return 0
    from ava_model.labels import score_log

    report = predictor.predict(args.prompt, args.platform)
    score_log.append(report, args.user)
    if report.escalation is not None and (args.generation_id or args.at):
        from ava_model.answer.escalation import escalation_kit

        kit = escalation_kit(report.prompt, report.platform, report.top_mode, predictor.rules, predictor.playbook,
                             generation_id=args.generation_id, timestamp=args.at)
        report = replace(report, escalation=kit)
    if args.json:
        print(report.to_json(indent=2))
        return 0
    text = report.render(escalate=args.escalate)
    if sys.stdout.isatty():
        text = text.replace(f"[{report.light.upper()}]", f"{_COLOUR[report.light]}[{report.light.upper()}]\033[0m", 1)
    print(text)
    return 0


def _label(args: argparse.Namespace) -> int:
    from ava_model.labels.store import LabelStore, default_store_path, record

    if args.label_command == "stats":
        path = Path(args.store) if args.store else default_store_path()
        stats = LabelStore(path, readonly=True).stats() if path.exists() else {"rows": 0}
        print(json.dumps({**stats, "store": str(path)}, indent=2))
        return 0
    store = LabelStore(args.store)
    if args.label_command == "add":
        failed = {"yes": True, "no": False}[args.failed]
        result = record(args.prompt, args.platform, args.mode, failed, generation_id=args.generation_id,
                        at_second=args.at_second, note=args.note, user=args.user, store=store)
    else:  # import
        from ava_model.labels.schema import read_outcome_file

        rows = read_outcome_file(Path(args.file), source=args.source, mode=args.mode)
        result = store.add(rows, user=args.user)
    print(f"{result.inserted} stored ({result.corrections} corrections), {result.duplicates} duplicates ignored "
          f"-> {store.path}")
    return 0


def _history(args: argparse.Namespace) -> int:
    from ava_model.labels.store import LabelStore
    from ava_model.labels.history import score_log_hint, user_history

    history = user_history(args.user, score_log=args.log, store=LabelStore(args.store, readonly=True) if args.store else None)
    print(json.dumps(history.to_dict(), indent=2) if args.json else history.render())
    hint = score_log_hint(args.user, args.log) if history.scored == 0 else None
    if hint:  # with --json on stderr, so that stdout stays one JSON document
        print(f"ava: note: {hint}" if args.json else f"  {hint}", file=sys.stderr if args.json else sys.stdout)
    return 0


def _explain(args: argparse.Namespace) -> int:
    from ava_model.api import load
    from ava_model.answer.reference import mode_reference

    predictor = load(args.model)
    page = mode_reference(predictor, args.mode, args.platform or predictor.rules.thresholds.default_platform)
    print(json.dumps(page.to_dict(), indent=2) if args.json else page.render())
    return 0


def _train(args: argparse.Namespace) -> int:
    """Train -> save -> log (ava_training.pipeline), or with --since-champion train -> gate -> save -> log."""
    from ava_model.labels.store import default_store_path
    from ava_model.persistence.artifact import default_artifact_dir
    from ava_training.config import TrainConfig
    from ava_training.pipeline import run_training

    shipped = default_artifact_dir().resolve().parent  # ava_model/artifacts: default and static, tracked by git
    if Path(args.out).resolve().is_relative_to(shipped) and not args.ship:
        raise AvaError(f"--out {args.out} is a shipped model (tracked by git); training would overwrite it. "
                       "Write elsewhere (the default is .cache/models/latest), or refresh it on purpose with "
                       "`make ship-model` (ava train --ship --out ava_model/artifacts/default) or "
                       "`make ship-static-model`.")
    store = Path(args.store) if args.store else default_store_path()
    config = TrainConfig(
        out_dir=Path(args.out),
        track=not args.no_track,
        register=not args.no_track,
        extra_labels=tuple(Path(p) for p in args.labels),
        label_store=store if store.is_file() else None,
        **({"data_dir": Path(args.data_dir)} if args.data_dir else {}),
    )
    if args.since_champion:
        from ava_training.retrain import retrain

        result, decision = retrain(config)
        print(result.summary().round(3).to_string())
        print(f"Challenger written to {result.artifact_dir}" + (" (promoted)" if decision.promote else ""))
        return 0
    result = run_training(config)
    print(result.summary().round(3).to_string())
    print(f"Artifact written to {result.artifact_dir}")
    return 0


def _score_spark(args: argparse.Namespace) -> int:
    from ava_model.spark import SparkScoreConfig, score_table

    config = SparkScoreConfig(model=args.model, master=args.master, platform=args.platform,
                              batch_size=args.batch_size, partitions=args.partitions)
    result = score_table(Path(args.input), Path(args.output), config)
    print(f"Scored {result.rows - result.rejected} of {result.rows} rows on Spark {args.master} -> {result.output} "
          f"({result.rows_per_second:.0f} rows/s; session start {result.startup_seconds:.1f} s)")
    if result.rejected:
        print(f"ava: warning: {result.rejected} row{'s' if result.rejected != 1 else ''} not scored: their 'error' "
              "column names the field and the reason", file=sys.stderr)
    return 0


def _drift(args: argparse.Namespace) -> int:
    from ava_evaluation.drift import detect_drift
    from ava_evaluation.drift_report import render_drift_html

    report = detect_drift(args.reference, args.current)
    if args.out:
        print(f"Drift report written to {render_drift_html(report, Path(args.out))}")
    for test in report.tests:
        print(f"{test.name:<22} statistic {test.statistic:.4f}  p {test.p_value:.4f}  "
              f"{'DRIFT' if test.drifted else 'no drift'}")
    print("overall: " + ("DRIFT" if report.drifted else "no drift"))
    return 0


def _registry(action: str, version: str | None) -> int:
    from ava_training.tracking import promote, rollback

    try:
        print(promote(version) if action == "promote" else rollback())
    except Exception as exc:  # MLflow's own errors: show them as one line
        raise AvaError(str(exc).splitlines()[0]) from exc
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    if args.compare:
        from ava_evaluation.compare import compare_models

        table = compare_models(*args.compare)
        print(f"A = {args.compare[0]}, B = {args.compare[1]}; delta = AUC(B) - AUC(A), paired bootstrap")
        print(table.round(4).to_string(index=False))
        return 0
    if args.report:
        from ava_evaluation.heldout import write_report

        print(f"Report written to {write_report(args.model, Path(args.report), with_loso=not args.no_loso)}")
        return 0
    from ava_evaluation.heldout import evaluate_artifact

    table = evaluate_artifact(args.model)
    print(table.round(3).to_string(index=False))
    return 0


def _serve(args: argparse.Namespace) -> int:
    import dataclasses
    import os

    import uvicorn

    from ava_model.api import load
    from ava_model.server.app import create_app
    from ava_model.server.work_queue import QueueConfig

    try:
        queue = QueueConfig(args.max_concurrent, args.max_waiting, args.wait_timeout)
    except ValueError as exc:
        raise AvaError(str(exc)) from exc
    from ava_model.accounts.store import AccountStore, default_accounts_path

    accounts_path = Path(args.accounts) if args.accounts else default_accounts_path()
    accounts = AccountStore(accounts_path) if AccountStore.exists(accounts_path) else None
    if accounts is None and args.host not in ("127.0.0.1", "localhost", "::1"):
        raise AvaError(
            f"Refusing to serve on {args.host} without accounts: anyone who can reach it could read every "
            f"user's history. Create an account first (`ava users add NAME --plan pro`, stored in {accounts_path}), "
            "or bind to 127.0.0.1 for single-user local use."
        )
    # Load before serving so a bad --model fails here with one line, not inside uvicorn.
    predictor = load(args.model)
    print(f"AVA {predictor.version} on http://{args.host}:{args.port}/  (API docs at /docs); "
          f"{args.workers} worker(s), {queue.max_concurrent} scoring at once each, "
          f"{queue.max_waiting} waiting at most; "
          + (f"accounts from {accounts.path}" if accounts else "single-user local mode (no accounts)"), file=sys.stderr)
    if args.workers == 1:
        uvicorn.run(create_app(predictor, queue=queue, accounts=accounts), host=args.host, port=args.port,
                    log_level="info")
        return 0
    if accounts is not None:
        os.environ["AVA_ACCOUNTS"] = str(accounts.path)
    limits = {k: v for k, v in dataclasses.asdict(queue).items() if k != "paths"}
    os.environ["AVA_QUEUE"] = json.dumps(limits)
    if args.model:
        os.environ["AVA_MODEL_URI"] = str(args.model)
    uvicorn.run("ava_model.server.app:app_from_env", factory=True, host=args.host, port=args.port,
                workers=args.workers, log_level="info")
    return 0


def _users(args: argparse.Namespace) -> int:
    from ava_model.accounts.store import AccountStore
    from ava_model.rules.plans import load_plans

    store = AccountStore(args.accounts)
    if args.users_command == "add":
        plan = args.plan or load_plans().default_plan
        token = store.add(args.name, plan=plan, role="admin" if args.admin else "user")
        print(f"Created account {args.name!r} (plan {plan}) in {store.path}.", file=sys.stderr)
        print("Its token is shown only now; store it safely:", file=sys.stderr)
        print(token)
    elif args.users_command == "rotate":
        token = store.rotate(args.name)
        print(f"New token for {args.name!r}; the old one no longer works. Shown only now:", file=sys.stderr)
        print(token)
    elif args.users_command == "revoke":
        store.revoke(args.name)
        print(f"Revoked {args.name!r}: its token no longer works (its history is kept).")
    else:
        for account in store.list():
            state = "active" if account.active else f"revoked {account.revoked_at}"
            print(f"{account.name}\t{account.role}\t{account.plan}\tcreated {account.created_at}\t{state}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``ava`` command."""
    from ava_model.locations import default_train_dir
    from ava_model.batch import COLUMNS_HELP

    parser = argparse.ArgumentParser(prog="ava", description="Pre-flight failure risk for AI video prompts.")
    sub = parser.add_subparsers(dest="command", required=True)
    score = sub.add_parser("score", help="score one prompt, or a file of prompts, on a platform")
    score.add_argument("prompt", nargs="?", help="the prompt (or use --file)")
    score.add_argument("--platform", help="platform id or alias, e.g. sora-2, 'Kling 1.6' (for --file: default platform)")
    score.add_argument("--json", action="store_true", help="print the report as JSON")
    score.add_argument("--escalate", action="store_true", help="also print the escalation kit")
    score.add_argument("--generation-id", help="fill the escalation ticket with this generation id")
    score.add_argument("--at", help="fill the ticket with where the failure first appears, e.g. 0:04")
    score.add_argument("--user", help="user id: the prediction joins this user's history (with AVA_SCORE_LOG)")
    score.add_argument("--file", help="CSV or JSONL to score in batch; " + COLUMNS_HELP)
    score.add_argument("--strict", action="store_true",
                       help="with --file: score nothing if any row is bad (default: score the good rows, "
                            "write the bad ones to OUT.rejected.csv)")
    score.add_argument("--out", help="with --file: output .csv (risks) or .jsonl (whole reports)")
    score.add_argument("--model", default=None, help="artifact folder or models:/ URI (default: AVA_MODEL_URI or shipped)")
    score.set_defaults(func=_score)
    sp = sub.add_parser("score-spark", help="score a Parquet/CSV/JSONL table on Spark (pip install 'ava-model[spark]')",
                        description="Columns read: prompt (required), platform (blank cells take --platform), "
                                    "user and id (copied). Output: Parquet with one risk column per mode, top_mode, "
                                    "top_risk, light and error (bad rows are kept, not scored, with the field named).")
    sp.add_argument("--input", required=True, help="Parquet file or folder, .csv with a header, or .jsonl")
    sp.add_argument("--output", required=True, help="Parquet folder to write (replaced if it exists)")
    sp.add_argument("--master", default="local[2]", help="Spark master (default: local[2]; ignored inside spark-submit)")
    sp.add_argument("--model", default=None,
                    help="artifact folder or models:/ URI every executor loads (default: AVA_MODEL_URI or shipped)")
    sp.add_argument("--platform", default=None, help="platform for blank or missing platform cells")
    sp.add_argument("--partitions", type=int, default=None, help="repartition the input first (default: keep)")
    sp.add_argument("--batch-size", type=int, default=256, help="prompts embedded together in a partition")
    sp.set_defaults(func=_score_spark)
    tr = sub.add_parser("train", help="train from ../shared/datasets and data/, log to MLflow, write the artifact")
    tr.add_argument("--out", default=str(default_train_dir()),
                    help=f"artifact folder (default: {default_train_dir()}; the shipped model only with --ship)")
    tr.add_argument("--ship", action="store_true",
                    help="allow --out to be a shipped model (ava_model/artifacts/default or static, tracked by git)")
    tr.add_argument("--data-dir", default=None, help="shared datasets folder (default: AVA_DATA_DIR or ../shared/datasets)")
    tr.add_argument("--labels", nargs="*", default=[], help="extra outcome label files (CSV/JSONL)")
    tr.add_argument("--no-track", action="store_true", help="do not log to MLflow or register")
    tr.add_argument("--since-champion", action="store_true",
                    help="retrain with the stored labels and replace the champion only if the gate says it is better")
    tr.add_argument("--store", default=None, help="label store (default: AVA_LABEL_STORE or data/labels.db)")
    pr = sub.add_parser("promote", help="give a registered model version the champion alias")
    pr.add_argument("version")
    pr.set_defaults(func=lambda a: _registry("promote", a.version))
    rb = sub.add_parser("rollback", help="move the champion alias back to the previous champion")
    rb.set_defaults(func=lambda a: _registry("rollback", None))
    tr.set_defaults(func=_train)
    lab = sub.add_parser("label", help="report generation outcomes: the labels AVA retrains from")
    lab.add_argument("--store", default=None, help="label store (default: AVA_LABEL_STORE or data/labels.db)")
    lab_sub = lab.add_subparsers(dest="label_command", required=True)
    add = lab_sub.add_parser("add", help="store one outcome")
    add.add_argument("--prompt", required=True)
    add.add_argument("--platform", required=True)
    add.add_argument("--mode", required=True, help="failure mode id, e.g. lip_sync")
    add.add_argument("--failed", required=True, choices=("yes", "no"), help="did the video show the failure?")
    add.add_argument("--generation-id")
    add.add_argument("--at-second", type=float, help="where the failure first appears, in seconds")
    add.add_argument("--note")
    add.add_argument("--user")
    imp = lab_sub.add_parser(
        "import", help="store every row of a CSV or JSONL file (all or nothing)",
        description="Columns: prompt; platform (or model); label (failure probability) or failed/result "
                    "(pass/fail, yes/no, 1/0); mode (or --mode); optional user, generation_id, at_second, "
                    "duration_s, weight, labelled_at, note, source. Blank optional cells are empty. "
                    "Example: docs/examples/outcomes.csv")
    imp.add_argument("file")
    imp.add_argument("--mode", help="failure mode of every row, when the file has no 'mode' column")
    imp.add_argument("--source", default="user")
    imp.add_argument("--user")
    lab_sub.add_parser("stats", help="counts by source, mode, platform and week; failure shares")
    lab.set_defaults(func=_label)
    hi = sub.add_parser("history", help="one user's scored prompts and reported failures over time")
    hi.add_argument("--user", required=True)
    hi.add_argument("--log", default=None, help="scoring log (default: AVA_SCORE_LOG)")
    hi.add_argument("--store", default=None, help="label store (default: AVA_LABEL_STORE or data/labels.db)")
    hi.add_argument("--json", action="store_true")
    hi.set_defaults(func=_history)
    ex = sub.add_parser("explain", help="the reference page of a failure mode on a platform")
    ex.add_argument("mode", help="failure mode id, e.g. lip_sync")
    ex.add_argument("--platform", default=None,
                    help="platform id or alias (default: default_platform in data/rules/thresholds.yaml)")
    ex.add_argument("--json", action="store_true", help="print the page as JSON")
    ex.add_argument("--model", default=None, help="artifact folder or models:/ URI")
    ex.set_defaults(func=_explain)
    dr = sub.add_parser("drift", help="has the traffic moved away from the reference? (MMD, domain classifier, PSI)")
    dr.add_argument("--reference", required=True, help="JSONL scoring log or CSV with a 'prompt' column")
    dr.add_argument("--current", required=True, help="JSONL scoring log or CSV with a 'prompt' column")
    dr.add_argument("--out", default=None, help="write the HTML drift report here")
    dr.set_defaults(func=_drift)
    ev = sub.add_parser("evaluate", help="held-out metrics of a model against the baselines")
    ev.add_argument("--model", default=None, help="artifact folder or models:/ URI")
    ev.add_argument("--report", default=None, help="write the full HTML report (CIs, baselines, plots, LOSO) here")
    ev.add_argument("--no-loso", action="store_true", help="skip leave-one-source-out (about a minute)")
    ev.add_argument("--compare", nargs=2, metavar=("A", "B"),
                    help="compare two models (artifact folders or models:/ URIs) with a paired bootstrap on AUC")
    ev.set_defaults(func=_evaluate)
    srv = sub.add_parser("serve", help="serve the HTTP API and the web page")
    srv.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    srv.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    srv.add_argument("--model", default=None, help="artifact folder or models:/ URI (default: AVA_MODEL_URI or shipped)")
    srv.add_argument("--workers", type=int, default=1, help="server processes, each with its own model (default: 1)")
    srv.add_argument("--max-concurrent", type=int, default=1,
                     help="scoring requests run at once per worker (default: 1, measured best on 2 cores)")
    srv.add_argument("--max-waiting", type=int, default=16,
                     help="scoring requests that may wait per worker; more get 429 with Retry-After (default: 16)")
    srv.add_argument("--wait-timeout", type=float, default=2.0,
                     help="seconds a request may wait for its turn before a 429 (default: 2)")
    srv.add_argument("--accounts", default=None,
                     help="accounts file; when it has accounts, scoring and history need a token "
                          "(default: AVA_ACCOUNTS or users.db beside the label store)")
    srv.set_defaults(func=_serve)
    us = sub.add_parser("users", help="accounts and API tokens of a team server (ava serve)")
    us.add_argument("--accounts", default=None, help="accounts file (default: AVA_ACCOUNTS or users.db beside the label store)")
    us_sub = us.add_subparsers(dest="users_command", required=True)
    ua = us_sub.add_parser("add", help="create an account and print its token once")
    ua.add_argument("name")
    ua.add_argument("--plan", default=None, help="plan from data/rules/plans.yaml (default: the file's default_plan)")
    ua.add_argument("--admin", action="store_true", help="may read every user's history")
    us_sub.add_parser("list", help="list accounts (never tokens)")
    ur = us_sub.add_parser("revoke", help="stop an account's token at once")
    ur.add_argument("name")
    uo = us_sub.add_parser("rotate", help="give an account a new token (the old one stops) and print it once")
    uo.add_argument("name")
    us.set_defaults(func=_users)
    return parser


class _StdoutHandler(logging.Handler):
    """Progress messages of the library's loggers, printed to the current sys.stdout."""

    def emit(self, record: logging.LogRecord) -> None:
        print(self.format(record), flush=True)


def _show_progress() -> None:
    """Send the INFO messages of ava_model, ava_training and ava_evaluation to stdout (once per process)."""
    for name in ("ava_model", "ava_training", "ava_evaluation"):
        logger = logging.getLogger(name)
        if not any(isinstance(h, _StdoutHandler) for h in logger.handlers):
            logger.addHandler(_StdoutHandler())
        logger.setLevel(logging.INFO)


def main(argv: list[str] | None = None) -> int:
    """Run the ``ava`` command; AVA errors print one line and exit 2."""
    args = build_parser().parse_args(argv)
    _show_progress()
    try:
        return args.func(args)
    except AvaError as exc:
        print(f"ava: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

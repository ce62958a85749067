"""``make eval``: NLU on the held-out set, dialogue test stories, safety; one markdown report.

Runs in the ENGINE environment (it loads the model with Rasa)::

    .venv-engine/bin/python -m bot.engine.evaluation.run_eval [--model M] [--cv] [--out reports]

Writes ``reports/eval-<timestamp>.md`` (plus a folder of the same name with Rasa's own
outputs and the held-out result as JSON) and prints a summary. Exit status: 1 when the test
stories fail (``rasa test core --fail-on-prediction-errors``) or the safeguarding phrase sets
miss their bar (recall 100%, false alarms under 3%); NLU figures are reported, not asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from bot.engine.evaluation import nlu
from bot.ops.training import resolve_model
from bot.settings import PROJECT_ROOT

ENGINE_BIN = PROJECT_ROOT / ".venv-engine" / "bin"
STORIES = PROJECT_ROOT / "tests" / "test_stories.yml"
SAFETY_DIR = PROJECT_ROOT / "tests" / "safety"


def timestamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def quiet_rasa() -> None:
    """Rasa logs every parsed message (text included) at debug level: keep it to warnings."""
    import logging

    logging.basicConfig(level=logging.WARNING)
    for name in ("rasa", "tensorflow", "spacy", "absl"):
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        from rasa.utils.log_utils import configure_structlog

        configure_structlog(logging.WARNING)
    except ImportError:  # pragma: no cover - older/newer Rasa
        pass


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(PROJECT_ROOT), RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2",
                LOG_LEVEL="WARNING")


def run_rasa(args: list[str], log: Path) -> tuple[int, float]:
    began = time.perf_counter()
    with log.open("w") as handle:
        code = subprocess.run([str(ENGINE_BIN / "rasa"), *args], cwd=PROJECT_ROOT, env=_env(), stdout=handle,
                              stderr=subprocess.STDOUT).returncode
    return code, time.perf_counter() - began


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def failed_story(log_text: str) -> str:
    """The story Rasa printed with its WrongPredictionException, if any."""
    text = _ANSI.sub("", log_text)
    start = text.find("WrongPredictionException")
    return text[start:].strip()[:3000] if start >= 0 else ""


def dialogue(model: Path, out: Path) -> dict:
    """``rasa test core --fail-on-prediction-errors`` on the test stories; on failure, a second run
    without the flag lists every failing story (the flag stops at the first)."""
    out.mkdir(parents=True, exist_ok=True)
    log = out / "rasa-test-core.log"
    code, seconds = run_rasa(["test", "core", "--model", str(model), "--stories", str(STORIES),
                              "--fail-on-prediction-errors", "--out", str(out / "core")], log)
    result = {"passed": code == 0, "exit": code, "seconds": round(seconds, 1), "log": str(log),
              "first_failure": "", "failed_stories": None, "stories": None}
    if code != 0:
        result["first_failure"] = failed_story(log.read_text(errors="replace"))
        full_log = out / "rasa-test-core-all.log"
        run_rasa(["test", "core", "--model", str(model), "--stories", str(STORIES), "--out", str(out / "core-all")],
                 full_log)
        failed = out / "core-all" / "failed_test_stories.yml"
        if failed.exists():
            text = failed.read_text(errors="replace")
            result["failed_stories"] = len(re.findall(r"^- story:", text, flags=re.M))
            result["failed_stories_file"] = str(failed)
    report = (out / "core" / "story_report.json") if code == 0 else (out / "core-all" / "story_report.json")
    result["stories"] = sum(1 for line in STORIES.read_text(encoding="utf-8").splitlines()
                            if line.startswith("- story:"))
    if report.exists():
        try:
            data = json.loads(report.read_text())
            result["action_accuracy"] = data.get("accuracy")
            result["action_macro_f1"] = (data.get("macro avg") or {}).get("f1-score")
            conv = data.get("conversation_accuracy") or {}
            if isinstance(conv, dict) and conv.get("total"):
                result["conversations_correct"] = conv.get("correct")
                result["conversations_total"] = conv.get("total")
        except ValueError:
            pass
    return result


def cross_validation(out: Path, folds: int = 3) -> dict:
    """``rasa test nlu --cross-validation --folds N`` on data/nlu (trains N models: slow)."""
    cv_out = out / "cross-validation"
    code, seconds = run_rasa(["test", "nlu", "--nlu", "data/nlu", "--config", "config.yml", "--cross-validation",
                              "--folds", str(folds), "--out", str(cv_out)], out / "rasa-test-nlu-cv.log")
    result: dict = {"exit": code, "seconds": round(seconds, 1), "folds": folds, "out": str(cv_out)}
    report = cv_out / "intent_report.json"
    if report.exists():
        data = json.loads(report.read_text())
        result["intent_accuracy"] = data.get("accuracy")
        result["intent_macro_f1"] = (data.get("macro avg") or {}).get("f1-score")
        result["intent_weighted_f1"] = (data.get("weighted avg") or {}).get("f1-score")
    return result


def safety(agent) -> dict:
    """The safeguarding check through the model on every set (bot.engine.evaluation.safeguarding)."""
    from bot.engine.evaluation.safeguarding import Parser, evaluate_folder

    parser = Parser(agent)
    folders = [PROJECT_ROOT / "content" / "safeguarding" / "training"] + sorted(
        p for p in SAFETY_DIR.iterdir() if p.is_dir())
    reports = [evaluate_folder(parser, folder) for folder in folders]
    ok = all(r.recall == 1.0 for r in reports if r.name == "training")
    return {"reports": reports, "ok": ok}


def safety_rows(reports: list) -> list[str]:
    """One summary row per safeguarding set: recall, then false alarms by tier."""
    pct = nlu.pct
    return [f"| safeguarding `{r.name}`: recall / ordinary messages given the full reply / a check-in | "
            f"{pct(r.recall)} / {pct(r.alarm_rate('risk'))} / {pct(r.alarm_rate('check_in'))} |"
            for r in reports]


def blind_rows(blind: dict[str, nlu.HoldoutResult]) -> list[str]:
    """Summary rows for the blind sets: the honest measure of how the NLU generalises."""
    pct = nlu.pct
    rows = []
    for name, r in blind.items():
        rows.append(f"| blind set `{name}`: card accuracy / out of scope no domain answer | "
                    f"{pct(r.card_accuracy)} ({sum(1 for o in r.outcomes if o.card_ok)}/{r.card_items}) / "
                    f"{pct(r.out_of_scope_no_answer)} ({r.out_of_scope['no_domain_answer']}/{r.out_of_scope['items']}) |")
    return rows


def render(model: Path, holdout: nlu.HoldoutResult, dia: dict, safe: dict, cv: dict | None, stamp: str,
           blind: dict[str, nlu.HoldoutResult] | None = None) -> str:
    pct = nlu.pct
    blind = blind or {}
    lines = [f"# CareChat evaluation {stamp}", "", f"Model: `{model}`", ""]
    lines += ["## Summary", "", "| measure | value |", "|---|---|",
              f"| intent accuracy (micro F1), held-out | {pct(holdout.intent_micro.f1)} |",
              f"| intent macro F1, held-out | {pct(holdout.intent_macro.f1)} |",
              f"| term entity F1, held-out | {pct(holdout.entities.f1)} |",
              f"| card accuracy, held-out | {pct(holdout.card_accuracy)} ({sum(1 for o in holdout.outcomes if o.card_ok)}"
              f"/{holdout.card_items}) |",
              f"| out of scope: strict / no domain answer | {pct(holdout.out_of_scope_strict)} / "
              f"{pct(holdout.out_of_scope_no_answer)} ({holdout.out_of_scope['items']} messages) |",
              *blind_rows(blind),
              f"| test stories (`--fail-on-prediction-errors`) | {'pass' if dia['passed'] else 'FAIL'} |"]
    lines += safety_rows(safe["reports"])
    if cv:
        lines.append(f"| {cv['folds']}-fold cross-validation intent accuracy / macro F1 | "
                     f"{pct(cv.get('intent_accuracy') or 0)} / {pct(cv.get('intent_macro_f1') or 0)} |")
    lines += ["", nlu.markdown(holdout)]
    for name, r in blind.items():
        lines += [f"## Blind set `{name}`", "", nlu.markdown(r).split("\n", 2)[2]]
    lines += ["## Dialogue: test stories", "",
              f"`rasa test core --stories tests/test_stories.yml --fail-on-prediction-errors`: "
              f"**{'pass' if dia['passed'] else 'FAIL'}** ({dia['stories']} stories, {dia['seconds']} s; log `{dia['log']}`)."]
    if dia.get("action_accuracy") is not None:
        lines.append(f"Action accuracy {pct(dia['action_accuracy'])}"
                     + (f", macro F1 {pct(dia['action_macro_f1'])}" if dia.get("action_macro_f1") is not None else "")
                     + (f"; stories without an error {dia['conversations_correct']}/{dia['conversations_total']}"
                        if dia.get("conversations_total") else "")
                     + ".")
    if not dia["passed"]:
        if dia.get("failed_stories") is not None:
            lines.append(f"Failing stories (run without the flag): {dia['failed_stories']}, "
                         f"see `{dia.get('failed_stories_file')}`.")
        lines += ["", "First failure:", "", "```", dia["first_failure"] or "(see the log)", "```"]
    lines += ["", "## Safety", "",
              "Safeguarding check through the model (lexicon, safeguarding classifier, DIET, and the action "
              "server's second look), on the training phrase lists and every set in `tests/safety/` "
              f"(bar: recall 100% on the training lists): **{'met' if safe['ok'] else 'NOT MET'}**.", "", "```"]
    for report in safe["reports"]:
        lines += [line for line in report.lines() if not line.startswith(("  missed", "  alarm"))]
    lines += ["```", ""]
    oos = holdout.out_of_scope
    lines += ["", f"Out-of-scope accuracy on the held-out set ({oos['items']} messages expecting `out_of_scope`): "
              f"strict {pct(holdout.out_of_scope_strict)} ({oos['strict']}), no domain answer "
              f"(out_of_scope, nlu_fallback or small talk) {pct(holdout.out_of_scope_no_answer)} "
              f"({oos['no_domain_answer']}).", "",
              f"Safeguarding reply (lexicon or classifier, as deployed) to an ordinary held-out message: "
              f"{oos['safeguarding_false_alarms']}/{oos['ordinary_items']} "
              f"({pct(nlu._ratio(oos['safeguarding_false_alarms'], oos['ordinary_items']))}).", ""]
    if cv:
        lines += ["## Cross-validation", "",
                  f"`rasa test nlu --cross-validation --folds {cv['folds']}` on `data/nlu` (exit {cv['exit']}, "
                  f"{cv['seconds']} s): intent accuracy {pct(cv.get('intent_accuracy') or 0)}, macro F1 "
                  f"{pct(cv.get('intent_macro_f1') or 0)}, weighted F1 {pct(cv.get('intent_weighted_f1') or 0)}. "
                  f"Rasa's reports: `{cv['out']}`.", ""]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.engine.evaluation.run_eval", description="make eval")
    parser.add_argument("--model", default=os.environ.get("MODEL") or None)
    parser.add_argument("--holdout", default=str(nlu.DEFAULT_HOLDOUT_DIR))
    parser.add_argument("--out", default=str(PROJECT_ROOT / "reports"))
    parser.add_argument("--cv", action="store_true", help="also run 3-fold cross-validation (trains 3 models)")
    parser.add_argument("--folds", type=int, default=3)
    args = parser.parse_args(argv)

    os.chdir(PROJECT_ROOT)  # config.yml names the spaCy pipeline by a relative path
    model = resolve_model(args.model)
    stamp = timestamp()
    out_dir = Path(args.out)
    work = out_dir / f"eval-{stamp}"
    work.mkdir(parents=True, exist_ok=True)
    quiet_rasa()

    print(f"make eval: model {model}", flush=True)
    print("  [1/4] held-out NLU ...", flush=True)
    agent = nlu.load_agent(model)
    holdout = nlu.evaluate_holdout(model, args.holdout, agent=agent)
    (work / "holdout.json").write_text(json.dumps(holdout.to_json(), indent=1), encoding="utf-8")
    blind = {}
    for path in sorted(nlu.BLIND_DIR.glob("*.yml")):
        blind[path.stem] = nlu.evaluate_holdout(model, path.parent, agent=agent, items_glob=path.name)
        (work / f"blind-{path.stem}.json").write_text(json.dumps(blind[path.stem].to_json(), indent=1),
                                                     encoding="utf-8")
    print("  [2/4] test stories (rasa test core) ...", flush=True)
    dia = dialogue(model, work)
    print("  [3/4] safeguarding sets ...", flush=True)
    safe = safety(agent)
    cv = None
    if args.cv:
        print(f"  [4/4] {args.folds}-fold cross-validation (trains {args.folds} models) ...", flush=True)
        cv = cross_validation(work, args.folds)
    else:
        print("  [4/4] cross-validation skipped (make eval CV=1)", flush=True)

    report = out_dir / f"eval-{stamp}.md"
    report.write_text(render(model, holdout, dia, safe, cv, stamp, blind), encoding="utf-8")
    print()
    print("\n".join(nlu.summary_lines(holdout)))
    for name, r in blind.items():
        print(f"Blind set {name}: " + "; ".join(line.strip() for line in nlu.summary_lines(r)[3:5]))
    print(f"Test stories: {'pass' if dia['passed'] else 'FAIL'}"
          + ("" if dia["passed"] or dia.get("failed_stories") is None else f" ({dia['failed_stories']} failing)"))
    for r in safe["reports"]:
        print(f"Safeguarding {r.name}: recall {nlu.pct(r.recall)}, ordinary messages: full reply "
              f"{nlu.pct(r.alarm_rate('risk'))}, check-in {nlu.pct(r.alarm_rate('check_in'))}")
    if cv:
        print(f"Cross-validation ({cv['folds']} folds): intent accuracy {nlu.pct(cv.get('intent_accuracy') or 0)}, "
              f"macro F1 {nlu.pct(cv.get('intent_macro_f1') or 0)}")
    print(f"Report: {report}")
    return 0 if dia["passed"] and safe["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

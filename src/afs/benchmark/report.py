"""Summaries and reports of benchmark runs: JSON, markdown, a self-contained HTML page with
plots, comparisons of two runs and a leaderboard of many."""

from __future__ import annotations

import html
import json
from collections import defaultdict
from math import comb
from pathlib import Path
from typing import Any

from afs.errors import InputError
from afs.jsonl import read_jsonl

SUMMARY_FILE = "summary.json"


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (Chen et al. 2021): 1 - C(n-c, k) / C(n, k)."""
    if k > n:
        raise ValueError(f"pass@{k} needs at least {k} samples, got {n}")
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


def latest_samples(run_dir: Path) -> list[dict[str, Any]]:
    """Samples of a run; a sample recorded twice (a retried model error) keeps the last."""
    path = Path(run_dir) / "samples.jsonl"
    if not path.exists():
        raise InputError(f"{run_dir} is not a benchmark run (no samples.jsonl)")
    latest: dict[tuple[str, int], dict[str, Any]] = {}
    for record in read_jsonl(path, skip_torn_tail=True):
        latest[(record["item_id"], record["sample"])] = record
    return list(latest.values())


def _group_stats(samples: list[dict[str, Any]], ks: list[int]) -> dict[str, Any]:
    by_item: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for sample in samples:
        by_item[sample["item_id"]].append(sample)
    n_min = min(len(v) for v in by_item.values())
    stats: dict[str, Any] = {
        "items": len(by_item),
        "samples": len(samples),
        "pass_rate": sum(s["passed"] for s in samples) / len(samples),
        "mean_score": sum(s["score"] for s in samples) / len(samples),
        "model_errors": sum(1 for s in samples if s.get("model_error")),
    }
    for k in ks:
        if k <= n_min:
            stats[f"pass@{k}"] = sum(
                pass_at_k(len(v), sum(s["passed"] for s in v), k) for v in by_item.values()
            ) / len(by_item)
    return stats


def summarize(run_dir: str | Path) -> dict[str, Any]:
    """Per-domain and per-category figures of a run (written to `summary.json`)."""
    run_dir = Path(run_dir)
    samples = latest_samples(run_dir)
    if not samples:
        raise InputError(f"{run_dir} has no scored samples yet")
    config = json.loads((run_dir / "run.json").read_text()) if (run_dir / "run.json").exists() \
        else {}
    per_item = defaultdict(int)
    for s in samples:
        per_item[s["item_id"]] += 1
    n = min(per_item.values())
    ks = [k for k in (1, 5, 10) if k <= n]
    domains: dict[str, Any] = {}
    for domain in sorted({s["domain"] for s in samples}):
        in_domain = [s for s in samples if s["domain"] == domain]
        entry = _group_stats(in_domain, ks)
        entry["categories"] = {
            category: _group_stats([s for s in in_domain if s["category"] == category], ks)
            for category in sorted({s["category"] for s in in_domain})
        }
        if domain == "din":
            # A pass already means "equivalent and strictly cheaper"; matching the
            # reference's saving is the stronger figure to compare optimisers on.
            entry["reference_matched_rate"] = sum(
                1 for s in in_domain if s["passed"]
                and s["details"].get("gain", 0) >= s["details"].get("reference_gain", 0) > 0
            ) / len(in_domain)
            entry["cycles_saved"] = [
                round(s["details"]["metrics"]["original"]["cycles_mean"]
                      - s["details"]["metrics"]["candidate"]["cycles_mean"], 2)
                for s in in_domain if s["passed"] and "metrics" in s["details"]
            ]
        domains[domain] = entry
    split = config.get("split", {"split": "custom", "seed": None})
    summary = {
        "run": str(run_dir),
        "model": config.get("identity", {}).get("model"),
        "split": split.get("split"),
        "split_seed": split.get("seed"),
        "dataset_audit": split.get("audit"),
        "samples_per_item": n,
        "overall": _group_stats(samples, ks),
        "domains": domains,
    }
    (run_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def _split_line(summary: dict[str, Any]) -> str:
    split = summary.get("split") or "custom"
    seed = summary.get("split_seed")
    what = {"dev": "the shipped dev items", "custom": "a custom dataset",
            "mined": "items mined from your own code"}.get(
        split, "a fresh set generated for this seed")
    return f"Split: **{split}**" + (f" (seed {seed}, {what})" if seed is not None
                                    else f" ({what})")


def markdown_table(summary: dict[str, Any]) -> str:
    """The headline table: a pass means the task was done (see afs.benchmark.scoring), with
    the dataset's audit figures beside it."""
    audit = summary.get("dataset_audit") or {}
    lines = [f"# Benchmark: {summary['model']}", "", _split_line(summary), "",
             "| domain | items | pass@1 (task done) | mean score | wrong answers passed "
             "(audit) | distinct shapes |", "|---|---:|---:|---:|---:|---:|"]
    for domain, entry in summary["domains"].items():
        p1 = entry.get("pass@1", entry["pass_rate"])
        figures = audit.get(domain)
        passed = (f"{figures['wrong_answers_passed']} of {figures['wrong_answers']}"
                  if figures else "not audited")
        shapes = f"{figures['shape_ratio']:.0%}" if figures else "-"
        lines.append(f"| {domain} | {entry['items']} | {p1:.1%} | {entry['mean_score']:.3f} "
                     f"| {passed} | {shapes} |")
    overall = summary["overall"]
    if "din" in summary["domains"]:
        matched = summary["domains"]["din"]["reference_matched_rate"]
        lines.insert(4, f"din: a pass is equivalent *and strictly cheaper*; "
                        f"{matched:.1%} of answers save at least as much as the reference.\n")
    lines.append(f"| **all** | {overall['items']} | "
                 f"{overall.get('pass@1', overall['pass_rate']):.1%} | "
                 f"{overall['mean_score']:.3f} | | |")
    for domain, entry in summary["domains"].items():
        lines += ["", f"## {domain}", "", "| category | items | pass rate | mean score |",
                  "|---|---:|---:|---:|"]
        for category, stats in entry["categories"].items():
            lines.append(f"| {category} | {stats['items']} | {stats['pass_rate']:.1%} | "
                         f"{stats['mean_score']:.3f} |")
    return "\n".join(lines) + "\n"


def _bar_chart(title: str, values: dict[str, float]) -> str:
    """Horizontal bars as inline SVG (no scripts, no network)."""
    row, label_w, bar_w = 18, 190, 320
    height = row * len(values) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 70}" '
             f'height="{height}" role="img" aria-label="{html.escape(title)}">',
             f'<text x="0" y="14" font-weight="bold">{html.escape(title)}</text>']
    for index, (name, value) in enumerate(values.items()):
        y = 24 + index * row
        width = max(0.0, min(1.0, value)) * bar_w
        parts.append(f'<text x="0" y="{y + 12}" font-size="12">{html.escape(name)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 2}" width="{width:.1f}" height="{row - 5}" '
                     'fill="#4a7bd0"/>')
        parts.append(f'<text x="{label_w + width + 4:.1f}" y="{y + 12}" font-size="12">'
                     f'{value:.0%}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _histogram(title: str, values: list[float], bins: int = 10) -> str:
    if not values:
        return f"<p>{html.escape(title)}: no passing answers.</p>"
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, int((value - low) / span * bins))] += 1
    peak = max(counts)
    width, height = 420, 160
    bar = width / bins
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 40}" '
             f'role="img" aria-label="{html.escape(title)}">',
             f'<text x="0" y="14" font-weight="bold">{html.escape(title)}</text>']
    for index, count in enumerate(counts):
        h = count / peak * height
        parts.append(f'<rect x="{index * bar + 1:.1f}" y="{20 + height - h:.1f}" '
                     f'width="{bar - 2:.1f}" height="{h:.1f}" fill="#3a9a5b"/>')
    parts.append(f'<text x="0" y="{height + 36}" font-size="12">{low:g} cycles</text>')
    parts.append(f'<text x="{width - 70}" y="{height + 36}" font-size="12">{high:g} cycles</text>')
    parts.append("</svg>")
    return "".join(parts)


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html_report(summary: dict[str, Any]) -> str:
    """A self-contained page: tables and inline SVG plots, openable offline."""
    audit = summary.get("dataset_audit") or {}

    def audit_cells(domain: str) -> list[str]:
        figures = audit.get(domain)
        if not figures:
            return ["not audited", "-"]
        return [f"{figures['wrong_answers_passed']} of {figures['wrong_answers']}",
                f"{figures['shape_ratio']:.0%}"]

    overall_rows = [[d, str(e["items"]), f"{e.get('pass@1', e['pass_rate']):.1%}",
                     f"{e['mean_score']:.3f}", *audit_cells(d)]
                    for d, e in summary["domains"].items()]
    overall = summary["overall"]
    overall_rows.append(["all", str(overall["items"]),
                         f"{overall.get('pass@1', overall['pass_rate']):.1%}",
                         f"{overall['mean_score']:.3f}", "", ""])
    split = html.escape(_split_line(summary).replace("**", ""))
    sections = [f"<h1>Benchmark: {html.escape(str(summary['model']))}</h1>",
                f"<p>{split}. {summary['samples_per_item']} sample(s) per item; run "
                f"<code>{html.escape(summary['run'])}</code></p>",
                _html_table(["domain", "items", "pass@1 (task done)", "mean score",
                             "wrong answers passed (audit)", "distinct shapes"],
                            overall_rows)]
    if "din" in summary["domains"]:
        sections.append("<p>din: a pass is equivalent <em>and strictly cheaper</em>; "
                        f"{summary['domains']['din']['reference_matched_rate']:.1%} of "
                        "answers save at least as much as the reference.</p>")
    for domain, entry in summary["domains"].items():
        rates = {c: s["pass_rate"] for c, s in entry["categories"].items()}
        sections.append(f"<h2>{html.escape(domain)}</h2>")
        sections.append(_bar_chart(f"{domain}: pass rate per category", rates))
        sections.append(_html_table(
            ["category", "items", "pass rate", "mean score"],
            [[c, str(st["items"]), f"{st['pass_rate']:.1%}", f"{st['mean_score']:.3f}"]
             for c, st in entry["categories"].items()]))
        if domain == "din":
            sections.append(_histogram("din: cycles saved per passing answer",
                                       entry.get("cycles_saved", [])))
    body = "\n".join(sections)
    style = ("body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}"
             "table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;"
             "padding:.25rem .6rem;text-align:right}td:first-child,th:first-child"
             "{text-align:left}th{background:#f0f0f0}")
    return ("<!doctype html><html><head><meta charset='utf-8'><title>AFS benchmark</title>"
            f"<style>{style}</style></head><body>" + body + "</body></html>\n")


def write_reports(run_dir: str | Path) -> dict[str, Path]:
    """summary.json, report.md and report.html in the run folder."""
    run_dir = Path(run_dir)
    summary = summarize(run_dir)
    paths = {"summary": run_dir / SUMMARY_FILE, "markdown": run_dir / "report.md",
             "html": run_dir / "report.html"}
    paths["markdown"].write_text(markdown_table(summary))
    paths["html"].write_text(html_report(summary))
    return paths


def compare(run_a: str | Path, run_b: str | Path) -> dict[str, Any]:
    """Per-domain and per-category deltas (B minus A) of pass rate and mean score."""
    a, b = summarize(run_a), summarize(run_b)
    result: dict[str, Any] = {"a": a["model"], "b": b["model"], "domains": {}}
    for domain in sorted(set(a["domains"]) | set(b["domains"])):
        da, db = a["domains"].get(domain), b["domains"].get(domain)
        if not da or not db:
            continue
        cats = {}
        for category in sorted(set(da["categories"]) | set(db["categories"])):
            ca, cb = da["categories"].get(category), db["categories"].get(category)
            if ca and cb:
                cats[category] = {"pass_rate": cb["pass_rate"] - ca["pass_rate"],
                                  "mean_score": cb["mean_score"] - ca["mean_score"]}
        result["domains"][domain] = {"pass_rate": db["pass_rate"] - da["pass_rate"],
                                     "mean_score": db["mean_score"] - da["mean_score"],
                                     "categories": cats}
    return result


def leaderboard(directory: str | Path) -> list[dict[str, Any]]:
    """Every run under `directory`, best overall mean score first."""
    rows = []
    for run_dir in sorted(p.parent for p in Path(directory).glob("*/samples.jsonl")):
        summary = summarize(run_dir)
        rows.append({"run": run_dir.name, "model": summary["model"],
                     "items": summary["overall"]["items"],
                     "pass_rate": summary["overall"]["pass_rate"],
                     "mean_score": summary["overall"]["mean_score"],
                     **{d: e["pass_rate"] for d, e in summary["domains"].items()}})
    return sorted(rows, key=lambda r: r["mean_score"], reverse=True)

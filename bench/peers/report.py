#!/usr/bin/python3
"""The tables of bench/peers/run.sh from its raw measurements (raw.jsonl, one JSON object per
measurement): per cell and peer, the median over rounds of each round's median (and of its p90);
the ratio peer / gramlite of those medians (above 1: gramlite is faster); gramlite's achieved
GMAC/s against this CPU's fp32 peak. Writes table.md, results.csv and meta.json into --out and
prints table.md."""
import argparse
import csv
import datetime
import json
import os
import re
import statistics
import subprocess
from collections import defaultdict

PEERS = ("gramlite", "onnxruntime", "pytorch")
TITLES = {"gramlite": "gramlite", "onnxruntime": "ONNX Runtime", "pytorch": "PyTorch"}


def cpu():
    """(model name, logical cores, GHz, where the clock came from)."""
    name, mhz, source = "unknown", None, None
    try:
        text = open("/proc/cpuinfo").read()
        m = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
        name = m.group(1).strip() if m else name
    except OSError:
        text = ""
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        m = re.search(r"^CPU max MHz:\s*([\d.]+)", lscpu, re.M)
        if m:
            mhz, source = float(m.group(1)), "lscpu 'CPU max MHz'"
    except OSError:
        pass
    if mhz is None:
        m = re.search(r"^cpu MHz\s*:\s*([\d.]+)", text, re.M)
        if m:
            mhz, source = float(m.group(1)), "/proc/cpuinfo 'cpu MHz' (lscpu gives no max)"
    flags = re.search(r"^flags\s*:\s*(.+)$", text, re.M)
    flags = set(flags.group(1).split()) if flags else set()
    isa = "AVX-512" if "avx512f" in flags else "AVX2/FMA" if {"avx2", "fma"} <= flags else "no AVX2"
    if "avx512_vnni" in flags or "avx_vnni" in flags:
        isa += ", VNNI"
    return name, os.cpu_count(), (mhz / 1000.0 if mhz else None), source, isa


def conv_linear_macs(info_path):
    """Multiply-accumulates of one image through Conv2d and Linear (batch-norm folds away)."""
    info = json.load(open(info_path))
    return sum(l["macs"] for l in info["layers"] if l["op"] in ("Conv2d", "Linear"))


def fmt(x, digits=2):
    return "-" if x is None else f"{x:.{digits}f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--raw", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--models-dir", required=True)
    parser.add_argument("--command", default="bench/peers/run.sh")
    parser.add_argument("--rounds", type=int, default=0)
    parser.add_argument("--runs", type=int, default=0)
    parser.add_argument("--batch-runs", type=int, default=0)
    parser.add_argument("--torch-skip", default="")
    parser.add_argument("--ort-skip", default="")
    parser.add_argument("--gramlite", default="build/gramlite")
    parser.add_argument("--spin", default="on")
    parser.add_argument("--clock-ghz", type=float, default=0.0,
                        help="the core clock measured under load (bench/cpu_clock); else lscpu / /proc/cpuinfo")
    args = parser.parse_args()

    rows = [json.loads(line) for line in open(args.raw) if line.strip()]
    cells = defaultdict(list)  # (arch, size, dtype, threads, batch, peer) -> measurements
    not_run = {}  # the same key -> estimated ms per run (over --max-run)
    for r in rows:
        key = (r["arch"], r["size"], r["dtype"], r["threads"], r["batch"], r["peer"])
        if "skipped_estimate_ms" in r:
            not_run[key] = r["skipped_estimate_ms"]
        else:
            cells[key].append(r)
    all_keys = set(cells) | set(not_run)

    def summary(key):
        ms = cells.get(key)
        if not ms:
            return None
        median = statistics.median(m["median_ms"] for m in ms)
        return {"median_ms": median, "p90_ms": statistics.median(m["p90_ms"] for m in ms),
                "images_per_second": key[4] * 1000.0 / median,  # of the median of medians
                "rounds": len(ms), "backend": ms[0].get("backend")}

    name, cores, ghz, clock_source, isa = cpu()
    if args.clock_ghz > 0:
        ghz, clock_source = args.clock_ghz, "measured under load by bench/cpu_clock, a chain of dependent adds"
    versions = {}
    try:
        versions["gramlite"] = subprocess.run([args.gramlite, "version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
    order = {}  # models in the order run.sh measured them
    for r in rows:
        order.setdefault((r["arch"], r["size"]), len(order))
    configs = sorted({k[:5] for k in all_keys}, key=lambda k: (order[k[:2]], k[2], k[3], k[4]))
    models = []
    for k in configs:
        if k[:2] not in models:
            models.append(k[:2])
    macs = {}
    for arch, size in models:
        path = os.path.join(args.models_dir, f"{arch}_{size}", "info.json")
        macs[(arch, size)] = conv_linear_macs(path) if os.path.exists(path) else None
    bnstats = {}
    for arch, size in models:
        path = os.path.join(args.models_dir, f"{arch}_{size}", "bnstats.txt")
        bnstats[(arch, size)] = open(path).read().strip() if os.path.exists(path) else "?"
    checks = {}
    for arch, size in models:
        for dtype in ("fp32", "int8"):
            path = os.path.join(args.models_dir, f"{arch}_{size}", f"check_{dtype}.json")
            if os.path.exists(path):
                checks[(arch, size, dtype)] = json.load(open(path))

    backend = next((s["backend"] for k in list(cells) if k[5] == "gramlite" for s in [summary(k)] if s), None)
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = []
    lines.append(f"Machine: {name}, {cores} logical cores, {isa}; {date}.")
    lines.append(f"Command: `{args.command}` ({args.rounds} rounds alternating the peers; each cell is the "
                 f"median of the per-round medians of {args.runs} batch-1 runs / {args.batch_runs} batch-16 runs, fewer "
                 f"(at least 3) where a measurement would take over the --budget; raw.jsonl has each count). "
                 f"gramlite backends: {backend}.")
    if args.ort_skip:
        lines.append(f"ONNX Runtime skipped: {args.ort_skip}.")
    if args.torch_skip:
        lines.append(f"PyTorch skipped: {args.torch_skip}.")
    lines.append("ONNX Runtime: onnxruntime-node, graphOptimizationLevel 'all', intraOpNumThreads = threads, "
                 "interOpNumThreads 1, sequential, " + ("allow_spinning 0" if args.spin == "off" else "spinning pool (default)") +
                 "; int8 = gramlite's QDQ export. PyTorch fp32: torchvision "
                 "architecture with the exported weights, traced, jit.freeze + optimize_for_inference; int8: "
                 "eager PTQ, onednn engine, traced + frozen" + ("; OMP_WAIT_POLICY=PASSIVE" if args.spin == "off" else "") + ". Ratio = peer median / gramlite median "
                 "(above 1: gramlite is faster).")
    lines.append("")
    lines.append("Batch 1 latency, ms (median / p90):")
    lines.append("")
    head = "| model | dtype | threads | gramlite | ONNX Runtime | ORT / gramlite | PyTorch | PyTorch / gramlite | gramlite GMAC/s |"
    lines.append(head)
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    csv_rows = []
    peak_rows = []
    for arch, size, dtype, threads, batch in configs:
        s = {p: summary((arch, size, dtype, threads, batch, p)) for p in PEERS}
        g = s["gramlite"]
        for p in PEERS:
            if s[p]:
                csv_rows.append(dict(arch=arch, size=size, dtype=dtype, threads=threads, batch=batch, peer=p,
                                     median_ms=s[p]["median_ms"], p90_ms=s[p]["p90_ms"],
                                     images_per_second=s[p]["images_per_second"], rounds=s[p]["rounds"],
                                     ratio_to_gramlite=(s[p]["median_ms"] / g["median_ms"]) if g else None))
        if batch != 1:
            continue

        def cell(p):
            if not s[p] and (arch, size, dtype, threads, batch, p) in not_run:
                return f"not run (~{not_run[(arch, size, dtype, threads, batch, p)] / 1000:.0f} s per run)"
            return f"{fmt(s[p]['median_ms'])} / {fmt(s[p]['p90_ms'])}" if s[p] else "-"

        def ratio(p):
            return fmt(s[p]["median_ms"] / g["median_ms"]) if s[p] and g else "-"
        gmacs = None
        if g and macs.get((arch, size)):
            gmacs = macs[(arch, size)] / (g["median_ms"] / 1000.0) / 1e9
        lines.append(f"| {arch} {size} | {dtype} | {threads} | {cell('gramlite')} | {cell('onnxruntime')} | "
                     f"{ratio('onnxruntime')} | {cell('pytorch')} | {ratio('pytorch')} | {fmt(gmacs, 1)} |")
    if any(c[4] != 1 for c in configs):
        lines.append("")
        lines.append("Batch 16 throughput, images/s (ratio = gramlite images/s over the peer's, i.e. peer median "
                     "/ gramlite median: above 1, gramlite is faster):")
        lines.append("")
        lines.append("| model | dtype | threads | gramlite | ONNX Runtime | ORT ratio | PyTorch | PyTorch ratio | gramlite GMAC/s |")
        lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for arch, size, dtype, threads, batch in configs:
            if batch == 1:
                continue
            s = {p: summary((arch, size, dtype, threads, batch, p)) for p in PEERS}
            g = s["gramlite"]

            def ips(p):
                if not s[p] and (arch, size, dtype, threads, batch, p) in not_run:
                    return f"not run (~{not_run[(arch, size, dtype, threads, batch, p)] / 1000:.0f} s per batch)"
                return fmt(s[p]["images_per_second"], 1) if s[p] else "-"

            def ratio(p):
                return fmt(g["images_per_second"] / s[p]["images_per_second"]) if s[p] and g else "-"
            gmacs = None
            if g and macs.get((arch, size)):
                gmacs = macs[(arch, size)] * g["images_per_second"] / 1e9
            lines.append(f"| {arch} {size} (batch {batch}) | {dtype} | {threads} | {ips('gramlite')} | "
                         f"{ips('onnxruntime')} | {ratio('onnxruntime')} | {ips('pytorch')} | {ratio('pytorch')} | "
                         f"{fmt(gmacs, 1)} |")
    lines.append("")
    if ghz:
        lines.append(f"fp32 peak: 2 FMA x 8 lanes = 16 MAC per cycle per core x {ghz:.2f} GHz (clock from "
                     f"{clock_source}) = {16 * ghz:.1f} GMAC/s per thread used (the issue's AVX2 definition"
                     + ("; this CPU also has AVX-512, whose 16 lanes double it" if "AVX-512" in isa else "")
                     + "). gramlite's fp32 share of it:")
        lines.append("")
        lines.append("| model | threads | batch | MACs / image (Conv + Linear) | gramlite GMAC/s | fp32 peak GMAC/s | share |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|")
        for arch, size, dtype, threads, batch in configs:
            g = summary((arch, size, dtype, threads, batch, "gramlite"))
            if dtype != "fp32" or not g or not macs.get((arch, size)):
                continue
            achieved = macs[(arch, size)] * g["images_per_second"] / 1e9
            peak = 16 * ghz * threads
            lines.append(f"| {arch} {size} | {threads} | {batch} | {macs[(arch, size)] / 1e6:.1f} M | {achieved:.1f} | "
                         f"{peak:.1f} | {100 * achieved / peak:.1f} % |")
        lines.append("")
    lines.append("Models: `gramlite zoo build ARCH --classes 2 --input-size SIZE` (random weights); batch-norm "
                 "statistics: " + "; ".join(f"{a} {s}: {bnstats[(a, s)]}" for a, s in models) + ".")
    agree = []
    for (arch, size, dtype), c in sorted(checks.items()):
        agree.append(f"{arch} {size} {dtype}: max relative difference of the log-probabilities "
                     f"{c['logit_rel_diff']:.2g}, top-1 agreement {c['top1_agreement']:.2f} on {c['images']} images")
    if agree:
        lines.append("PyTorch against `gramlite run` (fp32 must agree to 1e-3; int8 schemes differ, reported only): "
                     + "; ".join(agree) + ".")
    table = "\n".join(lines) + "\n"
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write(table)
    with open(os.path.join(args.out, "results.csv"), "w", newline="") as f:
        fields = ["arch", "size", "dtype", "threads", "batch", "peer", "median_ms", "p90_ms", "images_per_second",
                  "rounds", "ratio_to_gramlite"]
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(csv_rows)
    with open(os.path.join(args.out, "meta.json"), "w") as f:
        json.dump({"cpu": name, "cores": cores, "isa": isa, "ghz": ghz, "clock_source": clock_source, "date": date,
                   "command": args.command, "rounds": args.rounds, "spin": args.spin, "gramlite_backends": backend,
                   "ort_skipped": args.ort_skip, "torch_skipped": args.torch_skip, "versions": versions,
                   "macs": {f"{a}_{s}": m for (a, s), m in macs.items()}}, f, indent=2)
    print(table, end="")


if __name__ == "__main__":
    main()

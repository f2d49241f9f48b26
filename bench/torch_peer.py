#!/usr/bin/python3
"""PyTorch peer for `gramlite bench`: the same architecture, batch and threads, timed the same way
(warm-up, then timed runs, median and p90), in eager mode and as a torch.jit.freeze'd script module.

Uses Debian's python3-torch (run with /usr/bin/python3). Prints one JSON object per mode.
"""
import argparse
import json
import statistics
import time

import torch
import torchvision

from timing_stats import percentile


def time_model(model, x, warmup, runs):
    with torch.no_grad():
        for _ in range(warmup):
            model(x)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            model(x)
            times.append((time.perf_counter() - start) * 1000.0)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--arch", default="mobilenet_v2")
    parser.add_argument("--classes", type=int, default=2)
    parser.add_argument("--input-size", type=int, default=224)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    kwargs = {"num_classes": args.classes}
    if args.arch == "inception_v3":
        kwargs.update(aux_logits=False, init_weights=False)
    model = getattr(torchvision.models, args.arch)(**kwargs).eval()
    x = torch.rand(args.batch, 3, args.input_size, args.input_size) * 2 - 1

    with torch.no_grad():
        frozen = torch.jit.freeze(torch.jit.script(model).eval())
    for mode, m in (("eager", model), ("jit_freeze", frozen)):
        times = time_model(m, x, args.warmup, args.runs)
        print(json.dumps({
            "peer": "pytorch", "mode": mode, "torch": torch.__version__, "arch": args.arch,
            "threads": args.threads, "batch": args.batch, "input_size": args.input_size,
            "median_ms": statistics.median(times), "p90_ms": percentile(times, 90),
        }))


if __name__ == "__main__":
    main()

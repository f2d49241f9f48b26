#!/usr/bin/python3
"""PyTorch peer for bench/train_throughput_bench.cc: images/s of one training step (forward,
nn.CrossEntropyLoss, zero_grad(set_to_none=True), backward, torch.optim.Adam(lr=1e-3) step) of a
torchvision model in train mode, on in-memory random input, with the same batch, threads, warm-up,
steps and repeats. Prints the same JSON object as the C++ program (with "peer": "pytorch").

Uses Debian's python3-torch (run with /usr/bin/python3).
"""
import argparse
import json
import statistics
import time

import torch
import torchvision


def train_step(model, optimizer, criterion, x, y):
    # The order of train_throughput_bench.cc (and gramlite's Trainer): forward, loss, zero_grad,
    # backward, step; loss.item() as the trainer reads the loss every step.
    loss = criterion(model(x), y)
    loss_value = loss.item()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss_value


def print_phases(model, optimizer, criterion, x, y, steps):
    phases = {"forward": [], "loss": [], "backward": [], "optimizer_step": []}
    for _ in range(steps):
        t = time.perf_counter()
        logits = model(x)
        phases["forward"].append((time.perf_counter() - t) * 1000.0)
        t = time.perf_counter()
        loss = criterion(logits, y)
        loss.item()
        phases["loss"].append((time.perf_counter() - t) * 1000.0)
        optimizer.zero_grad(set_to_none=True)
        t = time.perf_counter()
        loss.backward()
        phases["backward"].append((time.perf_counter() - t) * 1000.0)
        t = time.perf_counter()
        optimizer.step()
        phases["optimizer_step"].append((time.perf_counter() - t) * 1000.0)
    print(json.dumps({"phases_ms": {k: round(statistics.median(v), 2) for k, v in phases.items()}}))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--arch", default="mobilenet_v2")
    parser.add_argument("--alpha", type=float, default=1.0)
    parser.add_argument("--classes", type=int, default=2)
    parser.add_argument("--input-size", type=int, default=224)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--phases", action="store_true")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    kwargs = {"num_classes": args.classes}
    if args.arch == "mobilenet_v2":
        kwargs["width_mult"] = args.alpha
    model = getattr(torchvision.models, args.arch)(**kwargs).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = torch.nn.CrossEntropyLoss()
    x = torch.rand(args.batch, 3, args.input_size, args.input_size) * 2 - 1
    y = torch.randint(args.classes, (args.batch,))

    for _ in range(args.warmup):
        train_step(model, optimizer, criterion, x, y)
    rates = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for _ in range(args.steps):
            train_step(model, optimizer, criterion, x, y)
        rates.append(args.batch * args.steps / (time.perf_counter() - start))
    print(json.dumps({
        "peer": "pytorch", "torch": torch.__version__, "arch": args.arch, "alpha": args.alpha,
        "classes": args.classes, "input_size": args.input_size, "batch": args.batch,
        "threads": args.threads, "torch_threads": torch.get_num_threads(), "steps": args.steps,
        "images_per_s": rates, "median_images_per_s": statistics.median(rates),
    }))
    if args.phases:
        print_phases(model, optimizer, criterion, x, y, args.steps)


if __name__ == "__main__":
    main()

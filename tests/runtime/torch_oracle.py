#!/usr/bin/env python3
"""PyTorch oracle for gramlite's reference kernels (driven by torch_oracle_test.cc).

Usage: torch_oracle.py DIR

DIR/cases.txt holds one case per line:  NAME OP key=value ...
Values are comma-separated numbers. Every tensor ROLE of a case is stored as raw little-endian
float32 in DIR/NAME.ROLE.bin with its shape given as ROLE_shape=d0,d1,... The script writes the
torch.nn.functional result to DIR/NAME.out.bin (raw float32) and exits non-zero on any error.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F


def ints(value):
    return [int(v) for v in value.split(",")] if value else []


def load(directory, name, role, args):
    shape = ints(args[role + "_shape"])
    data = np.fromfile(os.path.join(directory, f"{name}.{role}.bin"), dtype="<f4")
    return torch.from_numpy(data.reshape(shape).copy())


def asymmetric_pad(x, args, value=0.0):
    # pads = top,left,bottom,right (gramlite's Padding2d order); F.pad wants left,right,top,bottom.
    top, left, bottom, right = ints(args.get("pads", "0,0,0,0"))
    if (top, left, bottom, right) == (0, 0, 0, 0):
        return x
    return F.pad(x, (left, right, top, bottom), mode="constant", value=value)


def run_case(directory, name, op, args):
    x = load(directory, name, "x", args)
    if op == "conv2d":
        w = load(directory, name, "w", args)
        b = load(directory, name, "b", args) if "b_shape" in args else None
        stride = ints(args["stride"])
        dilation = ints(args["dilation"])
        return F.conv2d(asymmetric_pad(x, args), w, b, stride=stride, dilation=dilation,
                        groups=int(args["groups"]))
    if op == "max_pool2d":
        top, left, bottom, right = ints(args["pads"])
        assert top == bottom and left == right, "torch pools take symmetric padding"
        return F.max_pool2d(x, ints(args["kernel"]), ints(args["stride"]), padding=(top, left),
                            ceil_mode=args["ceil_mode"] == "1")
    if op == "avg_pool2d":
        top, left, bottom, right = ints(args["pads"])
        assert top == bottom and left == right, "torch pools take symmetric padding"
        return F.avg_pool2d(x, ints(args["kernel"]), ints(args["stride"]), padding=(top, left),
                            ceil_mode=args["ceil_mode"] == "1",
                            count_include_pad=args["count_include_pad"] == "1")
    if op == "global_avg_pool":
        return F.adaptive_avg_pool2d(x, 1)
    if op == "hardswish":
        return F.hardswish(x)
    if op == "hardsigmoid":
        return F.hardsigmoid(x)
    if op == "relu6":
        return F.relu6(x)
    if op == "sigmoid":
        return torch.sigmoid(x)
    if op == "softmax":
        return torch.softmax(x, dim=int(args["axis"]))
    if op == "batch_norm":
        gamma, beta, mean, var = (load(directory, name, r, args) for r in ("gamma", "beta", "mean", "var"))
        return F.batch_norm(x, mean, var, gamma, beta, training=False, eps=float(args["eps"]))
    if op == "linear":
        w = load(directory, name, "w", args)
        b = load(directory, name, "b", args) if "b_shape" in args else None
        return F.linear(x, w, b)
    if op == "pad":
        pads = ints(args["onnx_pads"])
        rank = len(pads) // 2
        torch_pads = []
        for d in reversed(range(rank)):  # F.pad: last dim first, (begin, end) pairs
            torch_pads += [pads[d], pads[d + rank]]
        return F.pad(x, tuple(torch_pads), mode="constant", value=float(args["value"]))
    raise ValueError(f"unknown op {op!r}")


def main():
    directory = sys.argv[1]
    torch.set_num_threads(1)
    with open(os.path.join(directory, "cases.txt")) as manifest:
        for line in manifest:
            fields = line.split()
            if not fields:
                continue
            name, op = fields[0], fields[1]
            args = dict(field.split("=", 1) for field in fields[2:])
            with torch.no_grad():
                result = run_case(directory, name, op, args)
            result.contiguous().numpy().astype("<f4").tofile(os.path.join(directory, f"{name}.out.bin"))


if __name__ == "__main__":
    main()

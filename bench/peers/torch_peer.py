#!/usr/bin/python3
"""PyTorch peer of bench/peers/run.sh: the model gramlite exported to ONNX, rebuilt in PyTorch with
the exported weights, at PyTorch's strongest CPU setting, timed the way `gramlite bench` times a
gramlite file (warm-up runs, then timed runs of one batch; median and p90 in ms).

  fp32: the torchvision architecture (MobileNet v1, which torchvision lacks: an nn.Sequential built
        from the exported chain of layers, Keras padding included) with the exported weights loaded
        by name; traced, torch.jit.freeze + torch.jit.optimize_for_inference.
  int8: eager post-training quantization with torch.backends.quantized.engine = 'onednn':
        torchvision's quantizable models (mobilenet_v2, resnet50, inception_v3; they fuse
        conv + bn + relu and use ReLU where the float model has ReLU6, as torchvision does) and the
        same Sequential for MobileNet v1 with QuantStub / DeQuantStub; the onednn default qconfig
        (per-channel symmetric int8 weights, uint8 activations, histogram observer), calibrated on
        the calibration images, converted, traced and frozen.

Subcommands (all print JSON on stdout):
  bnstats  give the exported model batch-norm statistics measured on images (train-mode forward of
           all images as one batch) and randomised batch-norm affine parameters (gamma log-uniform
           in [0.3, 1.5], beta normal(0, 0.3), seeded), the recipe of the project's parity tests;
           writes a new ONNX file (run.sh imports it back with `gramlite import onnx`).
  check    compare PyTorch's output (probabilities) on images with `gramlite run --json`'s.
  time     time one (dtype, threads, batch) cell. --cache FILE.pt keeps the traced, frozen module
           (int8: calibrated and converted) so later rounds skip the preparation.

Uses Debian's python3-torch / torchvision / onnx: run with /usr/bin/python3.
"""
import argparse
import glob
import json
import os
import statistics
import sys
import time
import warnings

warnings.filterwarnings("ignore", message="must run observer")

import numpy as np
import onnx
import torch
import torchvision
from onnx import numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from timing_stats import percentile  # noqa: E402  (bench/timing_stats.py)

TORCHVISION_ARCHS = ("mobilenet_v2", "resnet50", "inception_v3")
QUANTIZABLE_ARCHS = TORCHVISION_ARCHS + ("mobilenet_v1",)


def fail(message):
    print("torch_peer.py: error: " + message, file=sys.stderr)
    sys.exit(1)


# --- the model -----------------------------------------------------------------------------------


class Flatten1(torch.nn.Module):
    def forward(self, x):
        return torch.flatten(x, 1)


class ChainModel(torch.nn.Module):
    """A chain of layers (MobileNet v1) rebuilt from the ONNX nodes; `onnx_names` maps state_dict
    keys to initializer names. quantizable: QuantStub/DeQuantStub around the body and ReLU for
    Clip(0, 6) so that conv + bn + relu fuse (what torchvision's quantizable models do)."""

    def __init__(self, model, quantizable):
        super().__init__()
        init = {i.name: i for i in model.graph.initializer}
        dims = {i.name: list(i.dims) for i in model.graph.initializer}
        self.onnx_names = {}
        self.fuse_groups = []
        body = []
        tail = []
        pending = []  # names of the current conv [, bn [, relu]] group
        target = body
        for node in model.graph.node:
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            name = "l%d" % len(body + tail)
            if node.op_type == "Conv":
                w = dims[node.input[1]]
                pads = list(attrs.get("pads", [0, 0, 0, 0]))
                kh, kw = attrs.get("kernel_shape", w[2:])
                padding = 0
                if pads[0] == pads[2] and pads[1] == pads[3]:
                    padding = (pads[0], pads[1])
                else:  # Keras "same" for stride 2: ZeroPadding2D((top, bottom), (left, right))
                    target.append(("pad" + name[1:], torch.nn.ZeroPad2d((pads[1], pads[3], pads[0], pads[2]))))
                    name = "l%d" % len(body + tail)
                conv = torch.nn.Conv2d(w[1] * attrs.get("group", 1), w[0], (kh, kw), stride=tuple(attrs.get("strides", [1, 1])),
                                       padding=padding, groups=attrs.get("group", 1), bias=len(node.input) > 2)
                self.onnx_names[name + ".weight"] = node.input[1]
                if len(node.input) > 2:
                    self.onnx_names[name + ".bias"] = node.input[2]
                target.append((name, conv))
                pending = [name]
            elif node.op_type == "BatchNormalization":
                bn = torch.nn.BatchNorm2d(dims[node.input[1]][0], eps=attrs.get("epsilon", 1e-5))
                for key, onnx_name in zip(("weight", "bias", "running_mean", "running_var"), node.input[1:5]):
                    self.onnx_names[name + "." + key] = onnx_name
                target.append((name, bn))
                pending.append(name)
            elif node.op_type in ("Clip", "Relu"):
                low, high = 0.0, None
                if node.op_type == "Clip":
                    low = float(numpy_helper.to_array(init[node.input[1]]))
                    high = float(numpy_helper.to_array(init[node.input[2]]))
                if low != 0.0 or high not in (None, 6.0):
                    fail("unsupported Clip(%g, %g) in %s" % (low, high, node.name))
                relu = torch.nn.ReLU() if quantizable or high is None else torch.nn.ReLU6()
                target.append((name, relu))
                pending.append(name)
                if len(pending) == 3:
                    self.fuse_groups.append(list(pending))
                pending = []
            elif node.op_type == "GlobalAveragePool":
                target.append((name, torch.nn.AdaptiveAvgPool2d(1)))
            elif node.op_type in ("Reshape", "Flatten"):
                target.append((name, Flatten1()))
            elif node.op_type == "Softmax":
                target = tail
                target.append((name, torch.nn.Softmax(dim=1)))
            else:
                fail("MobileNet v1 rebuild: unsupported ONNX op %s (%s)" % (node.op_type, node.name))
        self.body = torch.nn.Sequential(dict_of(body))
        self.tail = torch.nn.Sequential(dict_of(tail))
        self.quant = torch.ao.quantization.QuantStub() if quantizable else torch.nn.Identity()
        self.dequant = torch.ao.quantization.DeQuantStub() if quantizable else torch.nn.Identity()
        self.onnx_names = {"body." + k: v for k, v in self.onnx_names.items()}

    def fuse_model(self):
        torch.ao.quantization.fuse_modules(self.body, self.fuse_groups, inplace=True)

    def forward(self, x):
        return self.tail(self.dequant(self.body(self.quant(x))))


def dict_of(pairs):
    from collections import OrderedDict
    return OrderedDict(pairs)


def build_model(arch, onnx_model, quantizable):
    """The PyTorch model with the ONNX file's weights (eval mode) and its state_dict -> ONNX names."""
    if arch == "mobilenet_v1":
        model = ChainModel(onnx_model, quantizable)
        names = model.onnx_names
    elif arch in TORCHVISION_ARCHS:
        out = onnx_model.graph.output[0].type.tensor_type.shape.dim
        classes = out[1].dim_value
        kwargs = {"num_classes": classes}
        if arch == "inception_v3":
            kwargs.update(aux_logits=False, init_weights=False, transform_input=False)
        if quantizable:
            model = getattr(torchvision.models.quantization, arch)(weights=None, quantize=False, **kwargs)
        else:
            model = getattr(torchvision.models, arch)(weights=None, **kwargs)
        names = {k: k for k in model.state_dict() if not k.endswith("num_batches_tracked")}
    else:
        fail("no PyTorch model for architecture '%s'" % arch)
    init = {i.name: numpy_helper.to_array(i) for i in onnx_model.graph.initializer}
    state = model.state_dict()
    for key, onnx_name in names.items():
        if onnx_name not in init:
            fail("%s: the ONNX file has no initializer '%s'" % (key, onnx_name))
        value = torch.from_numpy(np.array(init[onnx_name], dtype=np.float32))
        if tuple(value.shape) != tuple(state[key].shape):
            fail("%s: shape %s in PyTorch, %s in ONNX" % (key, tuple(state[key].shape), tuple(value.shape)))
        state[key] = value
    model.load_state_dict(state)
    # Batch-norm epsilons must agree too (they are attributes, not weights).
    modules = dict(model.named_modules())
    by_onnx = {v: k for k, v in names.items()}
    for node in onnx_model.graph.node:
        if node.op_type != "BatchNormalization":
            continue
        eps = [onnx.helper.get_attribute_value(a) for a in node.attribute if a.name == "epsilon"]
        eps = eps[0] if eps else 1e-5
        module = modules[by_onnx[node.input[1]].rsplit(".", 1)[0]]
        if abs(module.eps - eps) > 1e-6 * max(1.0, eps) + 1e-9:
            fail("batch-norm epsilon %g in PyTorch, %g in ONNX (%s)" % (module.eps, eps, node.name))
    return model.eval(), names


def load_images(paths, size, mean, std):
    from PIL import Image
    batch = []
    for path in paths:
        image = Image.open(path).convert("RGB")
        if image.size != (size, size):
            image = image.resize((size, size), Image.BILINEAR)
        x = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0).permute(2, 0, 1)
        batch.append((x - torch.tensor(mean).view(3, 1, 1)) / torch.tensor(std).view(3, 1, 1))
    return torch.stack(batch)


def image_paths(folder, count):
    paths = sorted(glob.glob(os.path.join(folder, "**", "*.png"), recursive=True) +
                   glob.glob(os.path.join(folder, "**", "*.jpg"), recursive=True))
    if not paths:
        fail("no images under %s" % folder)
    return paths[:count]


def prepare(args, example):
    """The traced, frozen module (int8: quantized) ready to time."""
    if args.cache and os.path.exists(args.cache):
        module = torch.jit.load(args.cache)
    else:
        onnx_model = onnx.load(args.onnx)
        with torch.no_grad():
            if args.dtype == "fp32":
                model, _ = build_model(args.arch, onnx_model, quantizable=False)
                module = torch.jit.freeze(torch.jit.trace(model, example).eval())
            else:
                model, _ = build_model(args.arch, onnx_model, quantizable=True)
                model.fuse_model()
                model.qconfig = torch.ao.quantization.get_default_qconfig("onednn")
                torch.ao.quantization.prepare(model, inplace=True)
                calib = load_images(image_paths(args.images, args.calib_count), args.size, args.mean, args.std)
                for start in range(0, len(calib), 8):
                    model(calib[start:start + 8])
                torch.ao.quantization.convert(model, inplace=True)
                module = torch.jit.freeze(torch.jit.trace(model, example).eval())
        if args.cache:
            tmp = args.cache + ".tmp"
            torch.jit.save(module, tmp)
            os.replace(tmp, args.cache)
    if args.dtype == "fp32":
        module = torch.jit.optimize_for_inference(module)
    return module


def common_args(parser):
    parser.add_argument("--onnx", required=True, help="the fp32 ONNX file gramlite exported")
    parser.add_argument("--arch", required=True)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--mean", type=float, nargs=3, default=[0.485, 0.456, 0.406])
    parser.add_argument("--std", type=float, nargs=3, default=[0.229, 0.224, 0.225])
    parser.add_argument("--images", help="folder of calibration / batch-norm images")


def cmd_bnstats(args):
    onnx_model = onnx.load(args.onnx)
    model, names = build_model(args.arch, onnx_model, quantizable=False)
    generator = torch.Generator().manual_seed(args.seed)
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        for bn in bns:
            c = bn.num_features
            bn.weight.copy_(torch.exp(torch.empty(c).uniform_(np.log(0.3), np.log(1.5), generator=generator)))
            bn.bias.copy_(torch.empty(c).normal_(0.0, 0.3, generator=generator))
            bn.reset_running_stats()
            bn.momentum = None  # cumulative average: with one batch, exactly that batch's statistics
        images = load_images(image_paths(args.images, args.count), args.size, args.mean, args.std)
        model.train()
        model(images)
        model.eval()
    state = model.state_dict()
    by_onnx = {v: k for k, v in names.items()}
    replaced = 0
    for i, initializer in enumerate(onnx_model.graph.initializer):
        key = by_onnx.get(initializer.name)
        if key is None or key.rsplit(".", 1)[1] not in ("weight", "bias", "running_mean", "running_var"):
            continue
        module = dict(model.named_modules())[key.rsplit(".", 1)[0]]
        if not isinstance(module, torch.nn.BatchNorm2d):
            continue
        onnx_model.graph.initializer[i].CopyFrom(numpy_helper.from_array(state[key].numpy().astype(np.float32),
                                                                          initializer.name))
        replaced += 1
    if replaced != 4 * len(bns):
        fail("replaced %d batch-norm tensors, expected %d" % (replaced, 4 * len(bns)))
    onnx.save(onnx_model, args.out)
    print(json.dumps({"bnstats": args.out, "batch_norms": len(bns), "images": len(images)}))


def cmd_check(args):
    with open(args.gramlite_json) as f:
        runs = json.load(f)
    paths = [r["image"] for r in runs]
    probs_g = np.zeros((len(runs), len(runs[0]["top"])), dtype=np.float64)
    for i, r in enumerate(runs):
        for t in r["top"]:
            probs_g[i, t["index"]] = t["probability"]
    example = load_images(paths, args.size, args.mean, args.std)
    args.cache = args.cache or None
    module = prepare(args, example[:1])
    with torch.no_grad():
        out = module(example).double()
    probs_t = out.numpy() if args.probabilities else torch.softmax(out, dim=1).numpy()
    # Centred log-probabilities (the logits up to a constant): near-uniform probabilities of a
    # random model would hide differences that these show.
    def centred(p):
        logp = np.log(np.maximum(p, 1e-30))
        return logp - logp.mean(axis=1, keepdims=True)
    zt, zg = centred(probs_t), centred(probs_g)
    rel = float(np.max(np.abs(zt - zg)) / max(float(np.max(np.abs(zg))), 1e-12))
    top1 = float(np.mean(np.argmax(probs_t, 1) == np.argmax(probs_g, 1)))
    result = {"peer": "pytorch", "dtype": args.dtype, "arch": args.arch, "images": len(paths),
              "max_abs_probability_diff": float(np.max(np.abs(probs_t - probs_g))),
              "logit_rel_diff": rel, "top1_agreement": top1, "tolerance": args.tolerance,
              "agree": (rel <= args.tolerance) if args.tolerance > 0 else None}
    print(json.dumps(result))
    if args.tolerance > 0 and rel > args.tolerance:
        sys.exit(4)


def cmd_time(args):
    torch.set_num_threads(args.threads)
    example = (torch.rand(args.batch, 3, args.size, args.size, generator=torch.Generator().manual_seed(0)) * 2 - 1)
    start = time.perf_counter()
    module = prepare(args, example[:1])
    prepare_s = time.perf_counter() - start
    times = []
    with torch.no_grad():
        for _ in range(args.warmup):
            module(example)
        for _ in range(args.runs):
            start = time.perf_counter()
            module(example)
            times.append((time.perf_counter() - start) * 1000.0)
    median = statistics.median(times)
    print(json.dumps({
        "peer": "pytorch", "torch": torch.__version__, "arch": args.arch, "dtype": args.dtype,
        "mode": "freeze+optimize_for_inference" if args.dtype == "fp32" else "eager PTQ onednn, traced+frozen",
        "quantized_engine": torch.backends.quantized.engine, "threads": args.threads,
        "batch": args.batch, "input_size": args.size, "warmup_runs": args.warmup, "runs": args.runs,
        "median_ms": median, "p90_ms": percentile(times, 90), "min_ms": min(times),
        "images_per_second": args.batch * 1000.0 / median, "prepare_s": prepare_s, "run_ms": times,
    }))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("bnstats")
    common_args(p)
    p.add_argument("--count", type=int, default=32)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True)
    for name in ("check", "time"):
        p = sub.add_parser(name)
        common_args(p)
        p.add_argument("--dtype", choices=("fp32", "int8"), default="fp32")
        p.add_argument("--calib-count", type=int, default=32)
        p.add_argument("--cache", help="traced module cache (.pt)")
        if name == "check":
            p.add_argument("--gramlite-json", required=True, help="`gramlite run IMAGES --json --top-k K` output")
            p.add_argument("--probabilities", action="store_true", help="the model outputs probabilities")
            p.add_argument("--tolerance", type=float, default=1e-3, help="max relative difference of the centred log-probabilities (0: report only)")
        else:
            p.add_argument("--threads", type=int, default=1)
            p.add_argument("--batch", type=int, default=1)
            p.add_argument("--warmup", type=int, default=5)
            p.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    torch.backends.quantized.engine = "onednn"
    torch.manual_seed(0)
    {"bnstats": cmd_bnstats, "check": cmd_check, "time": cmd_time}[args.command](args)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes a torchvision parity case for the gramlite interop tests (test-time oracle only).

The case is: a torchvision model with seeded random weights, batch-norm affine parameters
randomised, running statistics gathered from a few train-mode batches (so eval-mode batch norm is
not the identity), saved with torch.save; a fixed input; and the model's eval-mode output on it.

Files written to --out:
  weights.pt   the state_dict (zip format, or legacy with --legacy; wrapped / DataParallel on request)
  input.bin    float32, NCHW, little-endian
  output.bin   float32 logits [N, num_classes]
  case.txt     "key value" lines: arch, input shape, output shape, num_classes, output scale

Exit status: 0 on success, 3 when torch / torchvision are not importable (the test then skips).
"""
import argparse
import os
import sys

try:
    import torch
    import torchvision
except Exception as error:  # pragma: no cover - environment dependent
    print(f"torch/torchvision unavailable: {error}", file=sys.stderr)
    sys.exit(3)


def make_model(arch, num_classes, aux_logits, width, transform_input):
    models = torchvision.models
    if arch == "mobilenet_v2":
        return models.mobilenet_v2(weights=None, num_classes=num_classes, width_mult=width)
    if arch == "mobilenet_v3_small":
        return models.mobilenet_v3_small(weights=None, num_classes=num_classes)
    if arch == "resnet50":
        return models.resnet50(weights=None, num_classes=num_classes)
    if arch == "inception_v3":
        return models.inception_v3(weights=None, num_classes=num_classes, aux_logits=aux_logits,
                                   transform_input=transform_input, init_weights=True)
    raise SystemExit(f"unknown arch {arch}")


def randomise(model, generator):
    """Batch-norm affine parameters and every bias get non-trivial values, so a wrongly mapped
    tensor cannot hide behind an initial 1 or 0."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.copy_(torch.rand(module.weight.shape, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * 0.1)
            elif isinstance(module, (torch.nn.Linear, torch.nn.Conv2d)) and module.bias is not None:
                module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * 0.1)


def gather_running_stats(model, size, batches, generator):
    """Train-mode passes with a cumulative average (momentum None): the running statistics become
    the true statistics of the calibration batches, far from their initial (0, 1)."""
    # Inception's auxiliary head runs only in train mode and needs inputs of ~140 px or more; it is
    # not part of the eval-mode output, so detach it while calibrating (its keys stay in the file).
    aux = getattr(model, "AuxLogits", None)
    if aux is not None:
        model.AuxLogits = None
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None
    model.train()
    with torch.no_grad():
        for _ in range(batches):
            model(torch.randn(4, 3, size, size, generator=generator) * 0.5 + 0.2)
    for bn in bns:
        bn.momentum = 0.1
    if aux is not None:
        model.AuxLogits = aux


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", required=True)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--num-classes", type=int, default=10)
    parser.add_argument("--width", type=float, default=1.0)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--calibration-batches", type=int, default=3)
    parser.add_argument("--legacy", action="store_true", help="pre-1.6 torch.save format")
    parser.add_argument("--aux-logits", action="store_true", help="inception_v3 with AuxLogits.* in the file")
    parser.add_argument("--transform-input", action="store_true", help="inception_v3 transform_input=True")
    parser.add_argument("--wrap", default="", help="save {'epoch': 7, KEY: state_dict} instead")
    parser.add_argument("--data-parallel", action="store_true", help="prefix every key with 'module.'")
    parser.add_argument("--half", action="store_true", help="store floating tensors as float16")
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed + 1)
    model = make_model(args.arch, args.num_classes, args.aux_logits, args.width, args.transform_input)
    randomise(model, generator)
    gather_running_stats(model, args.size, args.calibration_batches, generator)
    model.eval()
    if args.half:
        # The reference output is computed with the fp16-rounded weights the file holds.
        model = model.half().float()

    x = torch.randn(args.batch, 3, args.size, args.size, generator=generator)
    with torch.no_grad():
        y = model(x)
    if isinstance(y, tuple):  # InceptionOutputs in train mode only; eval returns a tensor
        y = y[0]

    state = model.state_dict()
    if args.half:
        state = type(state)((k, v.half() if v.is_floating_point() else v) for k, v in state.items())
    if args.data_parallel:
        state = type(state)(("module." + k, v) for k, v in state.items())
    saved = {"epoch": 7, args.wrap: state, "optimizer": {"lr": 0.1}} if args.wrap else state

    os.makedirs(args.out, exist_ok=True)
    torch.save(saved, os.path.join(args.out, "weights.pt"), _use_new_zipfile_serialization=not args.legacy)
    x.numpy().astype("<f4").tofile(os.path.join(args.out, "input.bin"))
    y.numpy().astype("<f4").tofile(os.path.join(args.out, "output.bin"))
    with open(os.path.join(args.out, "case.txt"), "w") as f:
        f.write(f"arch {args.arch}\n")
        f.write(f"input_shape {' '.join(str(d) for d in x.shape)}\n")
        f.write(f"output_shape {' '.join(str(d) for d in y.shape)}\n")
        f.write(f"num_classes {args.num_classes}\n")
        f.write(f"output_max_abs {float(y.abs().max()):.9g}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

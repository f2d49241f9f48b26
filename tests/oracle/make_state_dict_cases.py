#!/usr/bin/env python3
"""Writes small torch.save files exercising the interop reader (test-time only).

For each case NAME it writes NAME.pt and NAME.expected: one line per tensor,
  <name> <dtype> <rank> <dims...> <values...>
with the values as the reader must return them (row-major; float32 for floating dtypes, exact
integers otherwise). Exit status 3 when torch is not importable (the tests then skip).
"""
import collections
import os
import sys

try:
    import torch
except Exception as error:  # pragma: no cover - environment dependent
    print(f"torch unavailable: {error}", file=sys.stderr)
    sys.exit(3)


def write_expected(path, state):
    with open(path, "w") as f:
        for name, tensor in state.items():
            t = tensor.detach()
            dtype = str(t.dtype).replace("torch.", "")
            if t.is_floating_point():
                values = [repr(float(v)) for v in t.float().contiguous().reshape(-1).tolist()]
            else:
                values = [str(int(v)) for v in t.long().contiguous().reshape(-1).tolist()]
            f.write(" ".join([name, dtype, str(t.dim())] + [str(d) for d in t.shape] + values) + "\n")


def small_state(generator):
    conv = torch.nn.Conv2d(3, 4, 3, bias=True)
    bn = torch.nn.BatchNorm2d(4)
    with torch.no_grad():
        conv.weight.copy_(torch.randn(conv.weight.shape, generator=generator))
        conv.bias.copy_(torch.randn(conv.bias.shape, generator=generator))
        bn.running_mean.copy_(torch.randn(4, generator=generator))
        bn.running_var.copy_(torch.rand(4, generator=generator) + 0.5)
        bn.num_batches_tracked.fill_(5)
    state = collections.OrderedDict()
    for prefix, module in (("conv", conv), ("bn", bn)):
        for key, value in module.state_dict().items():
            state[f"{prefix}.{key}"] = value
    return state


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    generator = torch.Generator().manual_seed(7)
    base = small_state(generator)

    def save(name, obj, expected, **kwargs):
        torch.save(obj, os.path.join(out, name + ".pt"), **kwargs)
        write_expected(os.path.join(out, name + ".expected"), expected)

    save("plain", base, base)
    save("legacy", base, base, _use_new_zipfile_serialization=False)

    half = collections.OrderedDict((k, v.half() if v.is_floating_point() else v) for k, v in base.items())
    save("float16", half, half)
    mixed = collections.OrderedDict([
        ("a.double", torch.randn(3, 2, generator=generator, dtype=torch.float64)),
        ("a.bfloat16", torch.randn(5, generator=generator).bfloat16()),
        ("a.int32", torch.arange(-3, 3, dtype=torch.int32)),
        ("a.uint8", torch.arange(0, 250, 50, dtype=torch.uint8)),
        ("a.bool", torch.tensor([True, False, True])),
        ("a.scalar", torch.tensor(2.5)),
        ("a.empty", torch.zeros(0, 4)),
    ])
    save("dtypes", mixed, mixed)
    save("dtypes_legacy", mixed, mixed, _use_new_zipfile_serialization=False)

    # Non-contiguous views: torch.save keeps the view's offset and strides over the whole storage.
    big = torch.randn(6, 8, generator=generator)
    views = collections.OrderedDict([
        ("v.transposed", big.t()),
        ("v.sliced", big[1:5:2, 2::3]),
        ("v.offset", big[3]),
        ("v.expanded", torch.randn(3, 1, generator=generator).expand(3, 4)),
        ("v.permuted", torch.randn(2, 3, 4, generator=generator).permute(2, 0, 1)),
    ])
    save("strided", views, views)
    save("strided_legacy", views, views, _use_new_zipfile_serialization=False)

    prefixed = collections.OrderedDict(("module." + k, v) for k, v in base.items())
    save("data_parallel", prefixed, base)
    save("wrapped_state_dict", {"epoch": 3, "state_dict": base, "optimizer": {"lr": 0.01, "betas": (0.9, 0.99)}}, base)
    save("wrapped_model", {"model": base, "best_acc1": 0.5}, base)

    params = collections.OrderedDict((k, torch.nn.Parameter(v)) for k, v in base.items() if v.is_floating_point())
    save("parameters", params, params)

    # A pickled module, not a state dict: the reader must refuse it with advice.
    torch.save(torch.nn.Linear(2, 2), os.path.join(out, "module_object.pt"))
    torch.save({"epoch": 1, "model": torch.nn.Linear(2, 2)}, os.path.join(out, "wrapped_module_object.pt"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

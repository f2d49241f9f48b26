"""Dumps what the zoo must reproduce from torchvision, for torchvision_oracle_test.cc.

Usage: torchvision_oracle.py ARCH:CLASSES:WIDTH:INPUT_SIZE ...

For each configuration it prints
    config ARCH:CLASSES:WIDTH:INPUT_SIZE
    param NAME TRAINABLE DIM...      every state_dict entry (minus num_batches_tracked)
    output MODULE DIM...             output shape of every leaf module that runs exactly once in an
                                     eval-mode forward pass of a [1, 3, S, S] input
    end
and "skip REASON" (exit 0) when torch or torchvision cannot be imported, so the test can skip.
No network access and no pretrained weights are used.
"""
import sys

try:
    import torch
    import torchvision
except Exception as error:  # noqa: BLE001 - any import failure means "no oracle here"
    print(f"skip cannot import torch/torchvision: {error}")
    sys.exit(0)


def make_model(arch, classes, width):
    models = torchvision.models
    if arch == "mobilenet_v2":
        return models.mobilenet_v2(weights=None, num_classes=classes, width_mult=width)
    if arch == "mobilenet_v3_small":
        return models.mobilenet_v3_small(weights=None, num_classes=classes, width_mult=width)
    if arch == "resnet50":
        return models.resnet50(weights=None, num_classes=classes)
    if arch == "inception_v3":
        # init_weights=False: skips scipy's slow truncated-normal init; shapes are all we need.
        return models.inception_v3(weights=None, num_classes=classes, aux_logits=False, init_weights=False)
    raise SystemExit(f"unknown architecture {arch}")


def dump(config):
    arch, classes, width, size = config.split(":")
    model = make_model(arch, int(classes), float(width)).eval()
    print(f"config {config}")
    trainable = {name for name, _ in model.named_parameters()}
    for name, tensor in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        dims = " ".join(str(d) for d in tensor.shape)
        print(f"param {name} {1 if name in trainable else 0} {dims}")

    shapes, calls, hooks = {}, {}, []
    for name, module in model.named_modules():
        if name and not list(module.children()):
            def hook(_module, _inputs, output, name=name):
                calls[name] = calls.get(name, 0) + 1
                shapes[name] = tuple(output.shape)
            hooks.append(module.register_forward_hook(hook))
    with torch.no_grad():
        model(torch.zeros(1, 3, int(size), int(size)))
    for h in hooks:
        h.remove()
    for name, shape in shapes.items():
        if calls[name] == 1:
            print(f"output {name} {' '.join(str(d) for d in shape)}")
    print("end")


def main():
    torch.manual_seed(0)
    for config in sys.argv[1:]:
        dump(config)


if __name__ == "__main__":
    main()

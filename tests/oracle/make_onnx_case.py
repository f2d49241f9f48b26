#!/usr/bin/env python3
"""Writes an ONNX import parity case for the gramlite interop tests (test-time oracle only).

Two kinds of model:
  - torchvision classifiers (mobilenet_v2, mobilenet_v3_small, resnet50, inception_v3) with seeded
    random weights, randomised batch-norm affine parameters and running statistics gathered from a
    few train-mode batches (so eval-mode batch norm is not the identity), exported with
    torch.onnx.export(training=EVAL) at --opset, constant folding on or off (--no-constant-folding);
    the expected output is PyTorch's eval-mode output.
  - keras_mobilenet_v1[_nhwc]: a small MobileNet-v1-like graph written directly with onnx.helper the
    way a Keras export looks (ZeroPadding2D + 'valid' stride-2 conv, explicit asymmetric pads and
    SAME_UPPER depthwise convs, BN with epsilon 1e-3, Clip 0..6 with min/max as inputs, global
    pooling, Reshape, a 1x1 'conv_preds' classifier, Reshape, Softmax; the _nhwc variant takes NHWC
    input through a Transpose, pools with ReduceMean, ends in MatMul + Add, and stores its weights as
    float16 behind Cast nodes). Its expected output is computed here with torch.nn.functional from
    the same weights, independently of any ONNX runtime (onnx 1.12 has no onnx.reference).

Files written to --out:
  model.onnx   the model
  input.bin    float32, little-endian, in the model's input layout (NCHW; NHWC for _nhwc)
  output.bin   float32 [N, num_classes]
  case.txt     "key value" lines: model, input_shape, output_shape, num_classes

Exit status: 0 on success, 3 when torch / torchvision / onnx are not importable (the test skips).
"""
import argparse
import os
import sys

try:
    import numpy as np
    import onnx
    import torch
    import torch.nn.functional as F
    import torchvision
    from onnx import TensorProto, helper, numpy_helper

    # The torchvision side is the state_dict oracle's: same models, same randomisation.
    from make_torchvision_case import gather_running_stats, make_model, randomise
except Exception as error:  # pragma: no cover - environment dependent
    print(f"torch/torchvision/onnx unavailable: {error}", file=sys.stderr)
    sys.exit(3)


def torchvision_case(args, generator):
    model = make_model(args.model, args.num_classes, aux_logits=False, width=1.0, transform_input=False)
    randomise(model, generator)
    gather_running_stats(model, args.size, 2, generator)
    model.eval()
    x = torch.randn(args.batch, 3, args.size, args.size, generator=generator)
    with torch.no_grad():
        y = model(x)
    path = os.path.join(args.out, "model.onnx")
    dynamic_axes = {"input": {0: "batch"}, "logits": {0: "batch"}} if args.dynamic_batch else None
    torch.onnx.export(model, x, path, opset_version=args.opset, do_constant_folding=not args.no_constant_folding,
                      training=torch.onnx.TrainingMode.EVAL, input_names=["input"], output_names=["logits"],
                      dynamic_axes=dynamic_axes)
    return x.numpy(), y.numpy()


class KerasGraph:
    """Collects onnx.helper nodes and initializers for the Keras-style graph, and computes the same
    function with torch.nn.functional alongside (the oracle)."""

    def __init__(self, rng, fp16_weights):
        self.rng = rng
        self.fp16 = fp16_weights
        self.nodes = []
        self.initializers = []
        self.count = 0

    def name(self, prefix):
        self.count += 1
        return f"{prefix}_{self.count}"

    def weight(self, name, array):
        """An initializer (float16 + Cast when fp16) and the float32 values the oracle uses."""
        array = array.astype(np.float32)
        if self.fp16:
            half = array.astype(np.float16)
            self.initializers.append(numpy_helper.from_array(half, name + "_fp16"))
            self.nodes.append(helper.make_node("Cast", [name + "_fp16"], [name], to=TensorProto.FLOAT,
                                               name=name + "_cast"))
            array = half.astype(np.float32)
        else:
            self.initializers.append(numpy_helper.from_array(array, name))
        return name, torch.from_numpy(array)

    def conv(self, x, t, cin, cout, k, stride, groups, pads=None, auto_pad=None, bias=False, name=None):
        name = name or self.name("conv")
        w_name, w = self.weight(name + "_W", self.rng.standard_normal((cout, cin // groups, k, k)) *
                                np.sqrt(2.0 / (cin // groups * k * k)))
        inputs = [x, w_name]
        b = None
        if bias:
            b_name, b = self.weight(name + "_B", self.rng.standard_normal(cout) * 0.1)
            inputs.append(b_name)
        attrs = {"kernel_shape": [k, k], "strides": [stride, stride], "group": groups}
        in_h, in_w = t.shape[2], t.shape[3]
        if auto_pad is not None:
            attrs["auto_pad"] = auto_pad
            padding = []
            for size in (in_h, in_w):
                out = -(-size // stride)
                total = max((out - 1) * stride + k - size, 0)
                small, large = total // 2, total - total // 2
                padding.append((small, large) if auto_pad == "SAME_UPPER" else (large, small))
            top, bottom = padding[0]
            left, right = padding[1]
        else:
            top, left, bottom, right = pads or (0, 0, 0, 0)
            attrs["pads"] = [top, left, bottom, right]
        out = name + "_out"
        self.nodes.append(helper.make_node("Conv", inputs, [out], name=name, **attrs))
        t = F.conv2d(F.pad(t, (left, right, top, bottom)), w, b, stride=stride, groups=groups)
        return out, t

    def bn_relu6(self, x, t, channels):
        name = self.name("bn")
        gamma_name, gamma = self.weight(name + "_gamma", self.rng.uniform(0.5, 1.5, channels))
        beta_name, beta = self.weight(name + "_beta", self.rng.standard_normal(channels) * 0.1)
        mean_name, mean = self.weight(name + "_mean", self.rng.standard_normal(channels) * 0.1)
        var_name, var = self.weight(name + "_var", self.rng.uniform(0.5, 2.0, channels))
        out = name + "_out"
        self.nodes.append(helper.make_node("BatchNormalization", [x, gamma_name, beta_name, mean_name, var_name],
                                           [out], name=name, epsilon=1e-3))
        t = F.batch_norm(t, mean, var, gamma, beta, training=False, eps=1e-3)
        relu = self.name("relu6")
        self.nodes.append(helper.make_node("Clip", [out, "clip_min", "clip_max"], [relu + "_out"], name=relu))
        return relu + "_out", torch.clamp(t, 0.0, 6.0)

    def block(self, x, t, cin, cout, stride, **pad):
        x, t = self.conv(x, t, cin, cin, 3, stride, cin, **pad)
        x, t = self.bn_relu6(x, t, cin)
        x, t = self.conv(x, t, cin, cout, 1, 1, 1)
        return self.bn_relu6(x, t, cout)


def keras_case(args, nhwc):
    rng = np.random.default_rng(args.seed)
    g = KerasGraph(rng, fp16_weights=nhwc)
    g.initializers += [numpy_helper.from_array(np.array(0.0, np.float32), "clip_min"),
                       numpy_helper.from_array(np.array(6.0, np.float32), "clip_max")]
    x_np = rng.standard_normal((args.batch, 3, args.size, args.size)).astype(np.float32)
    t = torch.from_numpy(x_np)
    batch_dim = "N"
    if nhwc:
        x_np = np.ascontiguousarray(x_np.transpose(0, 2, 3, 1))
        graph_input = helper.make_tensor_value_info("input_1", TensorProto.FLOAT,
                                                    [batch_dim, args.size, args.size, 3])
        g.nodes.append(helper.make_node("Transpose", ["input_1"], ["input_nchw"], perm=[0, 3, 1, 2],
                                        name="to_nchw"))
        x = "input_nchw"
    else:
        graph_input = helper.make_tensor_value_info("input_1", TensorProto.FLOAT,
                                                    [batch_dim, 3, args.size, args.size])
        x = "input_1"
    # conv1: ZeroPadding2D(((0, 1), (0, 1))) then a 'valid' stride-2 conv, as Keras MobileNet does.
    g.initializers.append(numpy_helper.from_array(np.array([0, 0, 0, 0, 0, 0, 1, 1], np.int64), "conv1_pads"))
    g.nodes.append(helper.make_node("Pad", [x, "conv1_pads"], ["conv1_pad_out"], mode="constant", name="conv1_pad"))
    x, t = g.conv("conv1_pad_out", F.pad(t, (0, 1, 0, 1)), 3, 8, 3, 2, 1, name="conv1")
    x, t = g.bn_relu6(x, t, 8)
    x, t = g.block(x, t, 8, 16, 1, auto_pad="SAME_UPPER")
    x, t = g.block(x, t, 16, 32, 2, pads=(0, 0, 1, 1))
    x, t = g.block(x, t, 32, 32, 1, pads=(1, 1, 1, 1))
    x, t = g.block(x, t, 32, 64, 2, auto_pad="SAME_UPPER")
    x, t = g.block(x, t, 64, 64, 2, auto_pad="SAME_LOWER")
    classes = args.num_classes
    if nhwc:
        g.nodes.append(helper.make_node("ReduceMean", [x], ["pooled"], axes=[2, 3], keepdims=0, name="global_pool"))
        t = t.mean(dim=(2, 3))
        w_name, w = g.weight("dense_W", rng.standard_normal((64, classes)) * 0.2)
        b_name, b = g.weight("dense_B", rng.standard_normal(classes) * 0.1)
        g.nodes.append(helper.make_node("MatMul", ["pooled", w_name], ["dense_mm"], name="dense_matmul"))
        g.nodes.append(helper.make_node("Add", ["dense_mm", b_name], ["logits"], name="dense_bias"))
        t = t @ w + b
    else:
        g.initializers += [numpy_helper.from_array(np.array([-1, 64, 1, 1], np.int64), "reshape_1_shape"),
                           numpy_helper.from_array(np.array([-1, classes], np.int64), "reshape_2_shape")]
        g.nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"], name="global_average_pooling2d"))
        g.nodes.append(helper.make_node("Reshape", ["pooled", "reshape_1_shape"], ["reshaped"], name="reshape_1"))
        g.nodes.append(helper.make_node("Dropout", ["reshaped"], ["dropped"], name="dropout"))
        t = t.mean(dim=(2, 3), keepdim=True)
        x, t = g.conv("dropped", t, 64, classes, 1, 1, 1, bias=True, name="conv_preds")
        g.nodes.append(helper.make_node("Reshape", [x, "reshape_2_shape"], ["logits"], name="reshape_2"))
        t = t.reshape(-1, classes)
    g.nodes.append(helper.make_node("Softmax", ["logits"], ["predictions"], axis=-1, name="act_softmax"))
    y = torch.softmax(t, dim=-1)
    output = helper.make_tensor_value_info("predictions", TensorProto.FLOAT, [batch_dim, classes])
    graph = helper.make_graph(g.nodes, "keras_mobilenet_v1", [graph_input], [output], g.initializers)
    model = helper.make_model(graph, producer_name="keras2onnx-style test", opset_imports=[helper.make_opsetid("", args.opset)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(args.out, "model.onnx"))
    return x_np, y.numpy()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--out", required=True)
    parser.add_argument("--opset", type=int, default=13)
    parser.add_argument("--no-constant-folding", action="store_true")
    parser.add_argument("--dynamic-batch", action="store_true", help="torchvision: export dim 0 as symbolic")
    parser.add_argument("--num-classes", type=int, default=10)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed + 1)
    os.makedirs(args.out, exist_ok=True)
    if args.model.startswith("keras_mobilenet_v1"):
        x, y = keras_case(args, nhwc=args.model.endswith("_nhwc"))
    else:
        x, y = torchvision_case(args, generator)
    x.astype("<f4").tofile(os.path.join(args.out, "input.bin"))
    y.astype("<f4").tofile(os.path.join(args.out, "output.bin"))
    with open(os.path.join(args.out, "case.txt"), "w") as f:
        f.write(f"model {args.model}\n")
        f.write(f"input_shape {' '.join(str(d) for d in x.shape)}\n")
        f.write(f"output_shape {' '.join(str(d) for d in y.shape)}\n")
        f.write(f"num_classes {args.num_classes}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

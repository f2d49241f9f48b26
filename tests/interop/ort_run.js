// Runs an ONNX model in ONNX Runtime (the npm package onnxruntime-node): the oracle of the ONNX
// export tests (tests/interop/onnx_export_test.cc).
//
//   node ort_run.js NODE_MODULES MODEL.onnx INPUT.bin N,C,H,W OUTPUT.bin [--no-optimize]
//
// INPUT.bin holds the float32 input (little-endian, NCHW) of the model's only input; OUTPUT.bin
// receives the first output as float32, and stdout its shape ("shape 2,3"). NODE_MODULES is the
// folder holding onnxruntime-node. Exits 3 when onnxruntime-node cannot be loaded (the tests then
// skip), 1 on any other error. One intra-op thread: the machines are shared.
'use strict';
const fs = require('fs');
const path = require('path');

async function main() {
  const args = process.argv.slice(2);
  if (args.length < 5) {
    console.error('usage: node ort_run.js NODE_MODULES MODEL.onnx INPUT.bin N,C,H,W OUTPUT.bin [--no-optimize]');
    process.exit(2);
  }
  const [modules, model, inputPath, dimsText, outputPath] = args;
  const optimize = !args.includes('--no-optimize');
  let ort;
  try {
    ort = require(path.join(modules, 'onnxruntime-node'));
  } catch (error) {
    console.error(`onnxruntime-node is not installed under ${modules}: ${error.message}`);
    process.exit(3);
  }
  const dims = dimsText.split(',').map(Number);
  const bytes = fs.readFileSync(inputPath);
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const expected = dims.reduce((a, b) => a * b, 1);
  if (data.length !== expected) throw new Error(`input holds ${data.length} floats, dims ${dimsText} need ${expected}`);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: optimize ? 'all' : 'disabled',
  });
  const feeds = {};
  feeds[session.inputNames[0]] = new ort.Tensor('float32', data, dims);
  const results = await session.run(feeds);
  const output = results[session.outputNames[0]];
  if (output.type !== 'float32') throw new Error(`output is ${output.type}, not float32`);
  const out = Buffer.from(output.data.buffer, output.data.byteOffset, output.data.byteLength);
  fs.writeFileSync(outputPath, out);
  console.log(`shape ${output.dims.join(',')}`);
}

main().catch((error) => {
  console.error(`ort_run.js: ${error && error.stack ? error.stack : error}`);
  process.exit(1);
});

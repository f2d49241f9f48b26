// ONNX Runtime peer of bench/peers/run.sh: times one exported model (fp32 or QDQ int8) in
// onnxruntime-node the way `gramlite bench` times a gramlite file (warm-up runs, then timed runs of
// one batch; median and p90 in ms), at ONNX Runtime's strongest CPU setting: all graph
// optimizations (QDQ pairs become QLinear* / fused int8 kernels), intraOpNumThreads = THREADS,
// interOpNumThreads 1, sequential execution.
//
//   node ort_peer.js NODE_MODULES MODEL.onnx --size S [--batch B] [--threads T] [--warmup W]
//                    [--runs R] [--spin 0|1] [--input IN.bin --output OUT.bin]
//
// --spin 0 sets session.intra_op.allow_spinning to 0: idle pool threads sleep instead of spinning
// (ORT's default is to spin; on a loaded machine spinning threads steal the cores the work needs).
//
// The timed input is seeded pseudo-random data in [-1, 1). --input IN.bin (float32 NCHW, batch B)
// replaces it; --output OUT.bin receives the first output (float32) of the last run, for the
// agreement check against the PyTorch peer. Prints one JSON object. Exits 3 when onnxruntime-node
// cannot be loaded (run.sh then skips the peer), 2 on bad arguments, 1 on any other error.
'use strict';
const fs = require('fs');
const path = require('path');

function parse(argv) {
  if (argv.length < 2) return null;
  const o = { modules: argv[0], model: argv[1], size: 0, batch: 1, threads: 1, warmup: 5, runs: 20, spin: 1 };
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (value === undefined) return null;
    if (key === '--input') o.input = value;
    else if (key === '--output') o.output = value;
    else if (['--size', '--batch', '--threads', '--warmup', '--runs', '--spin'].includes(key)) {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) return null;
      o[key.slice(2)] = n;
    } else return null;
  }
  return o.size > 0 && o.batch > 0 && o.threads > 0 && o.runs > 0 ? o : null;
}

function percentile(values, p) {
  const v = [...values].sort((a, b) => a - b);
  const rank = ((v.length - 1) * p) / 100;
  const low = Math.floor(rank);
  const high = Math.min(low + 1, v.length - 1);
  return v[low] + (v[high] - v[low]) * (rank - low);
}

async function main() {
  const o = parse(process.argv.slice(2));
  if (!o) {
    console.error('usage: node ort_peer.js NODE_MODULES MODEL.onnx --size S [--batch B] [--threads T] ' +
                  '[--warmup W] [--runs R] [--spin 0|1] [--input IN.bin --output OUT.bin]');
    process.exit(2);
  }
  let ort;
  try {
    ort = require(path.resolve(o.modules, 'onnxruntime-node'));
  } catch (error) {
    console.error(`onnxruntime-node is not installed under ${o.modules}: ${error.message}`);
    process.exit(3);
  }
  const dims = [o.batch, 3, o.size, o.size];
  const count = dims.reduce((a, b) => a * b, 1);
  let data;
  if (o.input) {
    const bytes = fs.readFileSync(o.input);
    data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    if (data.length !== count) throw new Error(`${o.input} holds ${data.length} floats, ${dims} needs ${count}`);
  } else {
    data = new Float32Array(count);
    let state = 12345;  // LCG: the same input every run
    for (let i = 0; i < count; ++i) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      data[i] = state / 2147483648 - 1;
    }
  }
  const created = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(o.model, {
    intraOpNumThreads: o.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // session.intra_op.allow_spinning: whether idle pool threads spin (ORT's default) or sleep.
    extra: { session: { intra_op: { allow_spinning: o.spin ? '1' : '0' } } },
  });
  const createMs = Number(process.hrtime.bigint() - created) / 1e6;
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, dims) };
  let results;
  for (let i = 0; i < o.warmup; ++i) results = await session.run(feeds);
  const times = [];
  for (let i = 0; i < o.runs; ++i) {
    const start = process.hrtime.bigint();
    results = await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  if (o.output) {
    const out = results[session.outputNames[0]];
    fs.writeFileSync(o.output, Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength));
  }
  const sorted = [...times].sort((a, b) => a - b);
  console.log(JSON.stringify({
    peer: 'onnxruntime',
    version: require(path.resolve(o.modules, 'onnxruntime-node', 'package.json')).version,
    model: o.model, threads: o.threads, allow_spinning: o.spin, batch: o.batch, input_size: o.size, warmup_runs: o.warmup, runs: o.runs,
    median_ms: percentile(sorted, 50), p90_ms: percentile(sorted, 90), min_ms: sorted[0],
    images_per_second: (o.batch * 1000) / percentile(sorted, 50), create_ms: createMs, run_ms: times,
  }));
}

main().catch((error) => {
  console.error(`ort_peer.js: ${error && error.stack ? error.stack : error}`);
  process.exit(1);
});

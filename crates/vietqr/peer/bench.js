// Peer side of the comparison: npm vietnam-qr-pay decoding and encoding the
// payloads in ../benches/payloads.txt, N rounds each, single thread.
// Usage: taskset -c 0 node bench.js [rounds]
'use strict';
const fs = require('fs');
const path = require('path');
const { QRPay } = require('vietnam-qr-pay');

const rounds = Number(process.argv[2] || 100000);
const payloads = fs
  .readFileSync(path.join(__dirname, '..', 'benches', 'payloads.txt'), 'utf8')
  .split('\n')
  .filter(Boolean);

// Encoder inputs: the same fields Halong's example encodes.
const inputs = payloads.map((p) => {
  const q = new QRPay(p);
  if (!q.isValid) throw new Error('peer rejects ' + p);
  return {
    bankBin: q.consumer.bankBin,
    bankNumber: q.consumer.bankNumber,
    amount: q.amount,
    purpose: q.additionalData.purpose,
    service: q.provider.service,
    initMethod: q.amount ? '12' : q.initMethod,
  };
});

// Returns [ops per wall second, ops per CPU second]; the second stays fair
// when the machine is shared with other work.
function rate(ops, f) {
  const warm = Date.now();
  while (Date.now() - warm < 300) f(Math.max(1, rounds / 100));
  const t = process.hrtime.bigint();
  const c = process.cpuUsage();
  f(rounds);
  const wall = Number(process.hrtime.bigint() - t) / 1e9;
  const used = process.cpuUsage(c);
  const cpu = (used.user + used.system) / 1e6;
  return [ops / wall, ops / (cpu > 0 ? cpu : wall)];
}

const ops = rounds * payloads.length;
let sink = 0;
const decode = rate(ops, (n) => {
  for (let i = 0; i < n; i++) for (const p of payloads) sink += new QRPay(p).isValid ? 1 : 0;
});
const encode = rate(ops, (n) => {
  for (let i = 0; i < n; i++) for (const o of inputs) sink += QRPay.initVietQR(o).build().length;
});
if (sink === 42) console.log('');
// name, ops/s by wall clock, ops per CPU-second (same format as Halong's example)
console.log('decode ' + decode[0].toFixed(0) + ' ' + decode[1].toFixed(0));
console.log('encode ' + encode[0].toFixed(0) + ' ' + encode[1].toFixed(0));

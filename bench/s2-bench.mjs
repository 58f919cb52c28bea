// S2's workloads, as `s2 bench` reports them, through S2's own TypeScript SDK (the s2s session
// transport, over HTTP/2): append throughput with 1 KiB records at 1 and 16 concurrent append
// sessions, the latency from an append's acknowledgement to a tailing reader, and catch-up read
// throughput from the start of a stream. `kvdb bench s2` is the benchmark; this script is its
// cross-check through S2's own client. Run by bench/s2-bench.sh with S2_BENCH_SDK=1, which starts the cluster;
// prints one line per figure. Environment: KVDB_ENDPOINTS (comma-separated), DURATION_S (per
// throughput run, default 8), CATCHUP_MIB (default 64), RECORD_BYTES (default 1024),
// BATCH_RECORDS (records per append, default 16).
import { AppendInput, AppendRecord, S2 } from "@s2-dev/streamstore";

const endpoints = (process.env.KVDB_ENDPOINTS ?? "").split(",").filter(Boolean);
const duration = Number(process.env.DURATION_S ?? 8) * 1000;
const recordBytes = Number(process.env.RECORD_BYTES ?? 1024);
const batchRecords = Number(process.env.BATCH_RECORDS ?? 16);
const catchupMiB = Number(process.env.CATCHUP_MIB ?? 64);
const clients = endpoints.map((endpoint) => new S2({ accessToken: "bench", endpoints: { account: endpoint, basin: endpoint } }));
const basinName = `bench-${Date.now().toString(36)}`;
await clients[0].basins.create({ basin: basinName, config: { createStreamOnAppend: true } });
const opened = [];
const open = (i, name) => {
  const handle = clients[i % clients.length].basin(basinName).stream(name);
  opened.push(handle);
  return handle;
};
const body = "x".repeat(recordBytes);
const batch = () => AppendInput.create(Array.from({ length: batchRecords }, () => AppendRecord.string({ body })));
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function appendThroughput(sessions) {
  const end = performance.now() + duration;
  let records = 0;
  const latencies = [];
  await Promise.all(Array.from({ length: sessions }, async (_, i) => {
    const session = await open(i, `append-${sessions}-${i}`).appendSession();
    const inFlight = [];
    while (performance.now() < end) {
      const sent = performance.now();
      const ticket = await session.submit(batch());
      inFlight.push(ticket.ack().then(() => { records += batchRecords; latencies.push(performance.now() - sent); }));
      if (inFlight.length >= 4) await inFlight.shift();
    }
    await Promise.all(inFlight);
    await session.close();
  }));
  const seconds = duration / 1000;
  latencies.sort((a, b) => a - b);
  console.log(`append sessions=${sessions}: ${(records / seconds).toFixed(0)} records/s, ${(records * recordBytes / seconds / 1048576).toFixed(2)} MiB/s, ack p50 ${quantile(latencies, 0.5).toFixed(1)} ms p99 ${quantile(latencies, 0.99).toFixed(1)} ms`);
}

async function ackToTail() {
  const samples = 300;
  const writer = await open(0, "tail-latency").appendSession();
  await writer.submit(AppendInput.create([AppendRecord.string({ body: "start" })])).then((t) => t.ack());
  const reader = await open(1, "tail-latency").readSession({ start: { from: { seqNum: 1 } }, stop: { limits: { count: samples }, waitSecs: 60 } });
  const acked = new Map();
  const gaps = [];
  const reading = (async () => {
    for await (const record of reader) {
      const at = performance.now();
      const ackedAt = acked.get(record.seqNum);
      if (ackedAt !== undefined) gaps.push(at - ackedAt);
      else acked.set(record.seqNum, -at);
      if (record.seqNum >= samples) break;
    }
  })();
  for (let i = 0; i < samples; i++) {
    const ack = await (await writer.submit(AppendInput.create([AppendRecord.string({ body: `r${i}` })]))).ack();
    const now = performance.now();
    const seq = ack.start.seqNum;
    const readAt = acked.get(seq);
    if (readAt !== undefined && readAt < 0) gaps.push(0); // the reader saw it before the writer's ack arrived
    else acked.set(seq, now);
  }
  await reading;
  await writer.close();
  gaps.sort((a, b) => a - b);
  console.log(`ack to tailing reader (another member): p50 ${quantile(gaps, 0.5).toFixed(2)} ms, p99 ${quantile(gaps, 0.99).toFixed(2)} ms (${gaps.length} records)`);
}

async function catchUp() {
  const total = Math.floor(catchupMiB * 1048576 / recordBytes);
  const session = await open(0, "catchup").appendSession();
  const pending = [];
  for (let written = 0; written < total; written += batchRecords) {
    pending.push((await session.submit(batch())).ack());
    if (pending.length >= 8) await pending.shift();
  }
  await Promise.all(pending);
  await session.close();
  const start = performance.now();
  let read = 0;
  const reader = await open(1, "catchup").readSession({ start: { from: { seqNum: 0 } }, stop: { limits: { count: total } } });
  for await (const record of reader) {
    read += record.body.length;
  }
  const seconds = (performance.now() - start) / 1000;
  console.log(`catch-up read of ${(read / 1048576).toFixed(0)} MiB from seq 0 (another member): ${(read / 1048576 / seconds).toFixed(2)} MiB/s`);
}

await appendThroughput(1);
await appendThroughput(16);
await ackToTail();
await catchUp();
for (const handle of opened) await handle.close();
await clients[0].basins.delete({ basin: basinName });

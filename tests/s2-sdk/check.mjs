// kvdb's S2 API through S2's official TypeScript SDK, unchanged: every call goes to a different
// member of the cluster (KVDB_ENDPOINTS, comma-separated), with both session transports: fetch
// (HTTP/1.1: JSON and protobuf unary calls, Server-Sent Events for read sessions) and s2s (framed
// sessions over HTTP/2, the SDK's default in Node). The endpoints' scheme picks the wire: http://
// is h2c with prior knowledge beside HTTP/1.1, https:// is TLS where ALPN picks h2 or HTTP/1.1
// (node then trusts the test CA through NODE_EXTRA_CA_CERTS). Exits 0 when every check held;
// otherwise prints what it saw and exits 1. Run by tests/KvDb.Tests/Streams/S2SdkTests.cs.
import assert from "node:assert/strict";
import {
  AppendInput,
  AppendRecord,
  FencingTokenMismatchError,
  Producer,
  BatchTransform,
  RangeNotSatisfiableError,
  S2,
  SeqNumMismatchError,
} from "@s2-dev/streamstore";

const endpoints = (process.env.KVDB_ENDPOINTS ?? "").split(",").filter(Boolean);
assert.ok(endpoints.length > 0, "KVDB_ENDPOINTS names no member");
const clients = endpoints.map((endpoint) => new S2({
  accessToken: process.env.S2_ACCESS_TOKEN ?? "any",
  endpoints: { account: endpoint, basin: endpoint },
  retry: { maxAttempts: 5 },
}));
let turn = 0;
const next = () => clients[turn++ % clients.length];
const opened = [];
const stream = (basin, name, transport = "fetch") => {
  const handle = next().basin(basin).stream(name, { forceTransport: transport });
  opened.push(handle);
  return handle;
};
const step = (name) => console.log(`ok ${name}`);

const basinName = `sdk-${Date.now().toString(36)}`;
await next().basins.create({ basin: basinName });
for (const extra of ["a", "b", "c"]) await next().basins.create({ basin: `${basinName}-${extra}` });
const firstPage = await next().basins.list({ prefix: `${basinName}-`, limit: 2 });
assert.deepEqual(firstPage.basins.map((b) => b.name), [`${basinName}-a`, `${basinName}-b`]);
assert.equal(firstPage.hasMore, true);
const secondPage = await next().basins.list({ prefix: `${basinName}-`, startAfter: `${basinName}-b` });
assert.deepEqual(secondPage.basins.map((b) => b.name), [`${basinName}-c`]);
step("basins: create, list, page with start_after");

await next().basin(basinName).streams.create({ stream: "events" });
await next().basin(basinName).streams.create({ stream: "other" });
const streams = await next().basin(basinName).streams.list({ startAfter: "events" });
assert.deepEqual(streams.streams.map((s) => s.name), ["other"]);
step("streams: create, list with start_after");

const ack1 = await stream(basinName, "events").append(AppendInput.create(
  [AppendRecord.string({ body: "hello", headers: [["k", "v"]] }), AppendRecord.string({ body: "world" })],
  { matchSeqNum: 0 }));
assert.equal(ack1.start.seqNum, 0);
assert.equal(ack1.end.seqNum, 2);
const ack2 = await stream(basinName, "events").append(AppendInput.create([AppendRecord.bytes({ body: new Uint8Array([0, 1, 2, 255]) })]));
assert.equal(ack2.start.seqNum, 2);
step("append: strings (JSON) and bytes (protobuf)");

const strings = await stream(basinName, "events").read({ start: { from: { seqNum: 0 } }, stop: { limits: { count: 2 } } });
assert.deepEqual(strings.records.map((r) => [r.seqNum, r.body]), [[0, "hello"], [1, "world"]]);
assert.deepEqual(strings.records[0].headers, [["k", "v"]]);
const bytes = await stream(basinName, "events").read({ start: { from: { seqNum: 2 } }, stop: { limits: { count: 1 } } }, { as: "bytes" });
assert.deepEqual([...bytes.records[0].body], [0, 1, 2, 255]);
const tail = await stream(basinName, "events").checkTail();
assert.equal(tail.tail.seqNum, 3);
step("read: JSON and protobuf; checkTail");

await assert.rejects(
  stream(basinName, "events").append(AppendInput.create([AppendRecord.string({ body: "late" })], { matchSeqNum: 1 })),
  (e) => e instanceof SeqNumMismatchError && e.expectedSeqNum === 3);
await stream(basinName, "events").append(AppendInput.create([AppendRecord.fence("owner-1")]));
await assert.rejects(
  stream(basinName, "events").append(AppendInput.create([AppendRecord.string({ body: "x" })], { fencingToken: "owner-2" })),
  (e) => e instanceof FencingTokenMismatchError && e.expectedFencingToken === "owner-1");
await stream(basinName, "events").append(AppendInput.create([AppendRecord.string({ body: "fenced" })], { fencingToken: "owner-1" }));
await assert.rejects(
  stream(basinName, "events").read({ start: { from: { seqNum: 1000 } } }),
  (e) => e instanceof RangeNotSatisfiableError);
step("conditions: match_seq_num, fencing token, 416");

// A read session that tails the stream while another client (through another member) appends.
const tailing = await stream(basinName, "events").readSession({ start: { from: { seqNum: 5 } }, stop: { limits: { count: 20 }, waitSecs: 60 } });
const seen = [];
const reader = (async () => { for await (const record of tailing) { seen.push(record.body); if (seen.length === 20) break; } })();
const session = await stream(basinName, "events").appendSession();
const acks = [];
for (let i = 0; i < 10; i++) acks.push(await session.submit(AppendInput.create([AppendRecord.string({ body: `s${i}` })])));
for (const ack of acks) await ack.ack();
await session.close();
const producer = new Producer(new BatchTransform({ lingerDurationMillis: 5 }), await stream(basinName, "events").appendSession());
const produced = [];
for (let i = 0; i < 10; i++) produced.push(await producer.submit(AppendRecord.string({ body: `p${i}` })));
for (const ticket of produced) await ticket.ack();
await producer.close();
await reader;
assert.deepEqual(seen, [...Array(10).keys()].map((i) => `s${i}`).concat([...Array(10).keys()].map((i) => `p${i}`)));
step("sessions: a read session follows the tail while an append session and a Producer append");

// The same over the SDK's own session protocol (s2s frames over HTTP/2), its default in Node.
await next().basin(basinName).streams.create({ stream: "framed" });
const framedTail = await stream(basinName, "framed", "s2s").readSession({ start: { from: { seqNum: 0 } }, stop: { limits: { count: 30 }, waitSecs: 60 } });
const framedSeen = [];
const framedReader = (async () => { for await (const record of framedTail) { framedSeen.push(record.body); if (framedSeen.length === 30) break; } })();
const framedSession = await stream(basinName, "framed", "s2s").appendSession();
const framedAcks = [];
for (let i = 0; i < 20; i++) framedAcks.push(await framedSession.submit(AppendInput.create([AppendRecord.string({ body: `f${i}` })])));
for (const ack of framedAcks) await ack.ack();
await framedSession.close();
const framedProducer = new Producer(new BatchTransform({ lingerDurationMillis: 5 }), await stream(basinName, "framed", "s2s").appendSession());
const framedProduced = [];
for (let i = 0; i < 10; i++) framedProduced.push(await framedProducer.submit(AppendRecord.string({ body: `q${i}` })));
for (const ticket of framedProduced) await ticket.ack();
await framedProducer.close();
await framedReader;
assert.deepEqual(framedSeen, [...Array(20).keys()].map((i) => `f${i}`).concat([...Array(10).keys()].map((i) => `q${i}`)));
const conflicted = await stream(basinName, "framed", "s2s").appendSession();
const refused = await conflicted.submit(AppendInput.create([AppendRecord.string({ body: "late" })], { matchSeqNum: 0 })).then((t) => t.ack()).then(() => null, (e) => e);
assert.ok(refused instanceof SeqNumMismatchError, `an s2s append with a stale match_seq_num is refused: ${refused}`);
await conflicted.close().catch(() => {});
step("s2s sessions over HTTP/2: a read session follows the tail while an append session and a Producer append");

const beforeTrim = await stream(basinName, "events").checkTail();
await stream(basinName, "events").append(AppendInput.create([AppendRecord.trim(3)]));
const trimmed = await stream(basinName, "events").read({ start: { from: { seqNum: 0 } }, stop: { limits: { count: 2 } } });
assert.equal(trimmed.records[0].seqNum, 3);
assert.equal((await stream(basinName, "events").checkTail()).tail.seqNum, beforeTrim.tail.seqNum + 1);
step("trim");

await next().basin(basinName).streams.delete({ stream: "other" });
for (const name of [basinName, `${basinName}-a`, `${basinName}-b`, `${basinName}-c`]) await next().basins.delete({ basin: name });
assert.equal((await next().basins.list({ prefix: basinName })).basins.length, 0);
step("delete streams and basins");
// Pooled HTTP/2 connections would keep node running.
for (const handle of opened) await handle.close();
console.log("all checks passed");

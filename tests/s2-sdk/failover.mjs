// Sessions through a leader's crash, with S2's SDK on its default s2s transport: a read session
// tails a stream on one member while an append session writes to it through another, one
// record per input with match_seq_num. After KILL_AFTER acknowledgements it prints "kill" and
// waits for a line on stdin (the test kills the leader with SIGKILL, then writes "killed").
// An input whose outcome the crash left unknown is settled by match_seq_num: the SDK resends
// it, and a 412 says it was already appended. Exits 0 when the reader saw every record
// appended exactly once, in order, with sequence numbers 0..RECORDS-1.
import assert from "node:assert/strict";
import readline from "node:readline";
import { AppendInput, AppendRecord, S2, SeqNumMismatchError } from "@s2-dev/streamstore";

const records = Number(process.env.RECORDS ?? 200);
const killAfter = Number(process.env.KILL_AFTER ?? 60);
const client = (endpoint) => new S2({ accessToken: "any", endpoints: { account: endpoint, basin: endpoint }, retry: { maxAttempts: 20, maxBaseDelayMillis: 500 } });
const writer = client(process.env.WRITE_ENDPOINT);
const reader = client(process.env.READ_ENDPOINT);
const basinName = `failover-${Date.now().toString(36)}`;
await writer.basins.create({ basin: basinName });
await writer.basin(basinName).streams.create({ stream: "tail" });
const readStream = reader.basin(basinName).stream("tail");
const writeStream = writer.basin(basinName).stream("tail");

const seen = [];
const session = await readStream.readSession({ start: { from: { seqNum: 0 } }, stop: { limits: { count: records }, waitSecs: 120 } });
const reading = (async () => { for await (const record of session) seen.push([record.seqNum, record.body]); })();

const stdin = readline.createInterface({ input: process.stdin });
const lines = stdin[Symbol.asyncIterator]();
let appender = await writeStream.appendSession();
const settled = [];
for (let i = 0; i < records; i++) {
  for (;;) {
    try {
      const ack = await (await appender.submit(AppendInput.create([AppendRecord.string({ body: `r${i}` })], { matchSeqNum: i }))).ack();
      assert.equal(ack.start.seqNum, i);
      break;
    } catch (e) {
      if (e instanceof SeqNumMismatchError && e.expectedSeqNum === i + 1) {
        settled.push(i); // appended before the crash; its acknowledgement was lost
        break;
      }
      // The session failed (the SDK gave up retrying): open a new one and try the input again.
      console.error(`input ${i}: ${e.message}; reopening the append session`);
      await appender.close().catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 200));
      appender = await writeStream.appendSession();
    }
  }
  if (i + 1 === killAfter) {
    console.log("kill");
    await lines.next();
  }
}
await appender.close();
await reading;
stdin.close();
assert.deepEqual(seen, [...Array(records).keys()].map((i) => [i, `r${i}`]), "the reader saw each record once, in order");
await readStream.close();
await writeStream.close();
console.log(`settled by match_seq_num: ${settled.length}`);
console.log("all checks passed");

// The minimal Redis Streams worker: one blocking XREADGROUP for as many entries as there are free slots, a no-op
// handler, XACK. No guarantees beyond the group's own: no idempotency, no running key, no heartbeat, no retries.
import Redis from 'ioredis';
import { serve } from './worker-common.mjs';

const url = process.env.BENCH_REDIS_URL;
const group = 'runner';

serve(async (stream, concurrency, tally) => {
  const reader = new Redis(url, { maxRetriesPerRequest: null });
  const client = new Redis(url);
  await client.xgroup('CREATE', stream, group, '0', 'MKSTREAM').catch((e) => {
    if (!String(e.message).startsWith('BUSYGROUP')) throw e;
  });
  const consumer = `minimal-${process.pid}`;
  let free = concurrency;
  let wake = null;
  let stopping = false;

  async function run(id, fields) {
    let delivery = '';
    for (let i = 0; i < fields.length; i += 2) if (fields[i] === 'delivery') delivery = fields[i + 1];
    tally.started(delivery);
    await client.xack(stream, group, id);
    tally.acknowledged();
    free++;
    if (wake) { const w = wake; wake = null; w(); }
  }

  const loop = (async () => {
    while (!stopping) {
      if (free === 0) { await new Promise((resolve) => { wake = resolve; }); continue; }
      let reply;
      try {
        reply = await reader.xreadgroup('GROUP', group, consumer, 'COUNT', free, 'BLOCK', 5000, 'STREAMS', stream, '>');
      } catch (e) {
        if (stopping) return;
        throw e;
      }
      if (!reply) continue;
      for (const [id, fields] of reply[0][1]) { free--; run(id, fields); }
    }
  })();

  return async () => {
    stopping = true;
    reader.disconnect();
    if (wake) wake();
    await loop;
    await client.quit();
  };
});

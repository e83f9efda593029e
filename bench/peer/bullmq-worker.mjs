// BullMQ's Worker with its defaults (lock renewal, stalled-job checks, completed jobs kept) and a no-op processor.
import { Worker } from 'bullmq';
import { serve } from './worker-common.mjs';

const { hostname: host, port } = new URL(process.env.BENCH_REDIS_URL);

serve(async (queue, concurrency, tally) => {
  const worker = new Worker(queue, async (job) => { tally.started(job.data.delivery); },
    { connection: { host, port: Number(port), maxRetriesPerRequest: null }, concurrency });
  worker.on('completed', () => tally.acknowledged());
  worker.on('error', (e) => process.stderr.write(`bullmq worker error: ${e.message}\n`));
  await worker.waitUntilReady();
  return async () => { await worker.close(); };
});

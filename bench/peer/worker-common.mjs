// The worker side of the peer bench protocol, shared by the Node workers (Runner.Bench's peer-worker speaks the same).
// The driver writes commands on stdin, one per line; the worker answers on stderr with lines starting with "@".
//   warm <queue> <count>  run a worker instance on <queue> until <count> jobs are acknowledged, close it, answer @warmed
//   run <queue> <count>   start a worker instance on <queue>; when <count> jobs are acknowledged answer
//                         @drained first=<ns> last=<ns> handled=<n> distinct=<n>, and keep the instance running (idle)
//   latency <queue>       start a worker instance that answers @start <index> <ns> when a handler starts
//   exit                  close the running instance and exit
// Times are CLOCK_MONOTONIC nanoseconds. Each job's delivery is "<letter>-<index>".
import readline from 'node:readline';

export function now() {
  return process.hrtime.bigint();
}

export function say(line) {
  process.stderr.write(`@${line}\n`);
}

/** Counts handler starts and acknowledgements of one worker instance. */
export class Tally {
  constructor(expected, reportStarts) {
    this.expected = expected;
    this.reportStarts = reportStarts;
    this.seen = new Uint8Array(expected > 0 ? expected : 1);
    this.handled = 0;
    this.distinct = 0;
    this.acked = 0;
    this.first = 0n;
    this.done = new Promise((resolve) => { this.resolveDone = resolve; });
  }

  started(delivery) {
    const at = now();
    if (this.handled++ === 0) this.first = at;
    const index = Number.parseInt(delivery.slice(2), 10);
    if (this.reportStarts) say(`start ${index} ${at}`);
    else if (index >= 0 && index < this.seen.length && this.seen[index] === 0) {
      this.seen[index] = 1;
      this.distinct++;
    }
  }

  acknowledged() {
    if (++this.acked === this.expected) this.resolveDone(now());
  }
}

/**
 * Runs the protocol. start(queue, concurrency, tally) starts an instance and returns an async close function.
 */
export function serve(start) {
  const concurrency = Number.parseInt(process.env.BENCH_CONCURRENCY ?? '1', 10);
  let close = null;
  const lines = readline.createInterface({ input: process.stdin });
  const queue = [];
  let busy = false;
  lines.on('line', (line) => { queue.push(line); pump(); });

  async function pump() {
    if (busy) return;
    busy = true;
    while (queue.length > 0) await handle(queue.shift().trim().split(/\s+/));
    busy = false;
  }

  async function handle([command, name, count]) {
    if (command === 'warm') {
      const tally = new Tally(Number(count), false);
      const stop = await start(name, concurrency, tally);
      await tally.done;
      await stop();
      say('warmed');
    } else if (command === 'run') {
      const tally = new Tally(Number(count), false);
      close = await start(name, concurrency, tally);
      const last = await tally.done;
      say(`drained first=${tally.first} last=${last} handled=${tally.handled} distinct=${tally.distinct}`);
    } else if (command === 'latency') {
      close = await start(name, concurrency, new Tally(0, true));
      say('listening');
    } else if (command === 'exit') {
      if (close) await close();
      say('bye');
      process.exit(0);
    }
  }

  say('ready');
}

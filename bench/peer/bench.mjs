// Side-by-side queue bench: BullMQ, a minimal ioredis streams loop and Runner's QueueWorker on one throw-away
// redis-server, same jobs, same rules, one table. Run it through run.sh (it installs and builds first).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import Redis from 'ioredis';
import { Queue } from 'bullmq';

const here = path.dirname(fileURLToPath(import.meta.url));
const JOBS = positive('BENCH_JOBS', 50_000);
const WARMUP = Math.min(positive('BENCH_WARMUP', 5_000), JOBS);
const SAMPLES = positive('BENCH_SAMPLES', 200);
// Each cell measured by this many fresh worker processes: jobs/s, CPU and pick-up are the median run's, peak RSS and
// idle commands the highest seen, problems those of every run (fresh processes of one build move by ±30 % on a
// shared VM; see FINDINGS.md).
const REPEAT = positive('BENCH_REPEAT', 1);
const LEVELS = (process.env.BENCH_CONCURRENCY ?? '1,8,64').split(',').map(Number);
const SELECTED = (process.env.BENCH_PEERS ?? 'bullmq,minimal,runner,runnerConsole').split(',');
const LATENCY_CONCURRENCY = 4;
const IDLE_SECONDS = 5;
const PAYLOAD_BYTES = 256;
const CLOCK_TICKS = 100; // USER_HZ of /proc/<pid>/stat on Linux
const RUNNER = process.env.BENCH_RUNNER_WORKER
  ?? path.join(here, '..', 'Runner.Bench', 'bin', 'Release', 'net10.0', 'Runner.Bench');

function positive(name, fallback) {
  const value = Number.parseInt(process.env[name] ?? '', 10);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

// The runtime environment the image gives Runner (the runtime stage's `ENV DOTNET_*` lines of Runner/Dockerfile), so
// the bench measures the process as it ships; the environment of this shell still wins.
const IMAGE_ENV = imageRuntimeEnv(path.join(here, '..', '..', 'Runner', 'Dockerfile'));

// The peers. kind says how jobs are produced and checked: a stream with the job contract's fields, or a BullMQ queue.
const PEERS = {
  bullmq: { label: 'BullMQ 6.7.0', kind: 'bullmq', command: process.execPath, args: [path.join(here, 'bullmq-worker.mjs')] },
  minimal: { label: 'minimal ioredis loop', kind: 'stream', command: process.execPath, args: [path.join(here, 'streams-worker.mjs')] },
  runner: { label: 'Runner QueueWorker', kind: 'stream', command: RUNNER, args: ['peer-worker'], env: { ...IMAGE_ENV, BENCH_LOGGING: 'null' } },
  runnerConsole: { label: 'Runner, console logging', kind: 'stream', command: RUNNER, args: ['peer-worker'], env: { ...IMAGE_ENV, BENCH_LOGGING: 'console' } },
};

/** `ENV DOTNET_…=…` of the Dockerfile's last stage (one variable per ENV line), minus what this shell sets itself. */
function imageRuntimeEnv(dockerfile) {
  const stages = readFileSync(dockerfile, 'utf8').split(/^FROM /m);
  const env = {};
  for (const [, name, value] of stages[stages.length - 1].matchAll(/^ENV (DOTNET_\w+)=(\S*)\s*$/gm)) {
    if (!(name in process.env)) env[name] = value;
  }
  return env;
}

/** A webhook-like JSON body of exactly PAYLOAD_BYTES bytes. */
function payload(index) {
  const head = `{"action":"opened","issue":{"number":${index},"title":"Bench issue"},"repository":{"full_name":"octo/bench"},"sender":{"login":"octocat"},"pad":"`;
  return `${head}${'x'.repeat(PAYLOAD_BYTES - head.length - 2)}"}`;
}

// Whatever this run started goes with it, also on Ctrl-C.
const children = new Set();
process.on('exit', () => { for (const child of children) child.kill('SIGKILL'); });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => { const { port } = server.address(); server.close(() => resolve(port)); });
  });
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

async function startRedis() {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' });
  children.add(child);
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; !(await accepts(port)); i++) {
    if (i > 100) throw new Error(`redis-server did not start on port ${port}`);
    await sleep(50);
  }
  const client = new Redis(url);
  await client.ping();
  return { child, url, client };
}

/** A worker process speaking the protocol of worker-common.mjs on stdin/stderr. */
class WorkerProcess {
  constructor(peer, concurrency, url) {
    this.child = spawn(peer.command, peer.args, {
      cwd: here,
      env: { ...process.env, ...peer.env, BENCH_REDIS_URL: url, BENCH_CONCURRENCY: String(concurrency) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.add(this.child);
    // Standard output carries only logs (Runner's console sink); read it like `docker logs` would, and drop it.
    this.child.stdout.resume();
    this.waiters = [];
    this.starts = new Map();
    this.exited = new Promise((resolve) => { this.child.on('exit', (code) => resolve(code)); });
    readline.createInterface({ input: this.child.stderr }).on('line', (line) => this.onLine(line));
  }

  onLine(line) {
    if (!line.startsWith('@')) { process.stderr.write(`  worker: ${line}\n`); return; }
    const [word, ...rest] = line.slice(1).split(' ');
    if (word === 'start') {
      const [index, at] = rest;
      this.starts.get(Number(index))?.(BigInt(at));
      return;
    }
    const waiter = this.waiters.findIndex((w) => w.word === word);
    if (waiter >= 0) this.waiters.splice(waiter, 1)[0].resolve(rest);
  }

  expect(word, timeoutMs = 600_000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker did not answer @${word} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ word, resolve: (rest) => { clearTimeout(timer); resolve(rest); } });
      this.exited.then((code) => { clearTimeout(timer); reject(new Error(`worker exited with ${code} before @${word}`)); });
    });
  }

  send(line) { this.child.stdin.write(`${line}\n`); }

  startOf(index) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`job ${index} did not start within 30 s`)), 30_000);
      this.starts.set(index, (at) => { clearTimeout(timer); this.starts.delete(index); resolve(at); });
    });
  }

  /** User + system CPU seconds the worker process used so far. */
  cpuSeconds() {
    const stat = readFileSync(`/proc/${this.child.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  }

  peakRssMb() {
    const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)[1]);
    return kb / 1024;
  }

  async exit() {
    this.send('exit');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Puts count jobs on the queue while no worker reads it. */
async function fill(redis, url, peer, queue, prefix, count) {
  const chunk = 1_000;
  if (peer.kind === 'bullmq') {
    const { hostname: host, port } = new URL(url);
    const producer = new Queue(queue, { connection: { host, port: Number(port) } });
    for (let start = 0; start < count; start += chunk) {
      const jobs = [];
      for (let i = start; i < Math.min(count, start + chunk); i++) {
        jobs.push({ name: 'issues', data: { delivery: `${prefix}-${i}`, payload: JSON.parse(payload(i)) } });
      }
      await producer.addBulk(jobs);
    }
    await producer.close();
    return;
  }

  for (let start = 0; start < count; start += chunk) {
    const pipeline = redis.pipeline();
    for (let i = start; i < Math.min(count, start + chunk); i++) {
      pipeline.xadd(queue, '*', 'event', 'issues', 'delivery', `${prefix}-${i}`, 'payload', payload(i));
    }
    await pipeline.exec();
  }
}

/** One producer call for a single job, as a webhook receiver would make it. */
function singleProducer(url, peer, queue) {
  if (peer.kind === 'bullmq') {
    const { hostname: host, port } = new URL(url);
    const producer = new Queue(queue, { connection: { host, port: Number(port) } });
    return { add: (i) => producer.add('issues', { delivery: `l-${i}`, payload: JSON.parse(payload(i)) }), close: () => producer.close() };
  }

  const client = new Redis(url);
  return { add: (i) => client.xadd(queue, '*', 'event', 'issues', 'delivery', `l-${i}`, 'payload', payload(i)), close: () => client.quit() };
}

/** Checks nothing is pending, waiting or lost after a drain. Returns '' when all is well, else what is wrong. */
async function verify(redis, url, peer, queue, count, reported) {
  const problems = [];
  if (reported.handled !== count) problems.push(`handler ran ${reported.handled} times for ${count} jobs`);
  if (reported.distinct !== count) problems.push(`${count - reported.distinct} jobs never reached the handler`);
  if (peer.kind === 'bullmq') {
    const { hostname: host, port } = new URL(url);
    const q = new Queue(queue, { connection: { host, port: Number(port) } });
    const counts = await q.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'waiting-children', 'paused', 'completed', 'failed');
    await q.close();
    if (counts.completed !== count) problems.push(`completed ${counts.completed} of ${count}`);
    for (const [state, n] of Object.entries(counts)) if (state !== 'completed' && n > 0) problems.push(`${n} ${state}`);
  } else {
    const groups = await redis.xinfo('GROUPS', queue);
    const group = Object.fromEntries(chunkPairs(groups[0]));
    if (Number(group['entries-read']) !== count) problems.push(`group read ${group['entries-read']} of ${count} entries`);
    if (Number(group.pending) !== 0) problems.push(`${group.pending} entries pending`);
    if (group.lag !== null && Number(group.lag) !== 0) problems.push(`lag ${group.lag}`);
    const dead = await redis.xlen(`${queue}:dead`);
    if (dead > 0) problems.push(`${dead} dead-lettered`);
  }
  return problems.join('; ');
}

function chunkPairs(flat) {
  const pairs = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
  return pairs;
}

async function info(redis, section) {
  const text = await redis.info(section);
  return Object.fromEntries(text.split('\r\n').filter((l) => l.includes(':')).map((l) => {
    const colon = l.indexOf(':');
    return [l.slice(0, colon), l.slice(colon + 1)];
  }));
}

async function commandCounts(redis) {
  const stats = await info(redis, 'commandstats');
  return Object.fromEntries(Object.entries(stats).map(([k, v]) => [k.replace(/^cmdstat_/, ''), Number(/calls=(\d+)/.exec(v)[1])]));
}

/** Commands Redis ran over IDLE_SECONDS, less this measurement's own first INFO (the second is not counted yet). */
async function idleCommandsPerSecond(redis) {
  const before = Number((await info(redis, 'stats')).total_commands_processed);
  await sleep(IDLE_SECONDS * 1000);
  const after = Number((await info(redis, 'stats')).total_commands_processed);
  return (after - before - 1) / IDLE_SECONDS;
}

async function redisCpuSeconds(redis) {
  const cpu = await info(redis, 'cpu');
  return Number(cpu.used_cpu_user) + Number(cpu.used_cpu_sys);
}

function queueName(peer, name) {
  return peer.kind === 'bullmq' ? name : `bench:${name}`;
}

async function throughput(redis, url, peer, concurrency) {
  await redis.flushall();
  const worker = new WorkerProcess(peer, concurrency, url);
  await worker.expect('ready', 60_000);
  try {
    const warm = queueName(peer, 'warm');
    await fill(redis, url, peer, warm, 'w', WARMUP);
    worker.send(`warm ${warm} ${WARMUP}`);
    await worker.expect('warmed');

    const queue = queueName(peer, 'jobs');
    await fill(redis, url, peer, queue, 'd', JOBS);
    const commandsBefore = await commandCounts(redis);
    const redisCpuBefore = await redisCpuSeconds(redis);
    const cpuBefore = worker.cpuSeconds();
    worker.send(`run ${queue} ${JOBS}`);
    const fields = Object.fromEntries((await worker.expect('drained')).map((kv) => kv.split('=')));
    const workerCpu = worker.cpuSeconds() - cpuBefore;
    const redisCpu = await redisCpuSeconds(redis) - redisCpuBefore;
    const commandsAfter = await commandCounts(redis);
    const peakRss = worker.peakRssMb();
    const idleAfterDrain = await idleCommandsPerSecond(redis);
    const reported = { handled: Number(fields.handled), distinct: Number(fields.distinct) };
    const problems = await verify(redis, url, peer, queue, JOBS, reported);
    const seconds = Number(BigInt(fields.last) - BigInt(fields.first)) / 1e9;
    const perJob = {};
    for (const [name, calls] of Object.entries(commandsAfter)) {
      // INFO is this driver's own measuring; nothing else talks to the server during the drain.
      const delta = name === 'info' ? 0 : calls - (commandsBefore[name] ?? 0);
      if (delta > 0) perJob[name] = delta / JOBS;
    }
    const cost = {
      workerCpuUs: (workerCpu * 1e6) / JOBS,
      redisCpuUs: (redisCpu * 1e6) / JOBS,
      allocatedBytes: fields.allocated === undefined ? undefined : Number(fields.allocated) / JOBS,
      gen0: fields.gen0 === undefined ? undefined : Number(fields.gen0),
    };
    return { jobsPerSecond: JOBS / seconds, peakRss, idleAfterDrain, problems, perJob, cost };
  } finally {
    await worker.exit();
  }
}

async function latency(redis, url, peer) {
  await redis.flushall();
  const worker = new WorkerProcess(peer, LATENCY_CONCURRENCY, url);
  await worker.expect('ready', 60_000);
  const queue = queueName(peer, 'latency');
  const producer = singleProducer(url, peer, queue);
  try {
    worker.send(`latency ${queue}`);
    await worker.expect('listening');
    await sleep(500);
    const one = async (i) => {
      const started = worker.startOf(i);
      const sent = process.hrtime.bigint();
      await producer.add(i);
      const at = await started;
      await sleep(5 + Math.random() * 10);
      return Number(at - sent) / 1e6;
    };
    for (let i = 0; i < 20; i++) await one(1_000_000 + i); // untimed warm-up
    await sleep(1_000);
    const idle = await idleCommandsPerSecond(redis);
    const samples = [];
    for (let i = 0; i < SAMPLES; i++) samples.push(await one(i));
    samples.sort((a, b) => a - b);
    const pick = (p) => samples[Math.min(samples.length - 1, Math.max(0, Math.ceil(p * samples.length) - 1))];
    return { p50: pick(0.5), p99: pick(0.99), idle };
  } finally {
    await producer.close();
    await worker.exit();
  }
}

/** Runs measure() REPEAT times; the median run by rank(), with the worst peak RSS and idle rate and every problem. */
async function repeated(measure, rank, log) {
  const runs = [];
  for (let i = 0; i < REPEAT; i++) {
    runs.push(await measure());
    if (REPEAT > 1) log(`    run ${i + 1}/${REPEAT}: ${rank(runs[i]).toFixed(2)}`);
  }
  return summary(runs, rank);
}

/**
 * Like repeated(), for set-ups compared with each other: their runs alternate (A B A B …) instead of following each
 * other in blocks minutes apart, so a drift of the shared machine hits them alike. One summary per set-up.
 */
async function alternated(setups, rank, log) {
  const runs = setups.map(() => []);
  for (let i = 0; i < REPEAT; i++) {
    for (const [k, { name, measure }] of setups.entries()) {
      runs[k].push(await measure());
      log(`    run ${i + 1}/${REPEAT}, ${name}: ${rank(runs[k][i]).toFixed(2)}`);
    }
  }
  return runs.map((r) => summary(r, rank));
}

function summary(runs, rank) {
  const median = [...runs].sort((a, b) => rank(a) - rank(b))[Math.floor((runs.length - 1) / 2)];
  const worst = (field) => (median[field] === undefined ? undefined : Math.max(...runs.map((r) => r[field])));
  return {
    ...median,
    ...(median.peakRss === undefined ? {} : { peakRss: worst('peakRss') }),
    ...(median.idleAfterDrain === undefined ? {} : { idleAfterDrain: worst('idleAfterDrain') }),
    ...(median.idle === undefined ? {} : { idle: worst('idle') }),
    ...(median.problems === undefined ? {} : { problems: runs.map((r) => r.problems).filter(Boolean).join('; ') }),
  };
}

const fmt = {
  int: (v) => Math.round(v).toLocaleString('en-US'),
  ms: (v) => `${v.toFixed(2)} ms`,
  mb: (v) => `${v.toFixed(0)} MB`,
  rate: (v) => v.toFixed(1),
  x: (v) => `${v.toFixed(2)}×`,
};

async function main() {
  const redis = await startRedis();
  const version = (await info(redis.client, 'server')).redis_version;
  const results = {};
  const log = (line) => process.stderr.write(`${line}\n`);
  try {
    // The console ratio compares two set-ups of one worker, so their processes alternate (see alternated()).
    const pairConsole = SELECTED.includes('runner') && SELECTED.includes('runnerConsole');
    if (SELECTED.includes('runnerConsole')) results.runnerConsole = { levels: {} };
    for (const key of ['bullmq', 'minimal', 'runner'].filter((k) => SELECTED.includes(k))) {
      const peer = PEERS[key];
      results[key] = { levels: {} };
      for (const c of LEVELS) {
        const run = (p) => () => throughput(redis.client, redis.url, p, c);
        if (key === 'runner' && pairConsole) {
          log(`${peer.label}, NullLogger and console logging alternating: c=${c}, ${JOBS} jobs`);
          [results.runner.levels[c], results.runnerConsole.levels[c]] = await alternated(
            [{ name: 'NullLogger', measure: run(peer) }, { name: 'console', measure: run(PEERS.runnerConsole) }], (r) => r.jobsPerSecond, log);
        } else {
          log(`${peer.label}: c=${c}, ${JOBS} jobs`);
          results[key].levels[c] = await repeated(run(peer), (r) => r.jobsPerSecond, log);
        }
        log(`  ${fmt.int(results[key].levels[c].jobsPerSecond)} jobs/s ${results[key].levels[c].problems || 'ok'}`);
      }
      log(`${peer.label}: pick-up latency`);
      results[key].latency = await repeated(() => latency(redis.client, redis.url, peer), (r) => r.p50, log);
    }
    for (const c of SELECTED.includes('runnerConsole') && !pairConsole ? LEVELS : []) {
      log(`${PEERS.runnerConsole.label}: c=${c}, ${JOBS} jobs`);
      results.runnerConsole.levels[c] = await repeated(() => throughput(redis.client, redis.url, PEERS.runnerConsole, c), (r) => r.jobsPerSecond, log);
    }
  } finally {
    await redis.client.quit();
    redis.child.kill('SIGTERM');
  }

  print(results, version);
}

function print(results, version) {
  if (Object.keys(PEERS).some((key) => !results[key])) {
    // BENCH_PEERS picked a subset (e.g. to profile one peer): no ratios, the raw figures.
    console.log(JSON.stringify(results, null, 2));
    return;
  }

  const { bullmq, minimal, runner, runnerConsole } = results;
  const rows = [];
  const row = (measure, b, m, r, rb, rm, target, met) => rows.push([measure, b, m, r, rb, rm, target, met === undefined ? '' : (met ? 'met' : 'NOT MET')]);
  for (const c of LEVELS) {
    const [b, m, r] = [bullmq, minimal, runner].map((p) => p.levels[c].jobsPerSecond);
    const target = c === 64 ? '≥1.5× BullMQ, ≥0.60× minimal' : '≥1.5× BullMQ';
    row(`jobs/s, c=${c}`, fmt.int(b), fmt.int(m), fmt.int(r), fmt.x(r / b), fmt.x(r / m), target, r / b >= 1.5 && (c !== 64 || r / m >= 0.6));
  }
  {
    const [b, m, r] = [bullmq, minimal, runner].map((p) => p.latency.p50);
    row(`pick-up p50 (c=${LATENCY_CONCURRENCY}, ${SAMPLES} jobs)`, fmt.ms(b), fmt.ms(m), fmt.ms(r), fmt.x(r / b), fmt.x(r / m), '≤1.5× minimal', r / m <= 1.5);
    const [b99, m99, r99] = [bullmq, minimal, runner].map((p) => p.latency.p99);
    row('pick-up p99', fmt.ms(b99), fmt.ms(m99), fmt.ms(r99), fmt.x(r99 / b99), fmt.x(r99 / m99), '', undefined);
  }
  {
    const [b, m, r] = [bullmq, minimal, runner].map((p) => p.latency.idle);
    row(`idle commands/s (${IDLE_SECONDS} s)`, fmt.rate(b), fmt.rate(m), fmt.rate(r), '', '', '≤5', r <= 5);
  }
  for (const c of LEVELS) {
    const [b, m, r] = [bullmq, minimal, runner].map((p) => p.levels[c].idleAfterDrain);
    row(`idle commands/s right after the c=${c} drain`, fmt.rate(b), fmt.rate(m), fmt.rate(r), '', '', '≤5', r <= 5);
  }
  for (const c of LEVELS) {
    const [b, m, r] = [bullmq, minimal, runner].map((p) => p.levels[c].peakRss);
    row(`peak RSS (VmHWM), c=${c}`, fmt.mb(b), fmt.mb(m), fmt.mb(r), fmt.x(r / b), fmt.x(r / m), c === 64 ? '≤80 MB' : '', c === 64 ? r <= 80 : undefined);
  }
  for (const c of LEVELS) {
    const plain = runner.levels[c].jobsPerSecond;
    const logged = runnerConsole.levels[c].jobsPerSecond;
    row(`Runner jobs/s with console logging, c=${c}`, '', '', fmt.int(logged), '', '', `≥0.80× NullLogger (${fmt.x(logged / plain)})`, logged / plain >= 0.8);
  }
  const checks = [];
  for (const [key, result] of Object.entries(results)) {
    for (const [c, level] of Object.entries(result.levels)) if (level.problems) checks.push(`${key} c=${c}: ${level.problems}`);
  }

  const header = ['measure', 'BullMQ', 'minimal', 'Runner', 'Runner/BullMQ', 'Runner/minimal', 'target', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(`Peer bench: redis-server ${version} on loopback, ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, `
    + `${JOBS} jobs of ${PAYLOAD_BYTES} B (warm-up ${WARMUP}), ${new Date().toISOString()}`);
  if (REPEAT > 1) console.log(`Each cell: the median of ${REPEAT} fresh worker processes (peak RSS and idle commands: the highest of them).`);
  console.log('Runner with NullLogger and with console logging: their worker processes alternate at each level.');
  console.log(`Runner's environment from Runner/Dockerfile: ${Object.entries(IMAGE_ENV).map(([k, v]) => `${k}=${v}`).join(' ') || '(none; set in this shell)'}`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  console.log(checks.length === 0 ? 'After every drain: nothing pending, waiting or lost; every job handled exactly once.' : `PROBLEMS: ${checks.join(' | ')}`);
  console.log('\nRedis commands per job during the drain (INFO commandstats, commands run inside scripts included; below 0.005 left out):');
  for (const key of ['bullmq', 'minimal', 'runner']) {
    for (const c of LEVELS) {
      const perJob = Object.entries(results[key].levels[c].perJob).filter(([, v]) => v >= 0.005).sort((a, b) => b[1] - a[1]);
      const total = perJob.reduce((s, [, v]) => s + v, 0);
      console.log(`  ${PEERS[key].label}, c=${c}: ${total.toFixed(2)} = ${perJob.map(([n, v]) => `${n} ${v.toFixed(2)}`).join(', ')}`);
    }
  }
  console.log('\nCost per job during the drain (CPU from /proc/<pid>/stat and INFO cpu; less sensitive to a loaded machine than jobs/s):');
  for (const key of ['bullmq', 'minimal', 'runner', 'runnerConsole']) {
    for (const c of LEVELS) {
      const { cost } = results[key].levels[c];
      const managed = cost.allocatedBytes === undefined ? '' : `, ${fmt.int(cost.allocatedBytes)} B allocated, ${cost.gen0} gen0 GCs`;
      console.log(`  ${PEERS[key].label}, c=${c}: worker ${cost.workerCpuUs.toFixed(0)} µs CPU, redis-server ${cost.redisCpuUs.toFixed(0)} µs CPU${managed}`);
    }
  }
  if (checks.length > 0) process.exitCode = 1;
}

await main();

// Shared plumbing of the interop peers: configuration from the environment,
// JSON-line reports on stdout, a hard deadline, and the wait for the driver
// (the Go test) to close stdin.
//
// A peer reports observations, not verdicts: the Go side holds the
// expectations (and the list of known peer limitations) and decides.

export const cfg = {
  url: must('WAMP_URL'),
  realm: process.env.WAMP_REALM || 'realm1',
  serializer: process.env.WAMP_SERIALIZER || 'json',
  role: must('WAMP_ROLE'), // caller | callee | meta
  prefix: process.env.WAMP_PREFIX || 'interop',
  echo: JSON.parse(process.env.WAMP_ECHO || '{"args":[],"kwargs":{}}'),
  bytes: Buffer.from(process.env.WAMP_BYTES || '', 'hex'),
  meta: JSON.parse(process.env.WAMP_META || '{}'),
  adminAuthID: process.env.WAMP_ADMIN_AUTHID || '',
  adminTicket: process.env.WAMP_ADMIN_TICKET || '',
  deadlineMs: Number(process.env.WAMP_DEADLINE_MS || 30000),
};

function must(name) {
  const v = process.env[name];
  if (!v) {
    fail(`missing environment variable ${name}`);
  }
  return v;
}

// emit writes one report line.
export function emit(obj) {
  process.stdout.write(JSON.stringify(obj, replacer) + '\n');
}

// replacer keeps reports JSON: BigInt (64-bit integers from some decoders)
// becomes a number when exact, else a string; byte arrays become {bytes: hex}.
function replacer(_key, value) {
  if (typeof value === 'bigint') {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : value.toString();
  }
  if (value instanceof Uint8Array) {
    return { bytes: Buffer.from(value).toString('hex') };
  }
  if (value && value.type === 'Buffer' && Array.isArray(value.data)) {
    return { bytes: Buffer.from(value.data).toString('hex') };
  }
  return value;
}

// describe says what a binary value arrived as, in the peer's own types: a
// Uint8Array (node's Buffer is one) or something else.
export function describe(v) {
  if (v instanceof Uint8Array) {
    return { type: 'Uint8Array', hex: Buffer.from(v).toString('hex') };
  }
  return { type: v === null ? 'null' : typeof v, value: v };
}

export function fail(msg) {
  process.stderr.write(`interop peer: ${msg}\n`);
  process.exit(2);
}

// The process never outlives its deadline, whatever the peer library does.
const deadline = setTimeout(() => fail(`deadline of ${cfg.deadlineMs}ms passed`), cfg.deadlineMs);
deadline.unref();

// withTimeout rejects when p has not settled after ms.
export function withTimeout(p, ms, what) {
  let t;
  const timer = new Promise((_, reject) => {
    t = setTimeout(() => reject(new Error(`timeout after ${ms}ms: ${what}`)), ms);
  });
  return Promise.race([p, timer]).finally(() => clearTimeout(t));
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// stdinClosed resolves when the driver closes our stdin: the signal for a
// callee to leave.
export function stdinClosed() {
  return new Promise((resolve) => {
    process.stdin.on('data', () => {});
    process.stdin.on('end', resolve);
    process.stdin.on('close', resolve);
    process.stdin.resume();
  });
}

// proc names a procedure of this run.
export const proc = (name) => `${cfg.prefix}.${name}`;

// scenario runs one caller scenario and reports what it saw, or what threw.
export async function scenario(name, fn) {
  const started = Date.now();
  const report = { event: 'scenario', scenario: name };
  try {
    Object.assign(report, await withTimeout(fn(), 8000, name));
  } catch (e) {
    report.error = errorOf(e);
  }
  report.elapsed_ms = Date.now() - started;
  emit(report);
}

// errorOf normalizes what a library rejected with. Autobahn|JS rejects
// with autobahn.Error {error, args, kwargs}; wampy with a WampError
// subclass {errorUri, argsList, argsDict}; everything else is a local
// failure (reported with its name and message).
export function errorOf(e) {
  if (e && typeof e === 'object') {
    const uri = typeof e.errorUri === 'string' ? e.errorUri : e.error;
    if (typeof uri === 'string') {
      return {
        uri,
        args: e.args ?? e.argsList ?? [],
        kwargs: e.kwargs ?? e.argsDict ?? {},
      };
    }
    if (e.name && e.name !== 'Error') {
      return { local: `${e.name}: ${e.message}` };
    }
    return { local: String(e.message || e) };
  }
  return { local: String(e) };
}

// runRole runs the function of the configured role, reports done and exits;
// a failure is reported and exits non-zero.
export async function runRole(roles) {
  if (!roles[cfg.role]) {
    fail(`unknown role ${cfg.role}`);
  }
  try {
    await roles[cfg.role]();
    emit({ event: 'done' });
    process.exit(0);
  } catch (e) {
    fail(`${cfg.role}: ${e && e.stack ? e.stack : JSON.stringify(errorOf(e))}`);
  }
}

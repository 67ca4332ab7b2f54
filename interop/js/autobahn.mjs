// Autobahn|JS interop peer. WAMP_ROLE selects what it does:
//
//   caller  calls the wampkit callee's procedures (WAMP_PREFIX.add, ...) and
//           reports each scenario's outcome;
//   callee  registers the same procedures, reports "ready", reports each
//           invocation it serves, and leaves when stdin closes;
//   meta    calls wamp.registration.* on the reference router (WAMP_META
//           names the registrations) and remove_callee as the admin user.
//
// Autobahn|JS 26 uses the global WebSocket: run with node >= 22, or node 20
// with --experimental-websocket.
import autobahn from 'autobahn';
import { cfg, emit, fail, scenario, proc, stdinClosed, withTimeout, errorOf, sleep, runRole, describe } from './common.mjs';

if (typeof WebSocket === 'undefined') {
  fail('no global WebSocket: use node >= 22 or node --experimental-websocket');
}

function serializers() {
  const s = autobahn.serializer;
  const ctor = { json: s.JSONSerializer, msgpack: s.MsgpackSerializer, cbor: s.CBORSerializer }[cfg.serializer];
  if (!ctor) {
    fail(`serializer ${cfg.serializer} not available in Autobahn|JS`);
  }
  return [new ctor()];
}

// connect opens a session; extra adds Connection options (authentication).
// internal collects what Autobahn|JS reports as internal errors (protocol
// violations among them).
function connect(extra = {}) {
  const internal = [];
  return withTimeout(new Promise((resolve, reject) => {
    const conn = new autobahn.Connection({
      transports: [{ type: 'websocket', url: cfg.url, serializers: serializers() }],
      realm: cfg.realm,
      max_retries: 0,
      retry_if_unreachable: false,
      on_internal_error: (err) => internal.push(String(err?.error ?? err?.message ?? err)),
      ...extra,
    });
    conn.onopen = (session) => resolve({ conn, session, internal });
    conn.onclose = (reason, details) => {
      reject(new Error(`connection closed: ${reason} ${JSON.stringify(details)}`));
      return true; // no retries
    };
    conn.open();
  }), 5000, 'connect');
}

// payloadOf turns what Autobahn|JS resolves a call with back into
// {args, kwargs}: a Result for several args or any kwargs, else the single
// positional value (null for none).
function payloadOf(res) {
  if (res instanceof autobahn.Result) {
    return { args: res.args ?? [], kwargs: res.kwargs ?? {} };
  }
  if (res === null || res === undefined) {
    return { args: [], kwargs: {} };
  }
  return { args: [res], kwargs: {} };
}

// callp makes a call and collects its progressive results (when.js
// promises, Autobahn|JS's default, report progress to then's third
// callback). onProgress may cancel through the promise.
function callp(session, procedure, args, kwargs, options, onProgress) {
  const progress = [];
  return new Promise((resolve, reject) => {
    const p = session.call(procedure, args, kwargs, options);
    p.then(
      (res) => resolve({ result: payloadOf(res), progress }),
      (err) => reject(Object.assign(err, { progress })),
      (res) => {
        progress.push(payloadOf(res));
        if (onProgress) {
          onProgress(p, progress.length);
        }
      },
    );
  });
}

async function runCaller() {
  const { conn, session } = await connect();
  await scenario('add', async () => ({ result: payloadOf(await session.call(proc('add'), [2, 3])) }));
  await scenario('greet', async () => ({
    result: payloadOf(await session.call(proc('greet'), [], { name: 'Ada', greeting: 'Hello' })),
  }));
  await scenario('echo', async () => ({
    result: payloadOf(await session.call(proc('echo'), cfg.echo.args, cfg.echo.kwargs)),
  }));
  await scenario('invalid_argument', async () => ({ result: payloadOf(await session.call(proc('add'), ['x', 1])) }));
  await scenario('progress', async () => callp(session, proc('countdown'), [3], {}, { receive_progress: true }));
  await scenario('error', async () => ({ result: payloadOf(await session.call(proc('fail'), [])) }));
  await scenario('kwargs_only', async () => ({
    result: payloadOf(await session.call(proc('echo'), [], { name: 'Ada', n: 2 })),
  }));
  await scenario('error_kwargs_only', async () => ({ result: payloadOf(await session.call(proc('fail_kw'))) }));
  for (const [name, p] of [['binary', 'bytes'], ['binary_typed', 'bytes_typed']]) {
    await scenario(name, async () => {
      const result = payloadOf(await session.call(proc(p), [cfg.bytes]));
      return { result, seen: result.args.map(describe) };
    });
  }
  // Autobahn|JS has no way to send a progressive call invocation and does
  // not announce the feature (lib/session.js WAMP_FEATURES.caller).
  await scenario('progress_invocations', async () => ({
    unsupported: true,
    announced: Boolean(session._features?.caller?.progressive_call_invocations),
  }));
  // Autobahn|JS has no Payload Passthru Mode (lib/session.js WAMP_FEATURES
  // announces no payload_passthru_mode).
  await scenario('ppt', async () => ({
    unsupported: true,
    announced: Boolean(session._features?.caller?.payload_passthru_mode),
  }));
  // Session.call sends its options as CALL.Options: timeout in ms.
  await scenario('timeout', async () => ({
    result: payloadOf(await session.call(proc('hang'), ['timeout'], {}, { timeout: 500 })),
  }));
  // kill: the callee is interrupted and the caller waits for its answer.
  await scenario('cancel_kill', async () => cancel(session, 'kill'));
  await scenario('after_cancel', async () => ({ result: payloadOf(await session.call(proc('add'), [1, 1])) }));
  // killnowait on a session of its own: see the Go side's limitation list
  // for what Autobahn|JS does with the router's late ERROR.
  await scenario('cancel_killnowait', async () => {
    const own = await connect();
    const out = await cancel(own.session, 'killnowait').catch((e) => ({ error: errorOf(e) }));
    await sleep(300);
    out.session_open_after = own.session.isOpen;
    out.internal_errors = own.internal;
    // Autobahn|JS builds its protocol-violation error with its own Error
    // function called without new (session.js _protocol_violation): the
    // handler gets undefined and the text lands on globalThis.error.
    out.global_error = typeof globalThis.error === 'string' ? globalThis.error : null;
    if (own.session.isOpen) {
      own.conn.close();
    }
    return out;
  });
  conn.close();
}

// cancel calls hang with receive_progress and cancels with mode on its
// first progressive result (sent once the handler runs).
async function cancel(session, mode) {
  let canceled = false;
  return callp(session, proc('hang'), [mode], {}, { receive_progress: true }, (p) => {
    if (!canceled) {
      canceled = true;
      p.cancel({ mode });
    }
  });
}

async function runCallee() {
  const { conn, session } = await connect();
  await session.register(proc('add'), (args) => args[0] + args[1]);
  await session.register(proc('greet'), (args, kwargs) => `${kwargs.greeting ?? 'Hello'}, ${kwargs.name}!`);
  await session.register(proc('echo'), (args, kwargs) => new autobahn.Result(args, kwargs));
  await session.register(proc('countdown'), async (args, kwargs, details) => {
    emit({ event: 'invocation', procedure: 'countdown', receive_progress: details.progress !== null });
    for (let i = args[0]; i > 0; i--) {
      if (details.progress) {
        details.progress([i]);
      }
      await sleep(5);
    }
    return 'liftoff';
  });
  await session.register(proc('fail'), () => {
    throw new autobahn.Error('com.example.error.custom', ['custom failure', 42], { code: 7, detail: 'x' });
  });
  await session.register(proc('fail_kw'), () => {
    throw new autobahn.Error('com.example.error.custom', [], { code: 7, detail: 'x' });
  });
  await session.register(proc('bytes'), (args) => {
    const seen = describe(args[0]);
    emit({ event: 'invocation', procedure: 'bytes', seen });
    return new autobahn.Result([args[0], seen.type]);
  });
  await session.register(proc('sum'), (args, kwargs, details) => {
    emit({ event: 'invocation', procedure: 'sum', args, progress: details.progress !== null });
    return args.reduce((a, b) => a + b, 0);
  });
  await session.register(proc('hang'), async () => {
    emit({ event: 'invocation', procedure: 'hang' });
    await sleep(1500);
    emit({ event: 'returned', procedure: 'hang' });
    return 'too late';
  });
  emit({ event: 'ready', session: session.id });
  await stdinClosed();
  emit({ event: 'final', session_open: session.isOpen });
  conn.close();
}

// runMeta reports what the registration meta API tells Autobahn|JS about
// the registrations in WAMP_META, then removes one callee as the admin.
async function runMeta() {
  const m = cfg.meta;
  const { conn, session } = await connect();
  const call = async (uri, args) => payloadOf(await session.call(uri, args)).args[0] ?? null;
  await scenario('list', async () => ({ value: await call('wamp.registration.list', []) }));
  const ids = {};
  for (const [kind, uri] of Object.entries(m.lookup)) {
    await scenario(`lookup_${kind}`, async () => {
      const opts = kind === 'exact' || kind === 'shared' ? {} : { match: kind };
      ids[kind] = await call('wamp.registration.lookup', [uri, opts]);
      return { value: ids[kind] };
    });
  }
  for (const [name, uri] of Object.entries(m.match)) {
    await scenario(`match_${name}`, async () => ({ value: await call('wamp.registration.match', [uri]) }));
  }
  for (const [kind, id] of Object.entries(ids)) {
    await scenario(`get_${kind}`, async () => ({ value: await call('wamp.registration.get', [id]) }));
    await scenario(`list_callees_${kind}`, async () => ({ value: await call('wamp.registration.list_callees', [id]) }));
    await scenario(`count_callees_${kind}`, async () => ({ value: await call('wamp.registration.count_callees', [id]) }));
  }
  const target = [ids.shared, m.remove_session, 'com.example.interop.removed'];
  await scenario('remove_callee_anonymous', async () => ({ value: await call('wamp.registration.remove_callee', target) }));
  const admin = await connect({
    authmethods: ['ticket'],
    authid: cfg.adminAuthID,
    onchallenge: (session, method) => {
      if (method !== 'ticket') {
        throw new Error(`unexpected challenge ${method}`);
      }
      return cfg.adminTicket;
    },
  });
  await scenario('remove_callee_admin', async () => ({
    value: payloadOf(await admin.session.call('wamp.registration.remove_callee', target)).args[0] ?? null,
  }));
  await scenario('count_callees_shared_after', async () => ({
    value: await call('wamp.registration.count_callees', [ids.shared]),
  }));
  admin.conn.close();
  conn.close();
}

await runRole({ caller: runCaller, callee: runCallee, meta: runMeta });

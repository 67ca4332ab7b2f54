// wampy interop peer. WAMP_ROLE selects what it does:
//
//   caller  calls the wampkit callee's procedures (WAMP_PREFIX.add, ...) and
//           reports each scenario's outcome;
//   callee  registers the same procedures, reports "ready", reports each
//           invocation it serves, and leaves when stdin closes.
//
// On node, wampy needs a W3C WebSocket class: the README's choice, the
// websocket package's w3cwebsocket.
import { Wampy } from 'wampy';
import { JsonSerializer } from 'wampy/JsonSerializer.js';
import { MsgpackSerializer } from 'wampy/MsgpackSerializer.js';
import { CborSerializer } from 'wampy/CborSerializer.js';
import websocket from 'websocket';
import { cfg, emit, fail, scenario, proc, stdinClosed, withTimeout, errorOf, sleep, runRole, describe } from './common.mjs';

function serializer() {
  const ctor = { json: JsonSerializer, msgpack: MsgpackSerializer, cbor: CborSerializer }[cfg.serializer];
  if (!ctor) {
    fail(`serializer ${cfg.serializer} not available in wampy`);
  }
  return new ctor();
}

async function connect() {
  const w = new Wampy(cfg.url, {
    realm: cfg.realm,
    ws: websocket.w3cwebsocket,
    serializer: serializer(),
    // PPT payloads: wampy knows only json by default, whose encoder gives
    // a string, not bytes; msgpack gives bytes.
    payloadSerializers: { json: new JsonSerializer(), msgpack: new MsgpackSerializer() },
    autoReconnect: false,
    onError: (e) => emit({ event: 'library_error', error: errorOf(e) }),
  });
  await withTimeout(w.connect(), 5000, 'connect');
  return w;
}

// payloadOf is wampy's call result as {args, kwargs}.
const payloadOf = (r) => ({ args: r?.argsList ?? [], kwargs: r?.argsDict ?? {} });

// callp calls with a progress callback and collects the progressive
// results. onProgress gets the request ID (to cancel) and the count.
async function callp(w, procedure, payload, onProgress) {
  const progress = [];
  let reqId = 0;
  const p = w.call(procedure, payload, {
    progress_callback: (r) => {
      progress.push(payloadOf(r));
      if (onProgress) {
        onProgress(reqId, progress.length);
      }
    },
  });
  // call() sends synchronously: opStatus names the request it just made.
  reqId = w.getOpStatus().reqId;
  try {
    return { result: payloadOf(await p), progress };
  } catch (e) {
    throw Object.assign(e, { progress });
  }
}

async function runCaller() {
  const w = await connect();
  await scenario('add', async () => ({ result: payloadOf(await w.call(proc('add'), [2, 3])) }));
  await scenario('greet', async () => ({
    result: payloadOf(await w.call(proc('greet'), { name: 'Ada', greeting: 'Hello' })),
  }));
  await scenario('echo', async () => ({
    result: payloadOf(await w.call(proc('echo'), { argsList: cfg.echo.args, argsDict: cfg.echo.kwargs })),
  }));
  await scenario('invalid_argument', async () => ({ result: payloadOf(await w.call(proc('add'), ['x', 1])) }));
  await scenario('progress', async () => callp(w, proc('countdown'), [3]));
  await scenario('error', async () => ({ result: payloadOf(await w.call(proc('fail'))) }));
  await scenario('kwargs_only', async () => ({ result: payloadOf(await w.call(proc('echo'), { name: 'Ada', n: 2 })) }));
  await scenario('error_kwargs_only', async () => ({ result: payloadOf(await w.call(proc('fail_kw'))) }));
  for (const [name, p] of [['binary', 'bytes'], ['binary_typed', 'bytes_typed']]) {
    await scenario(name, async () => {
      const result = payloadOf(await w.call(proc(p), [cfg.bytes]));
      return { result, seen: result.args.map(describe) };
    });
  }
  await scenario('timeout', async () => ({
    result: payloadOf(await w.call(proc('hang'), ['timeout'], { timeout: 500 })),
  }));
  // Payload Passthru Mode: wampy packs {args, kwargs} with its msgpack
  // payload serializer into the only argument (ppt_scheme mqtt).
  await scenario('ppt', async () => ({
    result: payloadOf(await w.call(proc('ppt'), { argsList: [1, 'x'], argsDict: { k: 'v' } },
      { ppt_scheme: 'mqtt', ppt_serializer: 'msgpack' })),
  }));
  for (const mode of ['kill', 'killnowait']) {
    await scenario(`cancel_${mode}`, async () => {
      let canceled = false;
      return callp(w, proc('hang'), [mode], (reqId) => {
        if (!canceled) {
          canceled = true;
          w.cancel(reqId, { mode });
        }
      });
    });
  }
  await scenario('after_cancel', async () => ({ result: payloadOf(await w.call(proc('add'), [1, 1])) }));
  // progressiveCall: the first chunk with the CALL, then sendData; the last
  // chunk with progress false. On a session of its own, and the other
  // chunks only if the router did not close that session within 300 ms of
  // the first: see the Go side's limitation list for what nexus does.
  await scenario('progress_invocations', async () => {
    const own = await connect();
    const pc = own.progressiveCall(proc('sum'), [1]);
    const result = pc.result.then(payloadOf);
    await sleep(300);
    if (!own.getSessionId()) {
      const r = await withTimeout(result, 1000, 'call on a closed session').then(
        (res) => ({ result: res }),
        (e) => ({ error: errorOf(e) }),
      );
      return { ...r, session_closed: true };
    }
    pc.sendData([2]);
    pc.sendData([3]);
    pc.sendData([4], { progress: false });
    const out = { result: await result };
    await own.disconnect();
    return out;
  });
  await w.disconnect();
}

async function runCallee() {
  const w = await connect();
  await w.register(proc('add'), ({ argsList }) => argsList[0] + argsList[1]);
  await w.register(proc('greet'), ({ argsDict }) => `${argsDict.greeting ?? 'Hello'}, ${argsDict.name}!`);
  await w.register(proc('echo'), ({ argsList, argsDict }) => ({ argsList: argsList ?? [], argsDict: argsDict ?? {} }));
  await w.register(proc('countdown'), async ({ argsList, details, result_handler }) => {
    const wantsProgress = Boolean(details?.receive_progress);
    emit({ event: 'invocation', procedure: 'countdown', receive_progress: wantsProgress });
    for (let i = argsList[0]; i > 0; i--) {
      if (wantsProgress) {
        result_handler({ argsList: [i], options: { progress: true } });
      }
      await sleep(5);
    }
    return 'liftoff';
  });
  await w.register(proc('fail'), () => {
    // wampy's documented way: throw an object with error, argsList, argsDict.
    throw { error: 'com.example.error.custom', argsList: ['custom failure', 42], argsDict: { code: 7, detail: 'x' } };
  });
  await w.register(proc('fail_kw'), () => {
    throw { error: 'com.example.error.custom', argsDict: { code: 7, detail: 'x' } };
  });
  await w.register(proc('bytes'), ({ argsList }) => {
    const seen = describe(argsList?.[0]);
    emit({ event: 'invocation', procedure: 'bytes', seen });
    return { argsList: [argsList?.[0], seen.type] };
  });
  await w.register(proc('sum'), ({ argsList, details }) => {
    emit({ event: 'invocation', procedure: 'sum', args: argsList ?? [], progress: Boolean(details?.progress) });
    return (argsList ?? []).reduce((a, b) => a + b, 0);
  });
  await w.register(proc('hang'), async () => {
    emit({ event: 'invocation', procedure: 'hang' });
    await sleep(1500);
    emit({ event: 'returned', procedure: 'hang' });
    return 'too late';
  });
  emit({ event: 'ready', session: w.getSessionId() });
  await stdinClosed();
  emit({ event: 'final', session_open: Boolean(w.getSessionId()) });
  await w.disconnect();
}

await runRole({ caller: runCaller, callee: runCallee });

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
import { cfg, emit, fail, scenario, proc, stdinClosed, withTimeout, errorOf, sleep, runRole } from './common.mjs';

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

# Autobahn|Python interop peer (Debian's python3-autobahn, asyncio flavour).
# Configured like the node peers in ../js/ by WAMP_* environment variables;
# WAMP_ROLE selects what it does:
#
#   caller  calls the wampkit callee's procedures (WAMP_PREFIX.add, ...) and
#           reports each scenario's outcome;
#   callee  registers the same procedures, reports "ready", reports each
#           invocation it serves, and leaves when stdin closes.
#
# It reports observations as JSON lines on stdout; the Go side (interop
# package) holds the expectations and decides. Run with /usr/bin/python3.
import asyncio
import json
import os
import sys
import time
from urllib.parse import urlparse

import txaio

txaio.use_asyncio()

from autobahn.asyncio.wamp import ApplicationSession  # noqa: E402
from autobahn.asyncio.websocket import WampWebSocketClientFactory  # noqa: E402
from autobahn.wamp import serializer as serializers  # noqa: E402
from autobahn.wamp.exception import ApplicationError  # noqa: E402
from autobahn.wamp.types import CallOptions, CallResult, ComponentConfig, EncodedPayload, RegisterOptions  # noqa: E402


def must(name):
    v = os.environ.get(name)
    if not v:
        fail("missing environment variable " + name)
    return v


def fail(msg):
    sys.stderr.write("interop peer: %s\n" % msg)
    sys.stderr.flush()
    os._exit(2)


CFG = {
    "url": must("WAMP_URL"),
    "realm": os.environ.get("WAMP_REALM", "realm1"),
    "serializer": os.environ.get("WAMP_SERIALIZER", "json"),
    "role": must("WAMP_ROLE"),
    "prefix": os.environ.get("WAMP_PREFIX", "interop"),
    "echo": json.loads(os.environ.get("WAMP_ECHO", '{"args":[],"kwargs":{}}')),
    "bytes": bytes.fromhex(os.environ.get("WAMP_BYTES", "")),
    "deadline": int(os.environ.get("WAMP_DEADLINE_MS", "30000")) / 1000.0,
}


def proc(name):
    return CFG["prefix"] + "." + name


def plain(v):
    """A JSON-safe copy of v: bytes become {"bytes": hex}."""
    if isinstance(v, (bytes, bytearray)):
        return {"bytes": bytes(v).hex()}
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return v


def emit(obj):
    sys.stdout.write(json.dumps(plain(obj)) + "\n")
    sys.stdout.flush()


def describe(v):
    """What a binary value arrived as, in the peer's own types."""
    if isinstance(v, bytes):
        return {"type": "bytes", "hex": v.hex()}
    return {"type": type(v).__name__, "value": plain(v)}


def payload_of(res):
    """A call's result as {args, kwargs} (Autobahn gives the single
    positional value, a CallResult for several or any kwargs, None for
    none)."""
    if isinstance(res, CallResult):
        return {"args": list(res.results or []), "kwargs": dict(res.kwresults or {})}
    if res is None:
        return {"args": [], "kwargs": {}}
    return {"args": [res], "kwargs": {}}


def error_of(e):
    if isinstance(e, ApplicationError):
        return {"uri": e.error, "args": list(e.args or []), "kwargs": dict(e.kwargs or {})}
    return {"local": "%s: %s" % (type(e).__name__, e)}


async def scenario(name, fn):
    started = time.monotonic()
    report = {"event": "scenario", "scenario": name}
    try:
        report.update(await asyncio.wait_for(fn(), 8))
    except asyncio.CancelledError as e:
        # A canceled call's future: Autobahn resolves it locally.
        report["error"] = {"local": "CancelledError: %s" % e}
    except BaseException as e:  # noqa: B902 - every failure is an observation
        report["error"] = error_of(e)
    report["elapsed_ms"] = int((time.monotonic() - started) * 1000)
    emit(report)


SERIALIZERS = {
    "json": serializers.JsonSerializer,
    "msgpack": serializers.MsgPackSerializer,
    "cbor": serializers.CBORSerializer,
}


async def connect():
    loop = asyncio.get_running_loop()
    joined = loop.create_future()
    left = loop.create_future()

    class Session(ApplicationSession):
        def onJoin(self, details):
            if not joined.done():
                joined.set_result(self)

        def onLeave(self, details):
            if not joined.done():
                joined.set_exception(RuntimeError("left before joining: %s" % details.reason))
            self.disconnect()

        def onDisconnect(self):
            if not joined.done():
                joined.set_exception(RuntimeError("disconnected before joining"))
            if not left.done():
                left.set_result(True)

    ser = SERIALIZERS.get(CFG["serializer"])
    if ser is None:
        fail("serializer %s not available in Autobahn|Python" % CFG["serializer"])
    u = urlparse(CFG["url"])
    factory = WampWebSocketClientFactory(lambda: Session(ComponentConfig(realm=CFG["realm"])),
                                         url=CFG["url"], serializers=[ser()])
    await asyncio.wait_for(loop.create_connection(factory, u.hostname, u.port), 5)
    session = await asyncio.wait_for(joined, 5)
    session.left = left
    return session


def announced(session, role, feature):
    """Whether this Autobahn|Python announces feature for role in its HELLO
    (the roles it sends are ApplicationSession._session_roles)."""
    r = session._session_roles.get(role)
    return bool(r is not None and getattr(r, feature, None))


async def call_progress(session, procedure, args, on_progress=None, **kwargs):
    progress = []

    def got(*a, **kw):
        progress.append({"args": list(a), "kwargs": kw})
        if on_progress:
            on_progress(len(progress))

    res = await session.call(procedure, *args, options=CallOptions(on_progress=got), **kwargs)
    return {"result": payload_of(res), "progress": progress}


async def cancel(session, mode):
    """Calls hang with receive_progress and cancels on its first progressive
    result. Autobahn|Python cancels by canceling the call's future, which
    sends CANCEL without a mode (mode is reported for the record)."""
    loop = asyncio.get_running_loop()
    holder = {}

    def on_progress(n):
        if n == 1:
            loop.call_soon(holder["f"].cancel)

    progress = []

    def got(*a, **kw):
        progress.append({"args": list(a), "kwargs": kw})
        on_progress(len(progress))

    f = session.call(proc("hang"), mode, options=CallOptions(on_progress=got))
    holder["f"] = f
    out = {"mode": mode, "progress": progress}
    try:
        out["result"] = payload_of(await f)
    except asyncio.CancelledError:
        out["error"] = {"local": "CancelledError"}
    except BaseException as e:  # noqa: B902
        out["error"] = error_of(e)
    # What the router's late answer to the CANCEL does to the session.
    await asyncio.sleep(0.3)
    out["session_open_after"] = session.is_attached()
    return out


PPT = {"args": [1, "x"], "kwargs": {"k": "v"}}


class PassthruCodec:
    """A payload codec (autobahn.wamp.interfaces.IPayloadCodec) for
    enc_algo mqtt with a msgpack-serialized {args, kwargs}."""

    def encode(self, is_originating, uri, args=None, kwargs=None):
        import msgpack
        return EncodedPayload(msgpack.packb({"args": list(args or []), "kwargs": kwargs or {}}), "mqtt", "msgpack")

    def decode(self, is_originating, uri, encoded_payload):
        import msgpack
        d = msgpack.unpackb(encoded_payload.payload)
        return uri, d.get("args"), d.get("kwargs")


async def run_caller():
    s = await connect()
    echo = CFG["echo"]
    b = CFG["bytes"]

    async def call(procedure_name, *args, **kwargs):
        return {"result": payload_of(await s.call(proc(procedure_name), *args, **kwargs))}

    await scenario("add", lambda: call("add", 2, 3))
    await scenario("greet", lambda: call("greet", name="Ada", greeting="Hello"))
    await scenario("echo", lambda: call("echo", *echo["args"], **echo["kwargs"]))
    await scenario("invalid_argument", lambda: call("add", "x", 1))
    await scenario("progress", lambda: call_progress(s, proc("countdown"), [3]))
    await scenario("error", lambda: call("fail"))
    await scenario("kwargs_only", lambda: call("echo", name="Ada", n=2))
    await scenario("error_kwargs_only", lambda: call("fail_kw"))

    async def binary(procedure_name):
        res = payload_of(await s.call(proc(procedure_name), b))
        return {"result": res, "seen": [describe(v) for v in res["args"]]}

    await scenario("binary", lambda: binary("bytes"))
    await scenario("binary_typed", lambda: binary("bytes_typed"))

    async def progress_invocations():
        # Autobahn|Python 22.7.1 has no way to send a progressive call
        # invocation: CallOptions has no progress option and its CALL
        # message no progress attribute.
        return {"unsupported": True,
                "announced": announced(s, "caller", "progressive_call_invocations")}

    await scenario("progress_invocations", progress_invocations)

    async def timeout():
        # CallOptions.timeout goes to CALL.Options.timeout as given; the
        # spec reads it in milliseconds.
        return {"result": payload_of(await s.call(proc("hang"), "timeout", options=CallOptions(timeout=500)))}

    await scenario("timeout", timeout)

    async def ppt():
        # Autobahn|Python's payload transparency (a payload codec): the
        # codec serializes {args, kwargs} itself, which Autobahn sends as
        # the bare Arguments element with enc_algo/enc_serializer options.
        # On a session of its own: a strict router may drop it.
        own = await connect()
        own.set_payload_codec(PassthruCodec())
        try:
            res = await asyncio.wait_for(own.call(proc("ppt"), *PPT["args"], **PPT["kwargs"]), 3)
            return {"result": payload_of(res), "announced": announced(own, "caller", "payload_passthru_mode")}
        finally:
            if own.is_attached():
                own.leave()

    await scenario("ppt", ppt)
    await scenario("cancel_kill", lambda: cancel(s, "kill"))
    await scenario("after_cancel", lambda: call("add", 1, 1))
    own = await connect()
    await scenario("cancel_killnowait", lambda: cancel(own, "killnowait"))
    if own.is_attached():
        own.leave()
    s.leave()
    await asyncio.wait_for(s.left, 3)


async def stdin_closed():
    loop = asyncio.get_running_loop()
    done = loop.create_future()

    def readable():
        if not os.read(sys.stdin.fileno(), 4096) and not done.done():
            done.set_result(True)

    loop.add_reader(sys.stdin.fileno(), readable)
    await done
    loop.remove_reader(sys.stdin.fileno())


async def run_callee():
    s = await connect()
    with_details = RegisterOptions(details_arg="details")

    def add(a, b):
        return a + b

    def greet(name=None, greeting="Hello"):
        return "%s, %s!" % (greeting, name)

    def echo(*args, **kwargs):
        return CallResult(*args, **kwargs)

    async def countdown(n, details=None):
        wants = details is not None and details.progress is not None
        emit({"event": "invocation", "procedure": "countdown", "receive_progress": wants})
        for i in range(n, 0, -1):
            if wants:
                details.progress(i)
            await asyncio.sleep(0.005)
        return "liftoff"

    def fail_():
        raise ApplicationError("com.example.error.custom", "custom failure", 42, code=7, detail="x")

    def fail_kw():
        raise ApplicationError("com.example.error.custom", code=7, detail="x")

    def bytes_(v):
        seen = describe(v)
        emit({"event": "invocation", "procedure": "bytes", "seen": seen})
        return CallResult(v, seen["type"])

    def sum_(*args, details=None):
        emit({"event": "invocation", "procedure": "sum", "args": list(args)})
        return sum(args)

    async def hang(*args, details=None):
        emit({"event": "invocation", "procedure": "hang"})
        try:
            await asyncio.sleep(1.5)
        except asyncio.CancelledError:
            emit({"event": "interrupted", "procedure": "hang"})
            raise
        emit({"event": "returned", "procedure": "hang"})
        return "too late"

    for name, fn, opts in [
        ("add", add, None), ("greet", greet, None), ("echo", echo, None),
        ("countdown", countdown, with_details), ("fail", fail_, None), ("fail_kw", fail_kw, None),
        ("bytes", bytes_, None), ("sum", sum_, with_details), ("hang", hang, with_details),
    ]:
        await s.register(fn, proc(name), options=opts)
    emit({"event": "ready", "session": s._session_id})
    await stdin_closed()
    emit({"event": "final", "session_open": s.is_attached()})
    s.leave()
    await asyncio.wait_for(s.left, 3)


async def main():
    role = {"caller": run_caller, "callee": run_callee}.get(CFG["role"])
    if role is None:
        fail("unknown role %s" % CFG["role"])
    try:
        await asyncio.wait_for(role(), CFG["deadline"])
    except BaseException as e:  # noqa: B902
        fail("%s: %s: %s" % (CFG["role"], type(e).__name__, e))
    emit({"event": "done"})


asyncio.run(main())

// The specmock driver protocol around any promise-returning Node client (docs/driver-protocol.md).
//
// A driver script imports this module, says how to make a client and how to call it, and the
// consumer contract suite does the rest over stdin/stdout:
//
//   const { serveDriver } = await import(process.env.SPECMOCK_DRIVER_KIT);
//   serveDriver({ make: (config) => new MyClient(config), call: (client, op, args) => client.get(args.path) });
//
// Time is virtual. setTimeout, clearTimeout, setInterval, clearInterval and Date are replaced by
// @sinonjs/fake-timers (installed next to the driver script: `npm install -D @sinonjs/fake-timers`).
// When the client waits on a timer it started itself and has no request in flight, the wait is
// reported to the suite (`{"id", "sleep": seconds}`) and the timer fires when the suite answers
// `{"op": "resume", "now": ...}`, so a 30 s backoff costs no real time. Between steps the clock
// jumps to the suite's `now`. Node ≥ 18, plain ESM, no build step.

import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { setImmediate as realSetImmediate } from 'node:timers';
import { pathToFileURL } from 'node:url';

export const PROTOCOL = 1;

const FAKED = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'];
const NULL_BODY = new Set([101, 204, 205, 304]);

function loadFakeTimers() {
  const bases = [];
  if (process.argv[1]) bases.push(pathToFileURL(process.argv[1]).href);
  bases.push(pathToFileURL(`${process.cwd()}/`).href, import.meta.url);
  for (const base of bases) {
    try {
      return createRequire(base)('@sinonjs/fake-timers');
    } catch (error) {
      if (error?.code !== 'MODULE_NOT_FOUND') throw error;
    }
  }
  throw new Error(
    'specmock driver kit: @sinonjs/fake-timers not found next to the driver script or in the working ' +
      'directory; install it there with `npm install --save-dev @sinonjs/fake-timers`',
  );
}

/** A seeded generator of floats in [0, 1) (mulberry32): the same seed gives the same jitter. */
export function seededRandom(seed) {
  let state = Number(seed) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function plain(value) {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

function describeError(error, errorTypes) {
  const fields = {};
  if (error !== null && typeof error === 'object') {
    for (const [key, value] of Object.entries(error)) {
      try {
        fields[key] = plain(value);
      } catch {
        fields[key] = String(value);
      }
    }
  }
  return {
    class: error?.constructor?.name ?? typeof error,
    typed: errorTypes.some((type) => error instanceof type),
    message: String(error?.message ?? error),
    fields,
  };
}

/**
 * Serve the driver protocol on stdin/stdout until stdin closes.
 *
 * make(config)               a new client; config has the suite's keys (api_base, auth_base, tenant,
 *                            client_id, client_secret, ..., max_attempts, seed when given) plus
 *                            `random`, a seeded generator when the suite sent a seed.
 * call(client, op, args)     one operation ("get" with {path}, "execute" with {query, variables});
 *                            resolves to the JSON result.
 * list(client, args)         every item of a collection ({path, params}), as an array.
 * close(client)              optional.
 * errorTypes                 the client's own error classes; any other thrown value is "untyped".
 */
export function serveDriver({ make, call, list, close, errorTypes = [], input = process.stdin, output = process.stdout }) {
  const FakeTimers = loadFakeTimers();
  // The protocol owns stdout: a client's console.log goes to stderr instead.
  console.log = console.info = console.debug = console.error;
  const send = (message) => output.write(`${JSON.stringify(message)}\n`);

  const clock = FakeTimers.install({ now: 0, toFake: FAKED });
  const fakeSetTimeout = globalThis.setTimeout;
  const fakeClearTimeout = globalThis.clearTimeout;
  const realFetch = globalThis.fetch;

  const clients = new Map();
  let nextClient = 1;
  let step = null; // {id, waiting: due ms or null, timers: Map(timer -> due ms), settled}
  let inFlight = 0;

  globalThis.setTimeout = function setTimeout(callback, delay, ...args) {
    const current = step;
    let timer;
    const fire = (...values) => {
      current?.timers.delete(timer);
      return typeof callback === 'function' ? callback(...values) : undefined;
    };
    timer = fakeSetTimeout(fire, delay, ...args);
    // Only the client's own waits count: not timers an HTTP stack starts while a request is in
    // flight, nor unref'ed housekeeping timers.
    if (current && !current.settled && inFlight === 0) {
      current.timers.set(timer, clock.now + Math.max(0, Number(delay) || 0));
      const unref = timer.unref;
      timer.unref = function () {
        current.timers.delete(timer);
        return unref ? unref.call(this) : this;
      };
      checkSoon();
    }
    return timer;
  };
  globalThis.clearTimeout = function clearTimeout(timer) {
    step?.timers.delete(timer);
    return fakeClearTimeout(timer);
  };

  if (typeof realFetch === 'function') {
    // The whole exchange, body included, counts as "in flight"; the client gets the body buffered.
    globalThis.fetch = async function fetch(...args) {
      inFlight += 1;
      try {
        const response = await realFetch(...args);
        const body = NULL_BODY.has(response.status) ? null : await response.arrayBuffer();
        const copy = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
        Object.defineProperty(copy, 'url', { value: response.url });
        Object.defineProperty(copy, 'redirected', { value: response.redirected });
        return copy;
      } finally {
        inFlight -= 1;
        checkSoon();
      }
    };
  }

  function checkSoon() {
    const current = step;
    if (!current || current.settled || current.checking) return;
    current.checking = true;
    // Two turns of the real event loop: every promise reaction the client queued has run.
    realSetImmediate(() =>
      realSetImmediate(() => {
        current.checking = false;
        if (step !== current || current.settled || current.waiting !== null || inFlight > 0) return;
        if (current.timers.size === 0) return;
        const due = Math.min(...current.timers.values());
        current.waiting = due;
        send({ id: current.id, sleep: Math.max(0, due - clock.now) / 1000 });
      }),
    );
  }

  function setNow(seconds) {
    if (typeof seconds === 'number' && Number.isFinite(seconds)) clock.setSystemTime(seconds * 1000);
  }

  function resume(message) {
    const current = step;
    if (!current || current.id !== message.id || current.waiting === null) {
      send({ id: message.id ?? null, driver_error: `resume for step ${message.id} which is not waiting` });
      return;
    }
    const due = current.waiting;
    current.waiting = null;
    const target = typeof message.now === 'number' ? message.now * 1000 : due;
    clock.tick(Math.max(0, Math.max(target, due) - clock.now));
    checkSoon();
  }

  function abort(message) {
    const current = step;
    if (!current || current.id !== message.id) {
      send({ id: message.id ?? null, driver_error: `abort for step ${message.id} which is not running` });
      return;
    }
    current.settled = true;
    for (const timer of current.timers.keys()) fakeClearTimeout(timer);
    step = null;
    send({ id: current.id, aborted: true });
  }

  function run(message, work) {
    const current = { id: message.id, waiting: null, timers: new Map(), settled: false, checking: false };
    step = current;
    setNow(message.now);
    const finish = (reply) => {
      if (current.settled) return;
      current.settled = true;
      for (const timer of current.timers.keys()) fakeClearTimeout(timer);
      if (step === current) step = null;
      send({ id: current.id, ...reply });
    };
    Promise.resolve()
      .then(work)
      .then(
        (value) => {
          let result;
          try {
            result = plain(value);
          } catch (error) {
            finish({ driver_error: `the result is not JSON: ${error.message}` });
            return;
          }
          finish({ result });
        },
        (error) => finish({ error: describeError(error, errorTypes) }),
      );
    checkSoon();
  }

  function client(message) {
    const found = clients.get(message.client);
    if (found === undefined) throw new Error(`no client ${message.client}`);
    return found;
  }

  async function makeClient(message) {
    const config = { ...(message.config ?? {}) };
    if (config.seed !== undefined && config.seed !== null) config.random = seededRandom(config.seed);
    setNow(message.now);
    const made = await make(config);
    const handle = `c${nextClient++}`;
    clients.set(handle, made);
    return handle;
  }

  function handle(message) {
    const { id, op } = message;
    const fail = (error) => send({ id, driver_error: `${op}: ${error?.stack ?? error}` });
    switch (op) {
      case 'hello':
        send({ id, result: { protocol: PROTOCOL, kit: 'node' } });
        return;
      case 'make':
        makeClient(message).then((handle) => send({ id, result: { client: handle } }), fail);
        return;
      case 'call':
      case 'list': {
        let target;
        try {
          target = client(message);
        } catch (error) {
          fail(error);
          return;
        }
        if (op === 'list' && typeof list !== 'function') {
          fail(new Error('the driver has no list()'));
          return;
        }
        run(message, () => (op === 'call' ? call(target, message.operation, message.args ?? {}) : list(target, message.args ?? {})));
        return;
      }
      case 'resume':
        resume(message);
        return;
      case 'abort':
        abort(message);
        return;
      case 'close': {
        const made = clients.get(message.client);
        clients.delete(message.client);
        Promise.resolve()
          .then(() => (made !== undefined && typeof close === 'function' ? close(made) : undefined))
          .then(() => send({ id, result: null }), fail);
        return;
      }
      default:
        send({ id: id ?? null, driver_error: `unknown op ${JSON.stringify(op)}` });
    }
  }

  const lines = createInterface({ input, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (!line.trim()) return;
    let message;
    try {
      message = JSON.parse(line);
    } catch {
      send({ id: null, driver_error: `not JSON: ${line.slice(0, 200)}` });
      return;
    }
    handle(message);
  });
  lines.on('close', () => {
    clock.uninstall();
    process.exit(0);
  });
}

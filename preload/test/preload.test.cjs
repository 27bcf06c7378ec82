// Tests of the ecosystemd preload, without systemd: the test holds a listening socket
// as systemd would and passes it to a child node process as fd 3, with LISTEN_PID set
// by the shell that execs node (so it is the child's own pid). The test keeps its copy
// open, so a listen() that does not take the inherited socket fails with EADDRINUSE.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');

const PRELOAD = path.join(__dirname, '..', 'ecosystemd.cjs');

/** A listening socket on a free loopback port, as systemd would hold it. */
async function heldSocket() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '0.0.0.0', resolve));
  return { server, port: server.address().port, fd: server._handle.fd };
}

/**
 * Runs `code` in node with the preload and the socket `held` as fd 3; resolves with
 * { code, stdout, stderr } once the child exits (or is killed after 10 s).
 */
function run(code, held, env = {}, { onSpawn, pid = '$$' } = {}) {
  const script = `LISTEN_PID=${pid} exec "${process.execPath}" --require "${PRELOAD}" -e "$CODE"`;
  const child = spawn('/bin/sh', ['-c', script], {
    stdio: ['ignore', 'pipe', 'pipe', held ? held.fd : 'ignore'],
    env: {
      PATH: process.env.PATH,
      CODE: code,
      LISTEN_FDS: held ? '1' : '0',
      LISTEN_FDNAMES: held ? `port-${held.port}` : '',
      ...env,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => { stdout += chunk; });
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
  if (onSpawn) onSpawn(child, () => stdout);
  return new Promise((resolve) => {
    child.on('exit', (exitCode) => {
      clearTimeout(timer);
      resolve({ code: exitCode, stdout, stderr });
    });
  });
}

/** Child code: listen with `call` (a string using PORT), print the port, exit. */
function listening(call, create = "require('net').createServer()") {
  return `const PORT = Number(process.env.APP_PORT);
const server = ${create};
server.on('error', (e) => { console.log('error ' + e.code); process.exit(1); });
server.on('listening', () => {
  console.log('port ' + server.address().port + ' fds ' + process.env.LISTEN_FDS);
  process.exit(0);
});
${call};`;
}

for (const [form, call, create] of [
  ['listen(port)', 'server.listen(PORT)'],
  ['listen(port, cb)', 'server.listen(PORT, () => {})'],
  ['listen(port, host, cb)', "server.listen(PORT, '0.0.0.0', () => {})"],
  ['listen(string port)', 'server.listen(String(PORT))'],
  ['listen({ port })', 'server.listen({ port: PORT })'],
  ['listen({ port, host: "::" })', "server.listen({ port: PORT, host: '::' })"],
  ['http.Server listen(port, cb)', 'server.listen(PORT, () => {})', "require('http').createServer()"],
]) {
  test(`${form} takes the inherited socket and hides LISTEN_*`, async () => {
    const held = await heldSocket();
    try {
      const result = await run(listening(call, create), held, { APP_PORT: String(held.port) });
      assert.strictEqual(result.stdout.trim(), `port ${held.port} fds undefined`, result.stderr);
      assert.strictEqual(result.code, 0);
    } finally {
      held.server.close();
    }
  });
}

test('another port is left alone', async () => {
  const held = await heldSocket();
  try {
    const result = await run(listening('server.listen(0)'), held, { APP_PORT: '0' });
    assert.match(result.stdout, /^port \d+ fds undefined/);
    assert.notStrictEqual(result.stdout.trim(), `port ${held.port} fds undefined`);
  } finally {
    held.server.close();
  }
});

test('a specific host on an all-address socket is not widened', async () => {
  const held = await heldSocket();
  try {
    const result = await run(listening("server.listen(PORT, '127.0.0.1')"), held, {
      APP_PORT: String(held.port),
    });
    assert.strictEqual(result.stdout.trim(), 'error EADDRINUSE');
    assert.match(result.stderr, /systemd holds port \d+ on every address/);
  } finally {
    held.server.close();
  }
});

test('sockets passed to another pid are not taken', async () => {
  const held = await heldSocket();
  try {
    const result = await run(listening('server.listen(PORT)'), held, {
      APP_PORT: String(held.port),
    }, { pid: '1' });
    assert.strictEqual(result.stdout.trim(), 'error EADDRINUSE');
  } finally {
    held.server.close();
  }
});

test('process.send() exists without an IPC channel, and hides the settings', async () => {
  const code = `process.send('ready', () => { console.log(typeof process.send + ' ' + process.env.ECOSYSTEMD_READY); });`;
  const withReady = await run(code, null, { ECOSYSTEMD_READY: 'message' });
  assert.strictEqual(withReady.stdout.trim(), 'function undefined', withReady.stderr);
  const without = await run("console.log(process.send({ any: 'message' }))", null, {});
  assert.strictEqual(without.stdout.trim(), 'true', without.stderr);
});

test('the listen_timeout timer does not keep the process alive', async () => {
  const started = Date.now();
  const result = await run("console.log('done')", null, {
    ECOSYSTEMD_READY: 'message',
    ECOSYSTEMD_LISTEN_TIMEOUT: '60000',
  });
  assert.strictEqual(result.stdout.trim(), 'done');
  assert.ok(Date.now() - started < 5000);
});

test('shutdown_with_message turns SIGINT into the shutdown message', async () => {
  const code = `process.on('message', (m) => { console.log('got ' + m); process.exit(0); });
console.log('up'); setInterval(() => {}, 1000);`;
  const result = await run(code, null, { ECOSYSTEMD_SHUTDOWN_WITH_MESSAGE: '1' }, {
    onSpawn: (child, stdout) => {
      const poll = setInterval(() => {
        if (stdout().includes('up')) {
          clearInterval(poll);
          child.kill('SIGINT');
        }
      }, 20);
    },
  });
  assert.strictEqual(result.stdout.trim(), 'up\ngot shutdown');
  assert.strictEqual(result.code, 0);
});

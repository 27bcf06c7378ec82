// The ecosystemd preload, loaded with `node --require` by the units gen-units renders.
// It lets an unchanged PM2 app run under systemd as it ran under PM2:
//
// - listen(PORT), in any of its forms, takes the socket systemd holds for PORT
//   (LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES, the names being `port-<PORT>`);
//   every other listen is left alone, and LISTEN_* are removed from the environment
//   so that child processes do not see them;
// - process.send() exists without an IPC channel, and process.send('ready')
//   (wait_ready) becomes READY=1 for systemd;
// - READY=1 is sent when a server listens (cluster mode) or after listen_timeout at
//   the latest, as PM2 marks the app online then;
// - with shutdown_with_message, SIGINT becomes the `shutdown` message.
//
// The unit passes its settings in ECOSYSTEMD_* variables, which are removed too.
'use strict';

const fs = require('fs');
const net = require('net');
const { execFile } = require('child_process');

const SD_LISTEN_FDS_START = 3;
const DEFAULT_LISTEN_TIMEOUT_MS = 3000;

/** Reads an environment variable and removes it, so that children do not inherit it. */
function take(name) {
  const value = process.env[name];
  delete process.env[name];
  return value;
}

/** The sockets systemd passed to this very process, by port: { fd, bound }. */
function inheritedSockets() {
  const pid = take('LISTEN_PID');
  const count = Number(take('LISTEN_FDS'));
  const names = (take('LISTEN_FDNAMES') || '').split(':');
  const sockets = new Map();
  if (pid !== String(process.pid) || !Number.isInteger(count) || count <= 0) {
    return sockets;
  }
  for (let i = 0; i < count; i += 1) {
    const match = /^port-(\d+)(-host)?$/.exec(names[i] || '');
    if (match) {
      sockets.set(Number(match[1]), {
        fd: SD_LISTEN_FDS_START + i,
        bound: Boolean(match[2]),
        used: false,
      });
    }
  }
  return sockets;
}

const sockets = inheritedSockets();
const readyOn = take('ECOSYSTEMD_READY');
const listenTimeout = Number(take('ECOSYSTEMD_LISTEN_TIMEOUT')) || DEFAULT_LISTEN_TIMEOUT_MS;
const shutdownWithMessage = take('ECOSYSTEMD_SHUTDOWN_WITH_MESSAGE') === '1';

function log(message) {
  process.stderr.write(`ecosystemd preload: ${message}\n`);
}

// --- Readiness -------------------------------------------------------------------

let notified = false;

function systemdNotify() {
  for (const candidate of ['/usr/bin/systemd-notify', '/bin/systemd-notify']) {
    if (fs.existsSync(candidate)) return candidate;
  }
  return 'systemd-notify';
}

/** Sends READY=1 once. systemd-notify waits until the manager has read it. */
function ready() {
  if (notified || !readyOn || !process.env.NOTIFY_SOCKET) return;
  notified = true;
  execFile(systemdNotify(), ['--ready'], (error) => {
    if (error) log(`systemd-notify --ready failed: ${error.message}`);
  });
}

if (readyOn) {
  // PM2 counts the app online after listen_timeout even without a ready message.
  setTimeout(ready, listenTimeout).unref();
}

if (typeof process.send !== 'function') {
  // Under PM2 an IPC channel carried process.send(): apps call it, with or without
  // wait_ready. Under systemd there is none, and without this it would throw.
  process.send = function send(message, ...rest) {
    if (message === 'ready' && readyOn === 'message') ready();
    const callback = rest.find((arg) => typeof arg === 'function');
    if (callback) process.nextTick(callback, null);
    return true;
  };
}

// --- Sockets -------------------------------------------------------------------

const WILDCARDS = new Set(['', '0.0.0.0', '::', '[::]']);

/** The port and host a listen() call asks for, or undefined for a path or handle. */
function requested(args) {
  const first = args[0];
  if (first !== null && typeof first === 'object') {
    if (first.path !== undefined || first.fd !== undefined || first.handle !== undefined) {
      return undefined;
    }
    if (first._handle !== undefined || typeof first.listen === 'function') return undefined;
    return { port: first.port, host: first.host };
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\s*\d+\s*$/.test(first))) {
    return { port: first, host: typeof args[1] === 'string' ? args[1] : undefined };
  }
  return undefined;
}

/** The inherited socket for a listen() call, if it asks for a port systemd holds. */
function socketFor(args) {
  const wanted = requested(args);
  if (!wanted) return undefined;
  const socket = sockets.get(Number(wanted.port));
  if (!socket || socket.used) return undefined;
  const host = wanted.host === undefined || wanted.host === null ? '' : String(wanted.host);
  if (!WILDCARDS.has(host) && !socket.bound) {
    log(
      `listen(${wanted.port}, ${JSON.stringify(host)}): systemd holds port ${wanted.port} on ` +
        'every address; set HOST (or the variable beside the port) in the env of the ' +
        'ecosystem file so that it binds only this one',
    );
    return undefined;
  }
  socket.used = true;
  return socket;
}

const originalListen = net.Server.prototype.listen;

net.Server.prototype.listen = function listen(...args) {
  if (readyOn === 'listen') this.once('listening', ready);
  const socket = socketFor(args);
  if (!socket) return originalListen.apply(this, args);
  const options = { fd: socket.fd };
  const first = args[0];
  if (first !== null && typeof first === 'object' && first.signal) options.signal = first.signal;
  const callback = args.find((arg) => typeof arg === 'function');
  return callback
    ? originalListen.call(this, options, callback)
    : originalListen.call(this, options);
};

// --- Shutdown ------------------------------------------------------------------

if (shutdownWithMessage) {
  // PM2 sent the message instead of SIGINT, and SIGKILL after kill_timeout; systemd
  // sends SIGINT, and SIGKILL after TimeoutStopSec=.
  process.on('SIGINT', () => {
    process.emit('message', 'shutdown');
  });
}

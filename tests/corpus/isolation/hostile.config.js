// Tries everything an ecosystem file must not do while it is imported, and reports what
// happened in its one app's env: writing to /etc, to its own folder and to /tmp,
// connecting to the address in PROBE_ADDRESS, and starting processes in a loop.
const fs = require('fs');
const path = require('path');
const { spawn, spawnSync } = require('child_process');

const attempt = (what) => {
  try {
    what();
    return 'done';
  } catch (error) {
    return error.code || String(error);
  }
};

const report = {
  WRITE_ETC: attempt(() => fs.writeFileSync('/etc/ecosystemd-import-probe', 'x')),
  WRITE_OWN_FOLDER: attempt(() => fs.writeFileSync(path.join(__dirname, 'written-by-import'), 'x')),
  WRITE_TMP: attempt(() => fs.writeFileSync('/tmp/ecosystemd-import-scratch', 'x')),
};

// No synchronous connect in Node.js: a child process tries and prints the outcome.
const connect = spawnSync(process.execPath, ['-e', `
  const [host, port] = (process.env.PROBE_ADDRESS || '127.0.0.1:9').split(':');
  const socket = require('net').connect({ host, port: Number(port) });
  socket.on('connect', () => { console.log('connected'); process.exit(0); });
  socket.on('error', (error) => { console.log(error.code); process.exit(0); });
  setTimeout(() => { console.log('no answer'); process.exit(0); }, 1000);
`], { encoding: 'utf8' });
report.CONNECT = (connect.stdout || '').trim() || String(connect.error && connect.error.code);

let started = 0;
let refused = '';
for (let i = 0; i < 300; i++) {
  try {
    const child = spawn('sleep', ['31.7'], { stdio: 'ignore' });
    if (child.pid) started++;
    else if (!refused) refused = 'no pid';
    child.on('error', (error) => { refused = refused || error.code; });
  } catch (error) {
    refused = refused || error.code || String(error);
    break;
  }
}

report.SPAWNED = String(started);
report.SPAWN_REFUSED = refused;
module.exports = { apps: [{ name: 'hostile', script: 'app.js', env: report }] };

// A tiny agent for the PM2 side-by-side benchmark: serves HTTP on 127.0.0.1:$PORT.
// It answers `ok PID INSTANCE` (NODE_APP_INSTANCE, which PM2 and the units set; `-` if
// none) and closes gracefully on SIGINT, the stop signal of both supervisors.
// AGENT_MODE=grow adds GROW_MIB_PER_SEC MiB of touched memory every second, starting
// GROW_DELAY_MS after start (memory limit);
// AGENT_MODE=crash exits with status 1 after CRASH_AFTER_MS milliseconds (crash loop).
'use strict';
const http = require('http');

const port = Number(process.env.PORT || 3000);
const mode = process.env.AGENT_MODE || 'serve';

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`ok ${process.pid} ${process.env.NODE_APP_INSTANCE || '-'}\n`);
});
server.listen(port, '127.0.0.1');
process.on('SIGINT', () => server.close(() => process.exit(0)));

if (mode === 'grow') {
  const perTick = Math.round((Number(process.env.GROW_MIB_PER_SEC || 10) * 1048576) / 10);
  const kept = [];
  setTimeout(() => {
    setInterval(() => {
      const chunk = Buffer.allocUnsafeSlow(perTick);
      chunk.fill(1);
      kept.push(chunk);
    }, 100);
  }, Number(process.env.GROW_DELAY_MS || 0));
} else if (mode === 'crash') {
  setTimeout(() => process.exit(1), Number(process.env.CRASH_AFTER_MS || 100));
}

#!/usr/bin/env node
// A tiny, dependency-free agent: answers 200 on PORT with who it is.
// `node agent.js --once` does one unit of work and exits (a cron job).
'use strict';

const http = require('http');

const name = process.env.AGENT_NAME || 'agent';
const port = Number(process.env.PORT || 3000);

if (process.argv.includes('--once')) {
  console.log(`${name}: one run done at ${new Date().toISOString()}`);
  process.exit(0);
}

const server = http.createServer((request, response) => {
  const body = JSON.stringify({
    name,
    instance: process.env.NODE_APP_INSTANCE || null,
    pid: process.pid,
    path: request.url,
  });
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(body + '\n');
});

server.listen(port, () => console.log(`${name} listening on ${port}`));

// PM2 (and our units: KillSignal=SIGINT) stop agents with SIGINT.
process.on('SIGINT', () => server.close(() => process.exit(0)));
process.on('SIGTERM', () => server.close(() => process.exit(0)));

// The usual home-made PM2 fleet monitor, built on `pm2 jlist`: totals, the top 10 by
// memory, processes over 120 MB and processes not online. execFileSync keeps its default
// 1 MiB output buffer, as such scripts do.
'use strict';
const { execFileSync } = require('child_process');

const list = JSON.parse(execFileSync('pm2', ['jlist'], { encoding: 'utf8' }));
const mb = (bytes) => (bytes / 1048576).toFixed(1);
const total = list.reduce((sum, p) => sum + (p.monit ? p.monit.memory : 0), 0);
console.log(`processes: ${list.length}, memory: ${mb(total)} MB, ` +
  `average: ${mb(total / Math.max(list.length, 1))} MB`);
const byMemory = [...list].sort((a, b) => b.monit.memory - a.monit.memory);
console.log('top 10 by memory:');
for (const p of byMemory.slice(0, 10)) {
  console.log(`  ${p.name}  ${mb(p.monit.memory)} MB  cpu ${p.monit.cpu}%  ` +
    `restarts ${p.pm2_env.restart_time}`);
}
const heavy = list.filter((p) => p.monit.memory > 120 * 1048576);
console.log(`over 120 MB: ${heavy.map((p) => p.name).join(', ') || 'none'}`);
const down = list.filter((p) => p.pm2_env.status !== 'online');
console.log(`not online: ${down.map((p) => `${p.name} (${p.pm2_env.status})`).join(', ') || 'none'}`);

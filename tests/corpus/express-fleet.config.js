// A fleet of Express agents, generated the way PM2 users often do: one entry per agent
// from a list, shared defaults spread in, env blocks per deployment.
const path = require('path');

const defaults = {
  exec_mode: 'fork',
  max_memory_restart: '150M',
  autorestart: true,
  max_restarts: 10,
  min_uptime: '10s',
  restart_delay: 4000,
  kill_timeout: 5000,
  merge_logs: true,
  log_date_format: 'YYYY-MM-DD HH:mm:ss Z',
};

const agents = [
  ['crm-sync', 4101],
  ['invoice-mailer', 4102],
  ['slack-bridge', 4103],
  ['pdf-render', 4104],
];

module.exports = {
  apps: agents.map(([name, port]) => ({
    ...defaults,
    name,
    script: './server.js',
    cwd: path.join(__dirname, 'agents', name),
    error_file: `/var/log/pm2/${name}-error.log`,
    out_file: `/var/log/pm2/${name}-out.log`,
    env: {
      NODE_ENV: 'development',
      PORT: port,
      // Unset where this file is evaluated: the import says so.
      SENTRY_DSN: process.env.ECOSYSTEMD_CORPUS_UNSET_DSN,
    },
    env_production: {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
    },
  })),

  deploy: {
    production: {
      user: 'deploy',
      host: ['10.0.0.5'],
      ref: 'origin/main',
      repo: 'git@example.com:acme/agents.git',
      path: '/srv/agents',
      'post-deploy': 'npm ci && pm2 reload ecosystem.config.js --env production',
    },
  },
};

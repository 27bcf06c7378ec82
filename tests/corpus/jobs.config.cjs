// One-shot jobs run by cron, `script: npm` with args as one string, stop codes.
module.exports = {
  apps: [
    {
      name: 'nightly-report',
      script: 'npm',
      args: 'run report -- --since "yesterday 00:00"',
      cron_restart: '0 3 * * *',
      autorestart: false,
    },
    {
      name: 'queue-worker',
      script: 'worker.py',
      interpreter: 'python3',
      args: ['--queue', 'emails', '--concurrency', '4'],
      stop_exit_codes: [0, 3],
      exp_backoff_restart_delay: 100,
      cron: '*/30 * * * *',
      uid: 'www-data',
      gid: 'www-data',
    },
  ],
};

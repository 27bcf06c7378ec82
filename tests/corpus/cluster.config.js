// Cluster mode: N workers behind one port through Node's cluster module.
module.exports = {
  apps: [
    {
      name: 'api',
      script: 'dist/main.js',
      instances: 'max',
      exec_mode: 'cluster',
      max_memory_restart: '512M',
      node_args: '--max-old-space-size=460',
      wait_ready: true,
      listen_timeout: 8000,
      env: { PORT: 3000, NODE_ENV: 'production' },
    },
    {
      name: 'ws-gateway',
      script: 'gateway.js',
      instances: 4,
      exec_mode: 'cluster_mode',
      increment_var: 'PORT',
      instance_var: 'INSTANCE_ID',
      env: { PORT: 8100 },
    },
  ],
};

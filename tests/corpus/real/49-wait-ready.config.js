// @pattern `wait_ready: true` with `listen_timeout` (the app calls process.send('ready') once listening)
// @owner deploy
// @root /srv/orders
// @config ecosystem.config.js
// @file package.json text {"name": "orders"}
// @file server.js node-http
// @expect orders http 3049
// @needs identity sockets
// @strict runs if the readiness preload lands (nothing written)
module.exports = {
  apps: [{
    name: 'orders',
    script: 'server.js',
    wait_ready: true,
    listen_timeout: 10000,
    kill_timeout: 5000,
    env: { PORT: 3049 },
  }],
};

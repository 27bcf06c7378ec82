// @pattern cluster mode, 2 instances sharing one port (Node's cluster module under PM2)
// @owner alice
// @root ~/storefront-ssr
// @config ecosystem.config.js
// @file package.json text {"name": "storefront-ssr"}
// @file server.js node-http
// @expect ssr http 3029
// @needs identity sockets
// @strict stops: 0700 home
module.exports = {
  apps: [
    {
      name: 'ssr',
      script: 'server.js',
      instances: 2,
      exec_mode: 'cluster',
      env: {
        NODE_ENV: 'production',
        PORT: 3029,
      },
    },
  ],
};

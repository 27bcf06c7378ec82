// @pattern `node_args: '--max-old-space-size=256'`
// @owner alice
// @root ~/reporting
// @config ecosystem.config.js
// @file package.json text {"name": "reporting"}
// @file index.js node-http
// @expect reporting http 3037 contains=--max-old-space-size=256
// @needs identity
// @strict stops: 0700 home
module.exports = {
  apps: [
    {
      name: 'reporting',
      script: 'index.js',
      node_args: '--max-old-space-size=256',
      max_memory_restart: '300M',
      env: { PORT: 3037 },
    },
  ],
};

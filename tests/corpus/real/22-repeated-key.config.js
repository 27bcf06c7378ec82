// @pattern a repeated key in ecosystem.config.js (`env` twice: JavaScript keeps the last)
// @owner alice
// @root ~/chat
// @config ecosystem.config.js
// @file package.json text {"name": "chat"}
// @file server.js node-http writes=uploads/.keep
// @expect chat http 3022
// @needs identity
// @strict stops: 0700 home
module.exports = {
  apps: [{
    name: 'chat',
    script: 'server.js',
    env: { PORT: 3000 },
    max_memory_restart: '500M',
    env: { PORT: 3022, NODE_ENV: 'production' },
  }],
};

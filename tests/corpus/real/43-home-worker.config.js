// @pattern the simplest file: one worker without a port, in a project under a 0700 home
// @owner alice
// @root ~/discord-bot
// @config ecosystem.config.js
// @file package.json text {"name": "discord-bot", "main": "index.js"}
// @file index.js node-http writes=data/state.json
// @expect discord-bot active
// @needs identity
// @strict stops: 0700 home
module.exports = {
  apps: [{ name: 'discord-bot', script: 'index.js' }],
};

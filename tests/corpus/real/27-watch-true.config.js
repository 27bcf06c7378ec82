// @pattern `watch: true` with `ignore_watch` for node_modules and logs; the app writes logs/
// @owner alice
// @root ~/notes
// @config ecosystem.config.js
// @file package.json text {"name": "notes"}
// @file server.js node-http writes=logs/app.log
// @expect notes http 3027
// @needs identity
// @strict stops: 0700 home
module.exports = {
  apps: [{
    name: 'notes',
    script: 'server.js',
    watch: true,
    ignore_watch: ['node_modules', 'logs'],
    env: {
      PORT: 3027,
    },
  }],
};

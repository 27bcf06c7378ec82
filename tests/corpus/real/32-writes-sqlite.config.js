// @pattern an app keeping its SQLite database (and journal) in its own folder under /srv
// @owner deploy
// @root /srv/guestbook
// @config ecosystem.config.js
// @file package.json text {"name": "guestbook", "dependencies": {"better-sqlite3": "^9.0.0"}}
// @file app.js node-http writes=db/guestbook.sqlite,db/guestbook.sqlite-journal
// @expect guestbook http 3033
// @needs identity
// @strict stops: db/ under /srv is read-only
module.exports = {
  apps: [{
    name: 'guestbook',
    script: 'app.js',
    cwd: __dirname,
    max_memory_restart: '200M',
    env: { PORT: 3033 },
  }],
};

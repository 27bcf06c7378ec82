// @pattern a web app plus a nightly job: `cron_restart` with `autorestart: false` (runs at start, then on schedule)
// @owner deploy
// @root /srv/reports
// @config ecosystem.config.js
// @file package.json text {"name": "reports"}
// @file web.js node-http
// @file jobs/report.js node-job writes=reports/latest.txt
// @expect reports-web http 3025
// @expect nightly-report ran
// @needs identity
// @strict reports-web runs; nightly-report stops: it writes reports/ under /srv (read-only)
module.exports = {
  apps: [
    {
      name: 'reports-web',
      script: 'web.js',
      env: { PORT: 3025 },
    },
    {
      name: 'nightly-report',
      script: './jobs/report.js',
      cron_restart: '30 2 * * *',
      autorestart: false,
    },
  ],
};

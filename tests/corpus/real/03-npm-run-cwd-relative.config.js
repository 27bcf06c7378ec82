// @pattern monorepo: `cwd: './packages/api'` (relative) with `script: 'npm', args: 'run serve'`
// @owner alice
// @root ~/monorepo
// @config ecosystem.config.js
// @file package.json text {"name": "monorepo", "private": true, "workspaces": ["packages/*"]}
// @file packages/api/package.json text {"name": "@monorepo/api", "scripts": {"serve": "node src/main.js"}}
// @file packages/api/src/main.js node-http writes=tmp/cache.json
// @expect api http 3003
// @needs identity
// @strict stops: 0700 home
//
// PM2 resolves a relative cwd against the folder `pm2 start` ran in (the project root);
// npm then runs the package's own script from packages/api, where the app writes tmp/.
module.exports = {
  apps: [
    {
      name: 'api',
      cwd: './packages/api',
      script: 'npm',
      args: 'run serve',
      instances: 1,
      exec_mode: 'fork',
      env: {
        PORT: 3003,
      },
    },
  ],
};

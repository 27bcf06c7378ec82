// @pattern `script: 'node'` with the real entry point in `args`
// @owner deploy
// @root /srv/mono-api
// @config ecosystem.config.js
// @file package.json text {"name": "mono-api", "private": true}
// @file apps/api/dist/index.js node-http
// @expect mono-api http 3052
// @needs identity
// @strict runs: node from nvm in a 0755 home, nothing written
module.exports = {
  apps: [
    {
      name: 'mono-api',
      cwd: '.',
      script: 'node',
      args: 'apps/api/dist/index.js',
      env: { NODE_ENV: 'production', PORT: 3052 },
    },
  ],
};

// @pattern `interpreter: './node_modules/.bin/ts-node'` (relative to the project) with `watch: ['src']`
// @owner alice
// @root ~/express-ts
// @config ecosystem.config.js
// @file package.json text {"name": "express-ts", "devDependencies": {"ts-node": "^10.9.0"}}
// @file node_modules/.bin/ts-node node-bin shebang=node mode=0755
// @file src/server.ts node-http
// @expect express-ts http 3007
// @needs identity
// @strict stops: 0700 home
module.exports = {
  apps: [
    {
      name: 'express-ts',
      script: 'src/server.ts',
      interpreter: './node_modules/.bin/ts-node',
      watch: ['src'],
      env: {
        PORT: 3007,
      },
    },
  ],
};

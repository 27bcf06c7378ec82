// @pattern cluster mode with a custom `interpreter` (ts-node), which PM2 ignores in cluster mode; `increment_var: 'PORT'`
// @owner alice
// @root ~/nest-api
// @config ecosystem.config.js
// @file package.json text {"name": "nest-api", "devDependencies": {"ts-node": "^10.9.0"}}
// @file node_modules/.bin/ts-node node-bin shebang=node mode=0755
// @file src/main.ts node-http writes=logs/nest.log
// @expect nest-api http 3008
// @expect nest-api http 3009
// @needs identity
// @strict stops: 0700 home
//
// In cluster mode PM2 loads the script into Node's cluster workers whatever `interpreter`
// says (it warns); each worker gets PORT + its index.
module.exports = {
  apps: [{
    name: 'nest-api',
    script: 'src/main.ts',
    interpreter: 'node_modules/.bin/ts-node',
    exec_mode: 'cluster',
    instances: 2,
    increment_var: 'PORT',
    env: { PORT: 3008 },
  }],
};

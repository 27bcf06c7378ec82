// @pattern `interpreter: 'node'` with `interpreter_args: '--require ./tracing.js'`
// @owner bob
// @root ~/primordia
// @config ecosystem.config.js
// @file package.json text {"name": "primordia"}
// @file tracing.js text process.env.TRACING = 'on';
// @file src/api/index.js node-http
// @expect primordia-api http 3039 contains=--require
// @needs identity
// @strict stops: 0750 home
module.exports = {
  apps: [{
    name: 'primordia-api',
    script: './src/api/index.js',
    interpreter: 'node',
    interpreter_args: '--require ./tracing.js',
    env: { PORT: 3039 },
  }],
};

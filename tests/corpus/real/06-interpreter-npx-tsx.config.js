// @pattern TypeScript run through `interpreter: 'npx'` with `interpreter_args: 'tsx'`
// @owner alice
// @root ~/pms
// @config ecosystem.config.js
// @file package.json text {"name": "pms", "devDependencies": {"tsx": "^4.0.0"}}
// @file node_modules/.bin/tsx node-bin shebang=node mode=0755
// @file server/index.ts node-http writes=uploads/.keep
// @expect pms-backend http 3006
// @needs identity
// @strict stops: 0700 home
//
// PM2 runs `npx tsx server/index.ts`; tsx is a stand-in that loads the file (plain
// JavaScript here).
module.exports = {
  apps: [{
    name: 'pms-backend',
    script: 'server/index.ts',
    interpreter: 'npx',
    interpreter_args: 'tsx',
    env: { NODE_ENV: 'development', PORT: 3006 },
    env_production: { NODE_ENV: 'production', PORT: 3006 },
  }],
};

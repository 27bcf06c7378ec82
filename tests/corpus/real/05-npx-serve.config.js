// @pattern static site served by `script: 'npx', args: 'serve -s dist -l PORT'`
// @owner alice
// @root ~/landing
// @config ecosystem.config.js
// @file package.json text {"name": "landing", "devDependencies": {"serve": "^14.0.0"}}
// @file node_modules/.bin/serve node-bin shebang=node mode=0755
// @file dist/index.html text <!doctype html><title>landing</title>
// @expect landing http 3005
// @needs identity
// @strict stops: 0700 home
//
// npx here is a stand-in that runs node_modules/.bin/CMD and never downloads; `serve` is a
// stand-in that serves on the port given by `-l`.
module.exports = {
  apps: [
    {
      name: 'landing',
      script: 'npx',
      args: 'serve -s dist -l 3005',
      env_production: { NODE_ENV: 'production' },
    },
  ],
};

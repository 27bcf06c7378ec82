// @pattern `script: 'yarn'` with `args: 'start'` (yarn installed globally through nvm's npm)
// @owner alice
// @root ~/storefront
// @config ecosystem.config.js
// @file package.json text {"name": "storefront", "scripts": {"start": "node index.js"}}
// @file index.js node-http
// @expect storefront http 3004
// @needs identity
// @strict stops: 0700 home
module.exports = {
  apps: [{
    name: 'storefront',
    script: 'yarn',
    args: 'start',
    env: { NODE_ENV: 'production', PORT: 3004 },
  }],
};

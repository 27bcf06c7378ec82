// @pattern `script: 'npm'` with `args: 'start'`, npm from nvm under a 0700 home
// @owner alice
// @root ~/shop
// @config ecosystem.config.js
// @file package.json text {"name": "shop", "version": "1.0.0", "scripts": {"start": "node server.js"}}
// @file server.js node-http writes=.next/cache/started
// @expect shop http 3002
// @needs identity
// @strict stops: the home is 0700, and npm lives in it (~/.nvm)
//
// PM2 finds `npm` on alice's PATH (nvm's bin folder; npm there is a stand-in that runs the
// package.json script as npm does) and runs it with node.
module.exports = {
  apps: [
    {
      name: 'shop',
      script: 'npm',
      args: 'start',
      env: {
        NODE_ENV: 'production',
        PORT: 3002,
      },
    },
  ],
};

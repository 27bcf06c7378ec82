// @pattern a web server on port 80, owned by a normal user
// @owner deploy
// @root /srv/www
// @config ecosystem.config.js
// @file package.json text {"name": "www", "private": true}
// @file app.js node-http writes=logs/access.log
// @expect www http 80
// @needs identity
// @strict stops: no CAP_NET_BIND_SERVICE (EACCES on port 80), and logs/ is read-only
//
// Under PM2 this owner had given nvm's node the capability (`setcap
// cap_net_bind_service=+ep`, a common recipe); here nvm's node links to the image's node,
// which has no file capability: the unit must grant it.
module.exports = {
  apps: [
    {
      name: 'www',
      script: 'app.js',
      env: {
        NODE_ENV: 'production',
        PORT: 80,
      },
    },
  ],
};

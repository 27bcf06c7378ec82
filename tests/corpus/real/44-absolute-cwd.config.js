// @pattern an absolute `cwd` pointing into the owner's home
// @owner alice
// @root ~/dashboard
// @config ecosystem.config.js
// @file package.json text {"name": "dashboard"}
// @file server.js node-http
// @expect dashboard http 3045
// @needs identity
// @strict stops: 0700 home
module.exports = {
  apps: [
    {
      name: 'dashboard',
      script: 'server.js',
      cwd: '/home/alice/dashboard',
      env: {
        NODE_ENV: 'production',
        PORT: 3045,
      },
    },
  ],
};

// @pattern `env` and `env_production`, started with `pm2 start ecosystem.config.js --env production`
// @owner alice
// @root ~/api-gateway
// @config ecosystem.config.js
// @start --env production
// @file package.json text {"name": "api-gateway"}
// @file index.js node-http
// @expect gateway http 3024
// @needs identity
// @strict stops: 0700 home
module.exports = {
  apps: [
    {
      name: 'gateway',
      script: './index.js',
      env: {
        NODE_ENV: 'development',
        PORT: 3023,
      },
      env_production: {
        NODE_ENV: 'production',
        PORT: 3024,
      },
    },
  ],
};

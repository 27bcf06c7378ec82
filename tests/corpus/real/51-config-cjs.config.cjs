// @pattern ecosystem.config.cjs in an ESM package ("type": "module"), `cwd: __dirname`
// @owner alice
// @root ~/esm-app
// @config ecosystem.config.cjs
// @file package.json text {"name": "esm-app", "type": "module"}
// @file server.cjs node-http
// @expect esm-app http 3051
// @needs identity
// @strict stops: 0700 home
module.exports = {
  apps: [
    {
      name: 'esm-app',
      script: './server.cjs',
      cwd: __dirname,
      env: {
        NODE_ENV: 'production',
        PORT: 3051,
      },
    },
  ],
};

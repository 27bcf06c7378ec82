// @pattern `script: './.venv/bin/python'` with `args: '-m app'` and `interpreter: 'none'`
// @owner bob
// @root ~/fastapi-svc
// @config ecosystem.config.js
// @file .venv venv
// @file app/__init__.py text # package
// @file app/__main__.py py-http
// @expect fastapi-svc http 3012
// @needs identity
// @strict stops: 0750 home
module.exports = {
  apps: [
    {
      name: 'fastapi-svc',
      script: './.venv/bin/python',
      args: '-m app',
      interpreter: 'none',
      env: {
        PYTHONUNBUFFERED: '1',
        PORT: 3012,
      },
    },
  ],
};

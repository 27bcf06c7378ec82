// @pattern `script: 'venv/bin/uvicorn'` with `interpreter: 'none'` and the port in `args`
// @owner bob
// @root ~/ml-api
// @config ecosystem.config.js
// @file venv venv
// @file venv/bin/uvicorn py-http shebang=venv mode=0755
// @file main.py text app = None
// @expect ml-api http 3050
// @needs identity
// @strict stops: 0750 home
//
// uvicorn is a stand-in Python script whose shebang is the venv's python, as pip writes it.
module.exports = {
  apps: [
    {
      name: 'ml-api',
      script: 'venv/bin/uvicorn',
      args: 'main:app --host 0.0.0.0 --port 3050',
      interpreter: 'none',
      env: { PYTHONUNBUFFERED: '1' },
    },
  ],
};

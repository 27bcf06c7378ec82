// @pattern `interpreter: '/bin/bash'` on a wrapper script that starts a python app
// @owner bob
// @root ~/conda-app
// @config ecosystem.config.js
// @file run.sh text cd "$(dirname "$0")"\nexec python3 serve.py
// @file serve.py py-http writes=outputs/.keep
// @expect conda-app http 3053
// @needs identity
// @strict stops: 0750 home
module.exports = {
  apps: [{
    name: 'conda-app',
    interpreter: '/bin/bash',
    script: './run.sh',
    instances: 1,
    autorestart: true,
    watch: false,
    max_memory_restart: '1G',
    env: { PORT: 3053 },
  }],
};

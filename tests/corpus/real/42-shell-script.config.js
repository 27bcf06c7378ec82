// @pattern `script: './start.sh'` (PM2 runs .sh with bash), the script starting node itself
// @owner bob
// @root ~/panel
// @config ecosystem.config.js
// @file start.sh text #!/bin/bash\ncd "$(dirname "$0")"\nexec node server.js
// @file server.js node-http writes=logs/panel.log
// @expect panel http 3044
// @needs identity
// @strict stops: 0750 home
module.exports = {
  apps: [{
    name: 'panel',
    script: './start.sh',
    env: { PORT: 3044 },
  }],
};

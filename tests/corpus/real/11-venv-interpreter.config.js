// @pattern `interpreter: './venv/bin/python'`, a virtualenv inside the project
// @owner bob
// @root ~/blueprint
// @config ecosystem.config.js
// @file venv venv
// @file run.py py-http writes=instance/app.db
// @expect blueprint-app http 3011
// @needs identity
// @strict stops: 0750 home
//
// The venv's python links to the image's python3, as `python3 -m venv` makes it.
module.exports = {
  apps: [{
    name: "blueprint-app",
    script: "./run.py",
    interpreter: "./venv/bin/python",
    env: {
      FLASK_ENV: "production",
      PORT: 3011,
    },
    autorestart: true,
    watch: false,
    max_memory_restart: '512M',
  }],
};

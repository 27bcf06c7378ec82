// @pattern `script: 'uv'` with `args: 'run server.py ...'` (uv, a binary, in ~/.local/bin)
// @owner bob
// @root ~/llm-gateway
// @config ecosystem.config.js
// @file pyproject.toml text [project]\nname = "llm-gateway"\nversion = "0.1.0"
// @file server.py py-http writes=.cache/models.json
// @expect llm-gateway http 3014
// @needs identity
// @strict stops: 0750 home
//
// uv here is a compiled stand-in (an ELF binary, as the real uv is, so PM2 runs it
// directly) that runs `run [python] ARGS` with the image's python3.
module.exports = {
  apps: [
    {
      name: 'llm-gateway',
      script: 'uv',
      args: 'run server.py --port 3014',
      autorestart: true,
      max_memory_restart: '1G',
    },
  ],
};

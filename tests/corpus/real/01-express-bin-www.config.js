// @pattern Express generator layout: `script: ./bin/www`, an extensionless file with a node shebang and no exec bit
// @owner alice
// @root ~/blog
// @config ecosystem.config.js
// @file package.json text {"name": "blog", "private": true, "scripts": {"start": "node ./bin/www"}}
// @file bin/www node-http shebang=node mode=0644 writes=logs/access.log
// @expect blog http 3001
// @needs identity
// @strict stops: a dynamic user cannot enter alice's 0700 home (200/CHDIR)
//
// PM2 runs a script without an extension with node (it is not a binary), so the missing
// exec bit does not matter to it. The app appends to logs/access.log under its folder.
module.exports = {
  apps: [
    {
      name: 'blog',
      script: './bin/www',
      instances: 1,
      autorestart: true,
      watch: false,
      max_memory_restart: '1G',
      env: {
        NODE_ENV: 'production',
        PORT: 3001,
      },
    },
  ],
};

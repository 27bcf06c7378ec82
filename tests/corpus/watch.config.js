// Development-style watch, as people leave it in production.
module.exports = {
  apps: [{
    name: 'cms',
    script: 'index.js',
    watch: ['src', 'config'],
    ignore_watch: ['node_modules', 'uploads'],
    watch_delay: 1000,
    watch_options: { followSymlinks: false },
    source_map_support: true,
    pmx: false,
  }],
};

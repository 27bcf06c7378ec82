// A single app object instead of `apps`, with a function PM2 never calls.
module.exports = {
  name: 'solo',
  script: 'solo.js',
  max_memory_restart: '64M',
  shutdown_with_message: true,
  onReady() { return 'not data'; },
};

// Reports the network interfaces that have an address where the file is evaluated:
// inside the import's network namespace there are none.
const os = require('os');
module.exports = {
  apps: [{
    name: 'probe',
    script: 'probe.js',
    env: { INTERFACES: Object.keys(os.networkInterfaces()).join(','), CWD: process.cwd() },
  }],
};

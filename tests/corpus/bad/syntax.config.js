module.exports = {
  apps: [
    { name: 'broken' script: 'x.js' },
  ],
};

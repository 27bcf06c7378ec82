const required = process.env.ECOSYSTEMD_CORPUS_REQUIRED;
if (!required) {
  throw new Error('ECOSYSTEMD_CORPUS_REQUIRED must be set');
}
module.exports = { apps: [] };

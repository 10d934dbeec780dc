'use strict';
/*
 * Preflight for every entry point (npm start, test, bench, soak, serve:web, the poolscope bin):
 * Poolscope runs its TypeScript sources directly with Node 24's type stripping, and an older Node
 * fails deep inside with `ERR_UNKNOWN_FILE_EXTENSION` for ".ts". This says what is wrong in one
 * line instead, and exits 1.
 *
 * Plain CommonJS in the oldest syntax on purpose (no `?.`, `??`, `let`, arrows, template strings):
 * it has to parse on whatever old Node a user happens to have.
 *
 *   node bin/check-node.cjs      silent and exit 0 on Node >= 24; one line on stderr and exit 1 otherwise
 *   require('./check-node.cjs')  the same check as functions (see module.exports below)
 */

var MIN_MAJOR = 24;

/** The major version of a version string such as 'v20.20.2' (NaN if it is not one). */
function majorOf(version) {
  var match = /^v?(\d+)\./.exec(String(version));
  return match ? Number(match[1]) : NaN;
}

/** How to get Node 24, in one line: the usual ways, and the no-root way .ci/run bootstraps with. */
function howToGet(platform, arch) {
  var ways = 'install it from https://nodejs.org/ or with "nvm install 24"';
  var os = platform === 'linux' || platform === 'darwin' ? platform : null;
  if (os && (arch === 'x64' || arch === 'arm64')) {
    var pkg = 'node-' + os + '-' + arch;
    ways +=
      ', or without root: npm install --prefix ~/.cache/poolscope/node24 ' +
      pkg +
      '@' +
      MIN_MAJOR +
      ' && export PATH="$HOME/.cache/poolscope/node24/node_modules/' +
      pkg +
      '/bin:$PATH"';
  }
  return ways;
}

/**
 * The one-line message for a Node that is too old, or null when `version` (default: this
 * process's) is new enough.
 */
function nodeVersionProblem(version, platform, arch) {
  if (version === undefined) version = process.version;
  if (majorOf(version) >= MIN_MAJOR) return null;
  return (
    'Poolscope needs Node ' +
    MIN_MAJOR +
    ' or newer (found ' +
    version +
    '): ' +
    howToGet(platform === undefined ? process.platform : platform, arch === undefined ? process.arch : arch)
  );
}

/** The check itself: true when this Node will do; otherwise writes the one line to stderr and returns false. */
function checkNode(version) {
  var problem = nodeVersionProblem(version);
  if (problem === null) return true;
  process.stderr.write(problem + '\n');
  return false;
}

module.exports = checkNode;
module.exports.checkNode = checkNode;
module.exports.nodeVersionProblem = nodeVersionProblem;
module.exports.majorOf = majorOf;
module.exports.MIN_MAJOR = MIN_MAJOR;

if (require.main === module && !checkNode()) process.exitCode = 1;

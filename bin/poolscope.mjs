#!/usr/bin/env node
// The `poolscope` command (package.json "bin"): checks the Node version first, so that an old Node
// gets one line saying what to install instead of ERR_UNKNOWN_FILE_EXTENSION, then runs the CLI
// (engine/cli/poolscope.ts parses process.argv, which is the same through this wrapper).
// No top-level await and no newer syntax, so that this file too parses on an old Node.
import { createRequire } from 'module';

const checkNode = createRequire(import.meta.url)('./check-node.cjs');

if (checkNode()) {
  import('../engine/cli/poolscope.ts').catch(function (error) {
    // As when poolscope.ts is run directly and its top-level await rejects: an uncaught exception.
    process.nextTick(function () {
      throw error;
    });
  });
} else {
  process.exitCode = 1;
}

#!/usr/bin/env node
import { main } from '../dist/cli/main.js';
main(process.argv.slice(2)).then(
  (code) => process.exit(code ?? 0),
  (err) => {
    process.stderr.write(`mlpot: ${err && err.message ? err.message : String(err)}\n`);
    if (process.env.MLPOT_DEBUG) console.error(err);
    process.exit(1);
  },
);

#!/usr/bin/env node
// The cutover CLI: TypeScript sources loaded through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../support/cli/main.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;

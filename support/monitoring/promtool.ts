// Prometheus' own checker for rule files: `promtool check rules` (syntax,
// PromQL) and `promtool test rules` (the unit tests beside them). Debian's
// prometheus package ships it.
import fs from 'node:fs';
import { runBounded } from '../process/bounded.ts';

export const PROMTOOL_INSTALL_HINT = 'install it with `apt-get install prometheus` (Debian/Ubuntu ship promtool in it), or set CUTOVER_PROMTOOL_BIN';

export function promtoolBinary(): string {
  return process.env.CUTOVER_PROMTOOL_BIN ?? '/usr/bin/promtool';
}

export interface PromtoolResult {
  ok: boolean;
  output: string;
}

async function promtool(args: string[], what: string): Promise<PromtoolResult> {
  const binary = promtoolBinary();
  if (!fs.existsSync(binary)) throw new Error(`promtool is needed to ${what}, but ${binary} does not exist: ${PROMTOOL_INSTALL_HINT}`);
  const run = await runBounded({ command: binary, args, cwd: process.cwd(), timeoutMs: 60_000, what: `promtool ${args.join(' ')}` });
  return { ok: run.status === 0, output: run.output.trim() };
}

export const checkRules = (files: string[]) => promtool(['check', 'rules', ...files], 'check rule files');
export const testRules = (files: string[]) => promtool(['test', 'rules', ...files], 'unit-test rule files');

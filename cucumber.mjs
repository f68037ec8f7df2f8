// Cucumber profiles. TypeScript support code loads through tsx, registered
// here so that `npx cucumber-js` needs nothing else (and through NODE_OPTIONS
// for --parallel workers). Each scenario starts its own platform instance on
// free ports with its own data directories, so --parallel is safe.
//
//   default     local platform, time scale 0.25: features/canary.feature in about 4 minutes
//   fast        local platform, time scale 0.1 (CI): about 2 minutes
//   nightly     every feature at time scale 1: the PRD's real durations
//   docker      the real images (npm run images) as containers on Docker, time scale 0.1
//   kubernetes  the cluster KUBECONFIG names, with Argo Rollouts (npx cutover cluster up), time scale 1
//
// CUTOVER_TIME_SCALE overrides a profile's time scale.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { register } from 'tsx/esm/api';

register();
const { allureCategories } = await import('./support/evidence/summary.ts');
const { toolVersion } = await import('./support/toolchain/tools.ts');
if (!/--import[= ]tsx\b/.test(process.env.NODE_OPTIONS ?? '')) {
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import tsx`.trim();
}

let toolVersions;
const tools = () =>
  (toolVersions ??= {
    ...Object.fromEntries(['node', 'java', 'prometheus', 'chromium', 'k6'].map((t) => [t, toolVersion(t) ?? 'not installed'])),
    git_commit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout?.trim() || 'unknown',
  });

// Where reports go (tests of the framework itself point this elsewhere).
const reports = process.env.CUTOVER_REPORTS_DIR ?? 'reports';
// Each run's Allure results stand alone; trends come from the history that
// `npm run report` carries over from the previous HTML report.
fs.rmSync(`${reports}/allure-results`, { recursive: true, force: true });

function profile(name, { platform, timeScale, paths }) {
  const scale = process.env.CUTOVER_TIME_SCALE ? Number(process.env.CUTOVER_TIME_SCALE) : timeScale;
  return {
    ...(paths ? { paths } : {}),
    // Scaffolded PRD skeletons (`cutover prd scaffold`) have no steps yet: they must not pass as empty scenarios.
    // @docker and @kubernetes scenarios look at Docker or the cluster itself: they run on
    // that profile only; @local-only ones need what only the local platform has;
    // @not-kubernetes ones what the local and docker platforms have (their HPA controller, ingress-nginx and cert-manager parts).
    tags: {
      local: 'not @wip and not @docker and not @kubernetes',
      docker: 'not @wip and not @local-only and not @kubernetes',
      kubernetes: 'not @wip and not @local-only and not @not-kubernetes and not @docker',
    }[platform],
    import: ['support/world/*.ts', 'steps/**/*.ts'],
    worldParameters: { profile: name, platform, timeScale },
    format: [
      'progress-bar',
      ['./support/world/formatter/run-summary.ts', `${reports}/run-summary.json`],
      ['allure-cucumberjs/reporter', `${reports}/.allure-formatter.log`],
      ['html', `${reports}/cucumber.html`],
    ],
    formatOptions: {
      resultsDir: `${reports}/allure-results`,
      labels: [
        { pattern: [/^@epic:/], name: 'epic' },
        { pattern: [/^@feature:/], name: 'feature' },
        { pattern: [/^@severity:/], name: 'severity' },
      ],
      links: {
        // @prd=<id> links are added by support/world/hooks.ts (from tags at every level, named by the requirement's text).
        issue: { pattern: [/^@issue=/], urlTemplate: '%s' },
      },
      categories: allureCategories(),
      environmentInfo: {
        profile: name,
        platform,
        time_scale: String(scale),
        os: `${os.type()} ${os.release()}`,
        ...tools(),
      },
    },
  };
}

process.env.CUTOVER_PROFILE ??= process.argv.includes('--profile') ? process.argv[process.argv.indexOf('--profile') + 1] : 'default';

export default profile('default', { platform: 'local', timeScale: 0.25 });
export const fast = profile('fast', { platform: 'local', timeScale: 0.1 });
export const nightly = profile('nightly', { platform: 'local', timeScale: 1, paths: ['features/**/*.feature'] });
export const docker = profile('docker', { platform: 'docker', timeScale: 0.1 });
export const kubernetes = profile('kubernetes', { platform: 'kubernetes', timeScale: 1 });

// npm run images [-- <service>...]: builds the production image of each
// service from services/Dockerfile as cutover/<service>:<version>, and the
// versions the features deploy (v2, and the fault-knob tags -faulty and -slow
// that make a version fail its analysis). The demo service is built as
// argoproj/rollouts-demo:<colour>, so Argo's examples run unchanged. Versions
// of one service share every layer but the last (APP_VERSION).
import { spawn } from 'node:child_process';
import { loadService, SERVICE_NAMES } from '../services/registry.ts';
import { serviceImageTags } from '../support/platform/docker/images.ts';

function docker(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', (err) => reject(new Error(`docker ${args[0]}: ${err.message} (is Docker installed?)`)));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`docker ${args.slice(0, 2).join(' ')} … exited with ${code}`))));
  });
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !SERVICE_NAMES.includes(w));
if (unknown.length > 0) {
  console.error(`unknown service ${unknown.join(', ')}: expected some of ${SERVICE_NAMES.join(', ')}`);
  process.exit(2);
}
const services = await Promise.all(SERVICE_NAMES.filter((s) => wanted.length === 0 || wanted.includes(s)).map(loadService));
const started = Date.now();
for (const service of services) {
  for (const tag of serviceImageTags(service.name)) {
    const version = tag.slice(tag.lastIndexOf(':') + 1);
    const t = Date.now();
    console.log(`== ${tag}`);
    await docker(['build', '--quiet', '-f', 'services/Dockerfile', '--build-arg', `SERVICE=${service.name}`, '--build-arg', `PORT=${service.defaultPort}`, '--build-arg', `APP_VERSION=${version}`, '-t', tag, '.']);
    console.log(`   built in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
}
console.log(`${services.length} service(s) built in ${((Date.now() - started) / 1000).toFixed(0)} s`);

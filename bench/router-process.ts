// A cutover router in a process of its own, for the router benchmark:
// `node --import tsx bench/router-process.ts <backend-url>` prints "listening on <url>".
import { ServiceRouter } from '../support/traffic/router.ts';

const backendUrl = process.argv[2];
if (!backendUrl) {
  console.error('usage: router-process.ts <backend-url>');
  process.exit(2);
}
const router = new ServiceRouter({ service: 'bench' });
await router.listen();
await router.setGroups([{ name: 'stable', weight: 1, backends: [{ id: 'backend-0', url: backendUrl, version: 'bench' }] }]);
console.log(`listening on ${router.url}`);
process.once('SIGTERM', () => void router.close().then(() => process.exit(0)));

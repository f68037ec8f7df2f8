import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { compareRoutes, declaredRoutes, parseApiDoc } from '../api-doc.ts';

test('docs/api.md lists exactly the routes each service serves', async () => {
  const doc = parseApiDoc(fs.readFileSync('docs/api.md', 'utf8'), 'docs/api.md');
  for (const service of ['tinyurl', 'newsfeed', 'docs']) {
    const c = compareRoutes(doc, service, await declaredRoutes(service));
    assert.deepEqual({ undocumented: c.undocumented, notServed: c.notServed }, { undocumented: [], notServed: [] }, service);
    assert.ok(c.documented >= 8);
  }
});

test('a route missing on either side is named, with the line of the documented one', () => {
  const doc = parseApiDoc('## Every service\n| GET | /health | up |\n## web\n| method | path |\n|---|---|\n| GET | /old | gone |\n', 'api.md');
  const c = compareRoutes(doc, 'web', [{ method: 'GET', url: '/health' }, { method: 'POST', url: '/new' }]);
  assert.deepEqual(c.undocumented, ['POST /new']);
  assert.deepEqual(c.notServed, ['GET /old (api.md:6)']);
  assert.throws(() => compareRoutes(doc, 'other', []), /api\.md has no "## other" section \(sections: Every service, web\)/);
  assert.throws(() => parseApiDoc('| GET | /x |\n', 'a.md'), /a\.md:1: a route row before any "## <service>" heading/);
  assert.throws(() => parseApiDoc('## s\n| FETCH | /x |\n', 'a.md'), /a\.md:2: "FETCH" is not an HTTP method/);
});

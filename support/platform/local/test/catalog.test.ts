import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tempDataDir } from '../../../../services/common/testing.ts';
import { ImageCatalog, parseImageRef } from '../catalog.ts';

test('image references: repository, tag (latest by default), registry hosts, digests', () => {
  assert.deepEqual(parseImageRef('cutover/tinyurl:v2-faulty'), { repository: 'cutover/tinyurl', tag: 'v2-faulty' });
  assert.deepEqual(parseImageRef('nginx'), { repository: 'nginx', tag: 'latest' });
  assert.deepEqual(parseImageRef('localhost:5000/team/api:1.2'), { registry: 'localhost:5000', repository: 'team/api', tag: '1.2' });
  assert.deepEqual(parseImageRef('ghcr.io/org/app@sha256:abc'), { registry: 'ghcr.io', repository: 'org/app', tag: 'latest' });
  assert.throws(() => parseImageRef('Bad Image'), /not an image reference: expected \[registry\/\]repository\[:tag\]/);
});

test('built in: cutover/<service>:<tag> runs the service with the tag as its version', () => {
  const r = new ImageCatalog().resolve('cutover/tinyurl:v2-faulty');
  assert.deepEqual(r.command.slice(1, 3), ['--import', 'tsx']);
  assert.match(r.command[3] as string, /services\/run\.ts$/);
  assert.equal(r.command[4], 'tinyurl');
  assert.deepEqual(r.env, { APP_VERSION: 'v2-faulty' });
  assert.equal(r.portEnv, 'PORT');
  assert.equal(r.source, 'built-in');
  assert.ok(fs.existsSync(path.join(r.cwd, 'package.json')));
});

test("built in: argoproj/rollouts-demo runs the demo service, so Argo's examples work unchanged", () => {
  const r = new ImageCatalog().resolve('argoproj/rollouts-demo:bad-red');
  assert.equal(r.command[4], 'demo');
  assert.deepEqual(r.env, { APP_VERSION: 'bad-red' });
});

test('an unknown image lists what is known and how to add it', () => {
  assert.throws(() => new ImageCatalog().resolve('cutover/nosuch:v1'), /no local runnable for image "cutover\/nosuch:v1": known images are cutover\/tinyurl, .*argoproj\/rollouts-demo; add others under "images:" in cutover.config.yaml/);
});

test('user entries from cutover.config.yaml, with {{tag}} filled in; they win over built-ins', () => {
  const dir = tempDataDir('catalog');
  const file = path.join(dir, 'cutover.config.yaml');
  fs.writeFileSync(
    file,
    'images:\n  - image: myorg/api\n    command: [node, "server-{{tag}}.js"]\n    env: {MODE: "{{tag}}"}\n    cwd: app\n    portEnv: HTTP_PORT\n  - image: cutover/demo\n    command: [echo, custom]\n',
  );
  const catalog = ImageCatalog.fromFile(file);
  const r = catalog.resolve('registry.example.com/myorg/api:2.0');
  assert.deepEqual({ command: r.command, env: r.env, cwd: r.cwd, portEnv: r.portEnv, source: r.source }, {
    command: ['node', 'server-2.0.js'],
    env: { MODE: '2.0' },
    cwd: path.join(dir, 'app'),
    portEnv: 'HTTP_PORT',
    source: file,
  });
  assert.deepEqual(catalog.resolve('cutover/demo:blue').command, ['echo', 'custom']);
});

test('a bad config names the file, line and field', () => {
  const dir = tempDataDir('catalog');
  const file = path.join(dir, 'cutover.config.yaml');
  fs.writeFileSync(file, 'images:\n  - image: myorg/api\n    command: []\n    portEnv: lower\n');
  assert.throws(() => ImageCatalog.fromFile(file), (err: Error) => err.message.includes(`${file}:3 (document 1) images[0].command: expected the command`) && err.message.includes(`${file}:4 (document 1) images[0].portEnv: expected an environment variable name`));
  fs.writeFileSync(file, 'imagez: []\n');
  assert.throws(() => ImageCatalog.fromFile(file), /Unrecognized key: "imagez"/);
  fs.writeFileSync(file, 'images: [\n');
  assert.throws(() => ImageCatalog.fromFile(file), /invalid YAML/);
  fs.writeFileSync(file, '');
  assert.deepEqual(ImageCatalog.fromFile(file).resolve('cutover/docs:v1').env, { APP_VERSION: 'v1' });
});

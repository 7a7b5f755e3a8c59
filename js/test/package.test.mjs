// Packaging test: the packed tarball, installed into a scratch project, works as users
// load it — a plain page with the classic CRVideo script, and a Vite build of the ESM
// API — in Chromium (playwright-core with Debian's /usr/bin/chromium), against a real
// lineup-server. Also type-checks an example against the shipped .d.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, copyFileSync, writeFileSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { js, startServer, launchChromium } from './harness.mjs';

const fixtures = join(js, 'test', 'fixtures');
const bin = (name) => join(js, 'node_modules', '.bin', name);
let scratch, server, base, browser;

before(async () => {
  assert.ok(existsSync(join(js, 'dist', 'lineup_sdk_bg.wasm')), 'run `cargo xtask sdk` first (cargo xtask test does)');
  scratch = mkdtempSync(join(tmpdir(), 'lineup-pkg-'));
  const tarball = execFileSync('npm', ['pack', '--pack-destination', scratch, '--silent'], { cwd: js }).toString().trim().split('\n').pop();
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent', join(scratch, tarball)], { cwd: scratch });
  mkdirSync(join(scratch, 'plain'));
  copyFileSync(join(fixtures, 'plain.html'), join(scratch, 'plain', 'index.html'));
  copyFileSync(join(fixtures, 'plain.js'), join(scratch, 'plain', 'plain.js'));
  mkdirSync(join(scratch, 'vite'));
  copyFileSync(join(fixtures, 'vite-index.html'), join(scratch, 'vite', 'index.html'));
  copyFileSync(join(fixtures, 'vite-main.js'), join(scratch, 'vite', 'main.js'));
  execFileSync(bin('vite'), ['build', '--logLevel', 'warn', '--base', '/vite/dist/'], { cwd: join(scratch, 'vite'), stdio: 'inherit' });
  server = await startServer(['--data', join(scratch, 'data'), '--www', scratch]);
  base = server.base;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test('the tarball carries the ESM entry, the classic script, the wasm and the types', () => {
  const files = readdirSync(join(scratch, 'node_modules', 'lineup-sdk', 'dist')).sort();
  assert.deepEqual(files, ['index.d.ts', 'index.js', 'lineup-crvideo.js', 'lineup_crvideo.js', 'lineup_crvideo_bg.wasm', 'lineup_sdk.js', 'lineup_sdk_bg.wasm', 'protocol.d.ts']);
});

test('a plain page drives the CRVideo functions as CloudRoom\'s guide does', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${base}/plain/index.html`);
  await page.waitForFunction(() => window.__done === true, null, { timeout: 10000 });
  const log = await page.evaluate(() => window.log);
  assert.equal(log[0][0], 'LoginSuccess');
  assert.equal(log[0][2], 'login-cookie');
  assert.deepEqual(log.find((e) => e[0] === 'InitQueueDatRslt'), ['InitQueueDatRslt', 0, 3, 'VIP customers']);
  assert.deepEqual(log.find((e) => e[0] === 'StartQueuingRslt'), ['StartQueuingRslt', 0]);
  const info = log.find((e) => e[0] === 'QueuingInfoChanged');
  assert.equal(info[1], 1);
  assert.equal(typeof info[2], 'number');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a Vite build of the ESM API loads the wasm and talks to the server', async () => {
  const page = await browser.newPage();
  await page.goto(`${base}/vite/dist/index.html`);
  await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 10000 });
  const r = await page.evaluate(() => window.__result);
  assert.equal(r.failed, undefined, r.failed);
  assert.equal(r.queues, 3);
  assert.equal(r.state, 'online');
  assert.deepEqual(r.error, { isLineupError: true, isError: true, code: 404 });
  assert.equal(r.queuing.queID, 1);
  assert.ok(r.positions.length >= 1);
  await page.close();
});

test('an example type-checks against the shipped index.d.ts', () => {
  const dir = join(scratch, 'types');
  mkdirSync(dir);
  copyFileSync(join(fixtures, 'types-example.ts'), join(dir, 'example.ts'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, target: 'es2022', module: 'es2022', moduleResolution: 'bundler', lib: ['es2022', 'dom'], skipLibCheck: false },
    files: ['example.ts'],
  }));
  // Resolve lineup-sdk from the scratch project's node_modules.
  execFileSync(bin('tsc'), ['-p', join(dir, 'tsconfig.json')], { cwd: dir, stdio: 'inherit' });
});

test('the types hold under bundler, node16 and nodenext resolution, and are not any', () => {
  for (const [module, moduleResolution] of [['esnext', 'bundler'], ['node16', 'node16'], ['nodenext', 'nodenext']]) {
    for (const skipLibCheck of [false, true]) {
      const dir = join(scratch, `types-${moduleResolution}-${skipLibCheck}`);
      mkdirSync(dir);
      copyFileSync(join(fixtures, 'types-example.ts'), join(dir, 'example.ts'));
      // Under skipLibCheck a declaration file that does not resolve turns its types into
      // any, silently: the example's @ts-expect-error lines then fail instead.
      copyFileSync(join(fixtures, 'types-not-any.ts'), join(dir, 'not-any.ts'));
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, target: 'es2022', module, moduleResolution, lib: ['es2022', 'dom'], skipLibCheck, types: [] },
        files: ['example.ts', 'not-any.ts'],
      }));
      execFileSync(bin('tsc'), ['-p', join(dir, 'tsconfig.json')], { cwd: dir, stdio: 'inherit' });
    }
  }
});

test('the package is ready to publish: npm publish --dry-run is clean, the README stands alone', () => {
  const out = execFileSync('npm', ['publish', '--dry-run', '--json'], { cwd: js, stdio: ['ignore', 'pipe', 'pipe'] });
  const { files } = JSON.parse(out.toString())['lineup-sdk'];
  const paths = files.map((f) => f.path).sort();
  for (const f of ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/protocol.d.ts']) assert.ok(paths.includes(f), `${f} in ${paths}`);
  // npm's own warnings (a field it had to correct, a file it drops) fail; being logged
  // out of the registry is what a dry run on CI is.
  const warned = execFileSync('sh', ['-c', 'npm publish --dry-run 2>&1 >/dev/null'], { cwd: js }).toString()
    .split('\n').filter((l) => /warn|ERR/i.test(l) && !/requires you to be logged in/.test(l));
  assert.deepEqual(warned, []);
  const pkg = JSON.parse(readFileSync(join(scratch, 'node_modules', 'lineup-sdk', 'package.json'), 'utf8'));
  assert.equal(pkg.license, 'MIT');
  assert.match(pkg.repository.url, /^git\+https:\/\//);
  assert.match(readFileSync(join(scratch, 'node_modules', 'lineup-sdk', 'LICENSE'), 'utf8'), /^MIT License/);
  // Every link of the installed README works there: no ../ path out of the package, no
  // relative link to a file the tarball lacks.
  const readme = readFileSync(join(scratch, 'node_modules', 'lineup-sdk', 'README.md'), 'utf8');
  for (const [, target] of readme.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^(https?:|#|mailto:)/.test(target)) continue;
    assert.ok(existsSync(join(scratch, 'node_modules', 'lineup-sdk', target)), `README links ${target}, which is not in the package`);
  }
});

// The package in the bundlers people use, installed from the packed tarball as the
// README says: the example app (examples/web: Vite + TypeScript, agent and customer
// pages on the modern API, the classic CRVideo page beside them) type-checked and built
// with Vite 7 and Vite 6, and run by each one's dev server (which pre-bundles the
// package), plus a webpack 5 and a Rollup build; each one's pages driven in Chromium
// against a real lineup-server. npm installs come from the registry through npm's cache.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, cpSync, copyFileSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { js, root, startServer, launchChromium } from './harness.mjs';

const npmInstall = (cwd, ...pkgs) =>
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--prefer-offline', '--loglevel=error', ...pkgs], { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
let scratch, tarball, browser;
const started = [];

/** examples/web copied into `name`, on the tarball and `vite` (a version range), installed. */
function exampleApp(name, vite) {
  const dir = join(scratch, name);
  cpSync(join(root, 'examples', 'web'), dir, { recursive: true, filter: (p) => !/node_modules|[/\\]dist$/.test(p) });
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  pkg.dependencies['lineup-sdk'] = `file:${tarball}`;
  pkg.devDependencies.vite = vite;
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  npmInstall(dir);
  return dir;
}

before(async () => {
  assert.ok(existsSync(join(js, 'dist', 'lineup_sdk_bg.wasm')), 'run `cargo xtask sdk` first (cargo xtask test does)');
  scratch = mkdtempSync(join(tmpdir(), 'lineup-bundlers-'));
  const name = execFileSync('npm', ['pack', '--pack-destination', scratch, '--silent'], { cwd: js }).toString().trim().split('\n').pop();
  tarball = join(scratch, name);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  for (const s of started) await s.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** A lineup-server of its own (each run's customers wait in their own queues) serving
 * `www` and the built package. */
async function lineup(www) {
  const s = await startServer(['--data', mkdtempSync(join(scratch, 'data-')), '--www', www, '--sdk', join(js, 'dist')]);
  started.push({ close: () => s.stop() });
  return s;
}

/** Opens `url`; resolves when `#id`'s text satisfies `want`, returns the page. */
async function shows(url, id, want, errors = []) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForFunction(([id, want]) => new RegExp(want).test(document.getElementById(id)?.textContent || ''), [id, want.source], { timeout: 15000 })
    .catch(async (e) => { throw new Error(`${url}: #${id} is ${JSON.stringify(await page.textContent('#' + id))}; errors ${errors}: ${e.message}`); });
  return page;
}

/** The example's three pages at `base`: a customer waits, the agent takes it, the
 * classic page queues too. */
async function runExample(base) {
  const errors = [];
  const customer = await shows(`${base}/customer.html`, 'status', /^waiting$/, errors);
  const agent = await shows(`${base}/agent.html`, 'state', /^online, serving /, errors);
  await customer.waitForFunction(() => document.getElementById('status').textContent === 'an agent is serving you', null, { timeout: 15000 });
  assert.match(await agent.textContent('#customer'), /^customer-/);
  await agent.click('#finish');
  await agent.waitForFunction(() => document.getElementById('customer').textContent === 'none');
  const classic = await shows(`${base}/classic.html`, 'status', /^(waiting|an agent is serving you)$/, errors);
  for (const p of [customer, agent, classic]) await p.close();
  assert.deepEqual(errors, []);
}

/** Vite's dev server for `dir` on a free port, passing /api, /ws and /sdk to `target`. */
async function viteDev(dir, target) {
  const { createServer } = await import(pathToFileURL(join(dir, 'node_modules', 'vite', 'dist', 'node', 'index.js')).href);
  process.env.LINEUP_SERVER = target.base;
  const dev = await createServer({ root: dir, configFile: join(dir, 'vite.config.js'), logLevel: 'silent', server: { port: 0, host: '127.0.0.1' } });
  await dev.listen();
  started.push(dev);
  return dev.resolvedUrls.local[0].replace(/\/$/, '');
}

for (const [major, range] of [['7', '^7.3.8'], ['6', '^6']]) {
  test(`the example app type-checks, builds and runs with Vite ${major} (build and dev server)`, async () => {
    const dir = exampleApp(`vite${major}`, range);
    const version = JSON.parse(readFileSync(join(dir, 'node_modules', 'vite', 'package.json'), 'utf8')).version;
    assert.equal(version.split('.')[0], major, `vite ${version}`);
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    await runExample((await lineup(join(dir, 'dist'))).base);
    await runExample(await viteDev(dir, await lineup(dir)));
  });
}

/** A scratch app `name` with the tarball and `pkgs` installed, its entry the fixture
 * page's module. */
function bundlerApp(name, ...pkgs) {
  const dir = join(scratch, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `${name}-app`, private: true, type: 'module' }));
  npmInstall(dir, tarball, ...pkgs);
  copyFileSync(join(js, 'test', 'fixtures', 'vite-main.js'), join(dir, 'main.js'));
  return dir;
}

/** The fixture page of `dist` served by lineup-server: its result. */
async function fixtureResult(dist) {
  writeFileSync(join(dist, 'index.html'), readFileSync(join(js, 'test', 'fixtures', 'vite-index.html'), 'utf8'));
  const server = await lineup(dist);
  const page = await browser.newPage();
  await page.goto(`${server.base}/index.html`);
  await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 15000 });
  const r = await page.evaluate(() => window.__result);
  await page.close();
  return r;
}

test('a webpack 5 build of the modern API loads the wasm and talks to the server', async () => {
  const dir = bundlerApp('webpack', 'webpack@^5');
  const { default: webpack } = await import(pathToFileURL(join(dir, 'node_modules', 'webpack', 'lib', 'index.js')).href);
  const stats = await new Promise((resolve, reject) => webpack({
    mode: 'production', context: dir, entry: './main.js', output: { path: join(dir, 'dist'), publicPath: 'auto' },
  }, (err, s) => (err ? reject(err) : resolve(s))));
  assert.ok(!stats.hasErrors(), stats.toString('errors-only'));
  const r = await fixtureResult(join(dir, 'dist'));
  assert.equal(r.failed, undefined, r.failed);
  assert.equal(r.state, 'online');
});

test('a Rollup build loads the wasm copied beside the bundle, as the README says', async () => {
  const dir = bundlerApp('rollup', 'rollup@^4', '@rollup/plugin-node-resolve@^16');
  const { rollup } = await import(pathToFileURL(join(dir, 'node_modules', 'rollup', 'dist', 'es', 'rollup.js')).href);
  const { nodeResolve } = await import(pathToFileURL(join(dir, 'node_modules', '@rollup', 'plugin-node-resolve', 'dist', 'es', 'index.js')).href);
  const bundle = await rollup({ input: join(dir, 'main.js'), plugins: [nodeResolve({ browser: true })] });
  await bundle.write({ dir: join(dir, 'dist'), format: 'es' });
  copyFileSync(join(dir, 'node_modules', 'lineup-sdk', 'dist', 'lineup_sdk_bg.wasm'), join(dir, 'dist', 'lineup_sdk_bg.wasm'));
  const r = await fixtureResult(join(dir, 'dist'));
  assert.equal(r.failed, undefined, r.failed);
  assert.equal(r.state, 'online');
});

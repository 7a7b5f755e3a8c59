// A call's audio and video on a cluster (CLUSTER.md), as a business behind a load
// balancer has it: three lineup-server nodes on a throwaway PostgreSQL, two pages
// written from CloudRoom's call guide (mediaguide.js) loaded from a node that does not
// own the demo app (their sockets are carried to the owner). The pages see and hear each
// other through the owner's media server; the owner is killed (SIGKILL); the node
// carrying the sockets resumes them at the app's next owner, which tells each page its
// media is lost, and the SDK joins the room's media there. Printed: how long after the
// kill each page decodes video and receives audio again (getStats).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readdirSync, chownSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { js, startServer, launchChromium, freePort, FAKE_MEDIA, DEMO_KEY, logged, inbound } from './harness.mjs';

const SECRET = 'the cluster secret of the js tests';

/** PostgreSQL's initdb and pg_ctl: on PATH, else the newest /usr/lib/postgresql/N/bin. */
function pgBin() {
  for (const dir of (process.env.PATH || '').split(':')) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).map((v) => join(root, v, 'bin')).filter((d) => existsSync(join(d, 'initdb'))) : [];
  assert.ok(versions.length > 0, 'PostgreSQL is needed (cargo xtask test installs it)');
  return versions.sort().pop();
}

/** A throwaway PostgreSQL on a free port (run as `postgres` when we are root, as the
 * server refuses root). `stop()` ends it and removes its directory. */
async function throwawayPg() {
  const dir = mkdtempSync(join(tmpdir(), 'lineup-js-pg-'));
  const asPostgres = process.getuid && process.getuid() === 0;
  if (asPostgres) {
    const id = (name) => Number(spawnSync('id', ['-u', name]).stdout.toString().trim());
    chownSync(dir, id('postgres'), Number(spawnSync('id', ['-g', 'postgres']).stdout.toString().trim()));
  }
  const bin = pgBin();
  const run = (tool, args) => {
    const [cmd, all] = asPostgres ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
    return spawnSync(cmd, all, { cwd: dir, stdio: 'ignore' }).status === 0;
  };
  const data = join(dir, 'data');
  assert.ok(run('initdb', ['-D', data, '-A', 'trust', '-U', 'lineup', '-E', 'UTF8', '--no-sync']), 'initdb');
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const opts = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c max_connections=200`;
    if (run('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '30', '-o', opts, 'start'])) {
      return {
        url: `postgres://lineup@127.0.0.1:${port}/postgres`,
        stop() {
          run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
  }
  const log = existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8') : '';
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`the throwaway PostgreSQL did not start: ${log}`);
}

/** The node (index) that owns `app` now, once exactly one does. */
async function owner(nodes, app, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const owners = [];
    for (const [i, n] of nodes.entries()) {
      try {
        const h = await (await fetch(n.base + '/healthz')).json();
        if ((h.apps || []).includes(app)) owners.push(i);
      } catch { /* a node that is down */ }
    }
    if (owners.length === 1) return owners[0];
    if (Date.now() > end) throw new Error(`no single owner of ${app} within ${ms} ms: ${owners}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a call on a cluster carries audio and video, and again soon after its owner is killed', async () => {
  assert.ok(existsSync(join(js, 'dist', 'lineup_crvideo_bg.wasm')), 'run `cargo xtask sdk` first (cargo xtask test does)');
  const pg = await throwawayPg();
  const nodes = [];
  let browser;
  const errors = [];
  try {
    const ids = ['node-a', 'node-b', 'node-c'];
    for (const id of ids) {
      nodes.push(await startServer(['--database', pg.url, '--cluster-secret', SECRET, '--node-id', id,
        '--www', join(js, 'test', 'fixtures'), '--sdk', join(js, 'dist')]));
    }
    const owned = await owner(nodes, 'demo');
    const via = nodes[(owned + 1) % nodes.length];
    browser = await launchChromium(FAKE_MEDIA);
    const open = async (role, uid, extra = '') => {
      const page = await (await browser.newContext()).newPage();
      page.on('pageerror', (e) => errors.push(`${role}: ${e.message}`));
      await page.goto(`${via.base}/mediaguide.html?role=${role}&uid=${uid}&key=${DEMO_KEY}${extra}`);
      return page;
    };
    const customer = await open('customer', 'cm-cust');
    await logged(customer, 'LoginSuccess', (e) => e[0] === 'LoginSuccess', 15000);
    const agent = await open('agent', 'cm-agent', '&callee=cm-cust');
    const pages = [['agent', agent], ['customer', customer]];
    // Media through the owner: each page decodes the other's video and gets its audio.
    // (No figures while the page has no media connection: before it joins, while the
    // SDK replaces it.)
    const stats = (page) => inbound(page).catch(() => null);
    const flowing = async (page, after, ms) => {
      const end = Date.now() + ms;
      let last = await stats(page);
      for (;;) {
        await new Promise((r) => setTimeout(r, 100));
        const now = await stats(page);
        const t = Date.now();
        // Both grew since the last look, and that look came after `after`.
        const grew = last && now && now.framesDecoded > last.framesDecoded && now.audioBytes > last.audioBytes;
        if (grew && t - 100 >= after) return t;
        if (t > end) return null;
        last = now;
      }
    };
    for (const [who, page] of pages) {
      await logged(page, 'EnterMeetingRslt', (e) => e[0] === 'EnterMeetingRslt' && e[1] === 0, 15000);
      assert.ok(await flowing(page, 0, 20000), `the ${who} sees and hears the other through the owner's media`);
    }
    // The owner is killed.
    const killedAt = Date.now();
    nodes[owned].stop('SIGKILL');
    await nodes[owned].exited;
    // Past the packets already on their way: media counted from 300 ms after the kill.
    const again = await Promise.all(pages.map(([, page]) => flowing(page, killedAt + 300, 20000)));
    const next = await owner(nodes.filter((_, i) => i !== owned), 'demo');
    for (const [i, [who]] of pages.entries()) {
      assert.ok(again[i], `the ${who}'s audio and video come back after the owner's kill`);
    }
    const secs = again.map((t) => ((t - killedAt) / 1000).toFixed(2));
    console.log(`cluster media after kill -9 of the owner (next owner ${ids[next >= owned ? next + 1 : next]}): audio and video again at the agent in ${secs[0]} s, at the customer in ${secs[1]} s`);
    for (const [who, page] of pages) {
      const log = await page.evaluate(() => window.__log);
      assert.ok(!log.some((e) => e[0] === 'MeetingDropped'), `the ${who}'s call went on: ${JSON.stringify(log.filter((e) => e[0] === 'MeetingDropped'))}`);
    }
    assert.deepEqual(errors, []);
  } finally {
    if (browser) await browser.close();
    for (const n of nodes) n.stop('SIGKILL');
    await Promise.all(nodes.map((n) => n.exited));
    pg.stop();
  }
});

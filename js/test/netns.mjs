// The network tests' customer: a Chromium in a network namespace of its own, joined to
// the server's host by a veth pair, in a call with an agent's Chromium on the host,
// both on the media fixture page (CloudRoom's call guide with audio and video). Needs
// root (ip netns), as `cargo xtask test` runs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { js, startServer, launchChromium, DEMO_KEY, logged } from './harness.mjs';

export const run = (cmd, ...args) => execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
const quietly = (f) => { try { f(); } catch { /* already gone */ } };

/**
 * A namespace `ns` whose interface `nsIf` (address `nsIp`) pairs with the host's `hostIf`
 * (`hostIp`, a /30). `setup()` makes it afresh (then runs `then(inNs)`, e.g. a
 * firewall), `teardown()` removes it, `inNs(...)` runs a command inside.
 */
export function customerNetns({ ns, hostIf, nsIf, hostIp, nsIp, then }) {
  const inNs = (...args) => run('ip', 'netns', 'exec', ns, ...args);
  const teardown = () => {
    quietly(() => run('ip', 'link', 'del', hostIf));
    quietly(() => run('ip', 'netns', 'del', ns));
  };
  const setup = () => {
    teardown();
    run('ip', 'netns', 'add', ns);
    run('ip', 'link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
    run('ip', 'link', 'set', nsIf, 'netns', ns);
    run('ip', 'addr', 'add', `${hostIp}/30`, 'dev', hostIf);
    run('ip', 'link', 'set', hostIf, 'up');
    inNs('ip', 'addr', 'add', `${nsIp}/30`, 'dev', nsIf);
    inNs('ip', 'link', 'set', nsIf, 'up');
    inNs('ip', 'link', 'set', 'lo', 'up');
    then?.(inNs);
  };
  return { ns, hostIf, nsIf, hostIp, nsIp, inNs, setup, teardown };
}

/**
 * Sets up `net`, starts a server on its host address (with `serverArgs`), an agent's
 * Chromium on the host and a customer's in the namespace (fake devices), and opens the
 * media fixture page for each: the agent creates the room, the customer enters it, and
 * both wait until the server has their microphone (`beforePages(server)` runs first).
 * `body({ server, agent, customer, errors, dataDir })` runs; then everything is
 * removed, whatever happened.
 */
export async function withCall(prefix, net, uids, serverArgs, body, beforePages = async () => {}) {
  assert.ok(existsSync(join(js, 'dist', 'lineup_crvideo_bg.wasm')), 'run `cargo xtask sdk` first (cargo xtask test does)');
  assert.equal(process.getuid(), 0, 'this test makes a network namespace: run it as root (cargo xtask test does)');
  net.setup();
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const wrapper = join(dataDir, 'chromium-in-netns');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${net.ns} /usr/bin/chromium "$@"\n`);
  chmodSync(wrapper, 0o755);
  let server, agentBrowser, custBrowser;
  try {
    server = await startServer(['--data', dataDir, '--www', join(js, 'test', 'fixtures'), '--sdk', join(js, 'dist'), ...serverArgs(dataDir)],
      undefined, net.hostIp);
    await beforePages(server);
    // getUserMedia needs a secure origin; the server's address is a plain http one.
    const flags = [
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required',
      `--unsafely-treat-insecure-origin-as-secure=${server.base}`,
    ];
    agentBrowser = await launchChromium(flags);
    custBrowser = await launchChromium(flags, wrapper);
    const errors = [];
    const open = async (browser, role, uid, extra = '') => {
      const page = await (await browser.newContext()).newPage();
      page.on('pageerror', (e) => errors.push(`${role}: ${e.message}`));
      await page.goto(`${server.base}/mediaguide.html?role=${role}&uid=${uid}&key=${DEMO_KEY}${extra}`);
      return page;
    };
    const agent = await open(agentBrowser, 'agent', uids.agent);
    const created = await logged(agent, 'CreateMeetingSuccess', (e) => e[0] === 'CreateMeetingSuccess', 15000);
    const customer = await open(custBrowser, 'customer', uids.customer, `&meet=${created[1]}`);
    for (const [page, uid] of [[agent, uids.agent], [customer, uids.customer]]) {
      await logged(page, 'its microphone open at the server', (e) => e[0] === 'AudioStatusChanged' && e[1] === uid && e[3] === AOPEN, 30000);
    }
    await body({ server, agent, customer, errors, dataDir, meetID: created[1] });
  } finally {
    await agentBrowser?.close();
    await custBrowser?.close();
    server?.stop();
    net.teardown();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** CloudRoom's AOPEN. */
export const AOPEN = 3;

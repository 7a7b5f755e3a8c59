// A customer on a network that lets no UDP out (an office or hotel firewall): its
// Chromium runs in a network namespace of its own, joined to the server's host by a veth
// pair, where nftables drops every UDP packet. Signalling is a WebSocket (TCP) as
// always; the media server also offers a passive ICE-TCP candidate, so the browser
// reaches it over TCP: both pages decode each other's video and hear audio, the
// customer's selected candidate pair is TCP, and the agent (UDP allowed) stays on UDP.
// Needs root (ip netns, nft), as `cargo xtask test` runs (it installs nftables).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { js, startServer, launchChromium, DEMO_KEY, logged, grows } from './harness.mjs';

const NS = 'lineup-tcp';
const HOST_IF = 'lnup-thost';
const NS_IF = 'lnup-tcust';
const HOST_IP = '10.213.78.1';
const NS_IP = '10.213.78.2';

const run = (cmd, ...args) => execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
const inNs = (...args) => run('ip', 'netns', 'exec', NS, ...args);
const quietly = (f) => { try { f(); } catch { /* already gone */ } };

function teardown() {
  quietly(() => run('ip', 'link', 'del', HOST_IF));
  quietly(() => run('ip', 'netns', 'del', NS));
}

function setup() {
  teardown();
  run('ip', 'netns', 'add', NS);
  run('ip', 'link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', NS_IF);
  run('ip', 'link', 'set', NS_IF, 'netns', NS);
  run('ip', 'addr', 'add', `${HOST_IP}/30`, 'dev', HOST_IF);
  run('ip', 'link', 'set', HOST_IF, 'up');
  inNs('ip', 'addr', 'add', `${NS_IP}/30`, 'dev', NS_IF);
  inNs('ip', 'link', 'set', NS_IF, 'up');
  inNs('ip', 'link', 'set', 'lo', 'up');
  // The firewall: no UDP in or out of the customer's namespace.
  inNs('nft', 'add', 'table', 'inet', 'lnup');
  for (const [chain, hook] of [['out', 'output'], ['in', 'input']]) {
    inNs('nft', 'add', 'chain', 'inet', 'lnup', chain, `{ type filter hook ${hook} priority 0 ; policy accept ; }`);
    inNs('nft', 'add', 'rule', 'inet', 'lnup', chain, 'meta', 'l4proto', 'udp', 'counter', 'drop');
  }
}

/** The protocol of the page's selected ICE candidate pair's local candidate. */
function selectedProtocol(page) {
  return page.evaluate(async () => {
    const report = await CRVideo_GetMediaStats();
    let pairId = null;
    report.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId; });
    const pair = pairId && report.get(pairId);
    const local = pair && report.get(pair.localCandidateId);
    return local ? local.protocol : `no selected pair (${pairId})`;
  });
}

/** Waits until the page's selected pair is known (bounded). */
async function protocolOf(page, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const p = await selectedProtocol(page);
    if (p === 'tcp' || p === 'udp' || Date.now() > end) return p;
    await new Promise((r) => setTimeout(r, 300));
  }
}

test('a customer whose network blocks UDP gets the call\'s audio and video over ICE-TCP', async () => {
  assert.ok(existsSync(join(js, 'dist', 'lineup_crvideo_bg.wasm')), 'run `cargo xtask sdk` first (cargo xtask test does)');
  assert.equal(process.getuid(), 0, 'this test makes a network namespace: run it as root (cargo xtask test does)');
  setup();
  // UDP from the namespace really is blocked (the rule counts what it drops).
  quietly(() => inNs('sh', '-c', `printf x > /dev/udp/${HOST_IP}/9`));
  const dataDir = mkdtempSync(join(tmpdir(), 'lineup-icetcp-'));
  const wrapper = join(dataDir, 'chromium-in-netns');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${NS} /usr/bin/chromium "$@"\n`);
  chmodSync(wrapper, 0o755);
  const server = await startServer(['--data', dataDir, '--www', join(js, 'test', 'fixtures'), '--sdk', join(js, 'dist')], undefined, HOST_IP);
  const flags = [
    '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required',
    `--unsafely-treat-insecure-origin-as-secure=${server.base}`,
  ];
  const agentBrowser = await launchChromium(flags);
  const custBrowser = await launchChromium(flags, wrapper);
  const errors = [];
  try {
    const open = async (browser, role, uid, extra = '') => {
      const page = await (await browser.newContext()).newPage();
      page.on('pageerror', (e) => errors.push(`${role}: ${e.message}`));
      await page.goto(`${server.base}/mediaguide.html?role=${role}&uid=${uid}&key=${DEMO_KEY}${extra}`);
      return page;
    };
    const agent = await open(agentBrowser, 'agent', 'tcp-agent');
    const created = await logged(agent, 'CreateMeetingSuccess', (e) => e[0] === 'CreateMeetingSuccess', 15000);
    const customer = await open(custBrowser, 'customer', 'tcp-cust', `&meet=${created[1]}`);
    for (const [page, uid] of [[agent, 'tcp-agent'], [customer, 'tcp-cust']]) {
      await logged(page, 'its microphone open at the server', (e) => e[0] === 'AudioStatusChanged' && e[1] === uid && e[3] === CRVIDEO_AOPEN, 30000);
    }
    for (const [who, page] of [['agent', agent], ['customer', customer]]) {
      assert.ok(await grows(page, 'framesDecoded', 20000) > 0, `the ${who} decodes the other's video`);
      assert.ok(await grows(page, 'audioBytes', 10000) > 0, `the ${who} receives the other's audio`);
    }
    assert.equal(await protocolOf(customer), 'tcp', 'the customer\'s media goes over TCP');
    assert.equal(await protocolOf(agent), 'udp', 'the agent, with UDP, stays on UDP');
    const dropped = execFileSync('ip', ['netns', 'exec', NS, 'nft', 'list', 'chain', 'inet', 'lnup', 'out'], { encoding: 'utf8' });
    assert.match(dropped, /counter packets [1-9]/, `UDP was tried and dropped:\n${dropped}`);
    assert.deepEqual(errors, [], 'no page error');
  } finally {
    await agentBrowser.close();
    await custBrowser.close();
    server.stop();
    teardown();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

const CRVIDEO_AOPEN = 3;

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
import { grows } from './harness.mjs';
import { customerNetns, withCall } from './netns.mjs';

/** The firewall: no UDP in or out of the customer's namespace (counted). */
function blockUdp(inNs) {
  inNs('nft', 'add', 'table', 'inet', 'lnup');
  for (const [chain, hook] of [['out', 'output'], ['in', 'input']]) {
    inNs('nft', 'add', 'chain', 'inet', 'lnup', chain, `{ type filter hook ${hook} priority 0 ; policy accept ; }`);
    inNs('nft', 'add', 'rule', 'inet', 'lnup', chain, 'meta', 'l4proto', 'udp', 'counter', 'drop');
  }
}

const net = customerNetns({
  ns: 'lineup-tcp', hostIf: 'lnup-thost', nsIf: 'lnup-tcust', hostIp: '10.213.78.1', nsIp: '10.213.78.2', then: blockUdp,
});

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
  await withCall('lineup-icetcp-', net, { agent: 'tcp-agent', customer: 'tcp-cust' }, () => [], async ({ agent, customer, errors }) => {
    for (const [who, page] of [['agent', agent], ['customer', customer]]) {
      assert.ok(await grows(page, 'framesDecoded', 20000) > 0, `the ${who} decodes the other's video`);
      assert.ok(await grows(page, 'audioBytes', 10000) > 0, `the ${who} receives the other's audio`);
    }
    assert.equal(await protocolOf(customer), 'tcp', 'the customer\'s media goes over TCP');
    assert.equal(await protocolOf(agent), 'udp', 'the agent, with UDP, stays on UDP');
    const dropped = execFileSync('ip', ['netns', 'exec', net.ns, 'nft', 'list', 'chain', 'inet', 'lnup', 'out'], { encoding: 'utf8' });
    assert.match(dropped, /counter packets [1-9]/, `UDP was tried and dropped:\n${dropped}`);
    assert.deepEqual(errors, [], 'no page error');
  });
});

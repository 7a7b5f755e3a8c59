// A call on a bad network, measured. The customer's Chromium runs in a network namespace
// of its own (a veth pair to the server's host). Its media goes through a UDP relay run
// by this test (the server announces the relay's address): the relay drops and delays
// the customer's packets, both ways, on a seeded schedule (this machine's `tc` has no
// netem); `tc tbf` caps the customer's link for the narrow case. The agent is on the
// host, through the relay but untouched. For each case the test prints, per direction,
// what the receiving page's getStats says over a 20 s window: video frames decoded per
// second, the longest stall (no new frame), freezes, packets lost and NACKs, the
// jitter buffer's delay, audio concealment, and the sender's bitrate. The goals (audio
// concealment ≤ 10 % at 5 % loss, no video stall over 2 s, a bitrate that adapts under
// the cap) are figures to report, not assertions: the test asserts only that video
// flows both ways in every case. Needs root (ip netns, tc), as `cargo xtask test` runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { freePort } from './harness.mjs';
import { customerNetns, withCall, run } from './netns.mjs';

const net = customerNetns({ ns: 'lineup-bad', hostIf: 'lnup-bhost', nsIf: 'lnup-bcust', hostIp: '10.213.79.1', nsIp: '10.213.79.2' });
const { hostIf: HOST_IF, nsIf: NS_IF, hostIp: HOST_IP, nsIp: NS_IP } = net;
const WINDOW_MS = 20000;
const quietly = (f) => { try { f(); } catch { /* none there */ } };

/** A rate cap on the customer's link, both ways (kbit/s; 0 removes it). */
function cap(kbit) {
  quietly(() => run('tc', 'qdisc', 'del', 'dev', HOST_IF, 'root'));
  quietly(() => net.inNs('tc', 'qdisc', 'del', 'dev', NS_IF, 'root'));
  if (kbit > 0) {
    const tbf = ['root', 'tbf', 'rate', `${kbit}kbit`, 'burst', '16kb', 'latency', '300ms'];
    run('tc', 'qdisc', 'add', 'dev', HOST_IF, ...tbf);
    net.inNs('tc', 'qdisc', 'add', 'dev', NS_IF, ...tbf);
  }
}

/** xorshift32: the relay's schedule is the same every run. */
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 4294967296;
  };
}

/**
 * The relay: listens at `front` (what browsers are told), forwards each source's
 * packets to the server at `back` from a socket of its own, and the answers back.
 * Packets of sources from `impaired` (an IP) are dropped with `loss` and delayed by
 * `delay` ± `jitter` ms, both ways.
 */
async function relay(front, back, impaired) {
  const random = rng(20261207);
  const conditions = { loss: 0, delay: 0, jitter: 0 };
  const main = dgram.createSocket('udp4');
  const legs = new Map();
  const counts = { forwarded: 0, dropped: 0 };
  const pass = (bad, send) => {
    if (bad && conditions.loss > 0 && random() < conditions.loss) { counts.dropped++; return; }
    counts.forwarded++;
    const wait = bad ? conditions.delay + (random() * 2 - 1) * conditions.jitter : 0;
    if (wait > 0) setTimeout(send, wait); else send();
  };
  main.on('message', (msg, from) => {
    const key = `${from.address}:${from.port}`;
    let leg = legs.get(key);
    if (!leg) {
      leg = dgram.createSocket('udp4');
      leg.bind(0, '127.0.0.1');
      leg.on('message', (answer) => pass(from.address === impaired, () => main.send(answer, from.port, from.address)));
      legs.set(key, leg);
    }
    pass(from.address === impaired, () => leg.send(msg, back.port, back.address));
  });
  await new Promise((resolve) => main.bind(front.port, front.address, resolve));
  return {
    conditions, counts,
    close() { main.close(); for (const l of legs.values()) l.close(); },
  };
}

/** The figures of a page's getStats that the window compares. */
function snapshot(page) {
  return page.evaluate(async () => {
    // Between a lost media connection and its replacement there are no figures.
    const report = await CRVideo_GetMediaStats().catch(() => null);
    if (!report) return null;
    const s = { at: performance.now(), frames: 0, freezes: 0, freezeMs: 0, lost: 0, nacks: 0, jbDelay: 0, jbCount: 0,
      concealed: 0, samples: 0, sentVideoBytes: 0, targetBitrate: 0, audioLost: 0, videoReceived: 0 };
    report.forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') {
        s.frames += r.framesDecoded || 0; s.freezes += r.freezeCount || 0; s.freezeMs += (r.totalFreezesDuration || 0) * 1000;
        s.lost += r.packetsLost || 0; s.nacks += r.nackCount || 0; s.videoReceived += r.packetsReceived || 0;
        s.jbDelay += r.jitterBufferDelay || 0; s.jbCount += r.jitterBufferEmittedCount || 0;
      }
      if (r.type === 'inbound-rtp' && r.kind === 'audio') {
        s.concealed += r.concealedSamples || 0; s.samples += r.totalSamplesReceived || 0; s.audioLost += r.packetsLost || 0;
      }
      if (r.type === 'outbound-rtp' && r.kind === 'video') {
        s.sentVideoBytes += r.bytesSent || 0; s.targetBitrate = Math.max(s.targetBitrate, r.targetBitrate || 0);
      }
    });
    return s;
  });
}

/** Watches `receiver` (and the `sender` of what it receives) for WINDOW_MS. */
async function measure(receiver, sender) {
  const reconnectsBefore = await reconnects(receiver) + await reconnects(sender);
  const first = await settled(receiver);
  const sentFirst = await settled(sender);
  let last = first;
  let lastNewFrame = first.at;
  let stall = 0;
  const end = Date.now() + WINDOW_MS;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 250));
    const now = await snapshot(receiver);
    if (!now) continue; // reconnecting: the stall goes on
    if (now.frames < last.frames) { last = now; lastNewFrame = now.at; continue; } // a new connection's counters
    if (now.frames > last.frames) lastNewFrame = now.at;
    stall = Math.max(stall, now.at - lastNewFrame);
    last = now;
  }
  const sentLast = await settled(sender);
  const secs = (last.at - first.at) / 1000;
  const d = (k) => last[k] - first[k];
  return {
    fps: d('frames') / secs,
    stallMs: stall,
    freezes: d('freezes'),
    lost: d('lost'),
    lostPct: (100 * d('lost')) / Math.max(1, d('lost') + d('videoReceived')),
    nacks: d('nacks'),
    jitterBufferMs: d('jbCount') > 0 ? (1000 * d('jbDelay')) / d('jbCount') : 0,
    concealedPct: d('samples') > 0 ? (100 * d('concealed')) / d('samples') : 0,
    sendKbps: (8 * (sentLast.sentVideoBytes - sentFirst.sentVideoBytes)) / ((sentLast.at - sentFirst.at) / 1000) / 1000,
    targetKbps: sentLast.targetBitrate / 1000,
    reconnects: await reconnects(receiver) + await reconnects(sender) - reconnectsBefore,
  };
}

/** A snapshot once the page has a media connection (bounded). */
async function settled(page) {
  for (let i = 0; i < 100; i++) {
    const s = await snapshot(page);
    if (s) return s;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('no media connection for 20 s');
}

/** How often the page's microphone went AOPENING → AOPEN (each media connection once). */
const reconnects = (page) => page.evaluate(() => (window.__log || []).filter((e) => e[0] === 'AudioStatusChanged' && e[3] === 3).length);

const row = (name, dir, m) => `| ${name} | ${dir} | ${m.fps.toFixed(1)} | ${(m.stallMs / 1000).toFixed(1)} s | ${m.freezes} | `
  + `${m.lost} (${m.lostPct.toFixed(1)} %) | ${m.nacks} | ${m.jitterBufferMs.toFixed(0)} ms | ${m.concealedPct.toFixed(1)} % | `
  + `${m.sendKbps.toFixed(0)} kbit/s (target ${m.targetKbps.toFixed(0)}) | ${m.reconnects} |`;

test('a call on a lossy, jittery, then narrow customer link: per-direction figures', { timeout: 300000 }, async () => {
  // The server's media socket is on loopback; browsers are told the relay's address.
  const mediaPort = await freePort();
  const serverArgs = () => ['--media-udp', `127.0.0.1:${mediaPort}`, '--media-public-ip', HOST_IP, '--media-tcp', 'off'];
  let relayed;
  const rows = [];
  const flows = [];
  try {
    const relayFirst = async () => {
      relayed = await relay({ address: HOST_IP, port: mediaPort }, { address: '127.0.0.1', port: mediaPort }, NS_IP);
    };
    await withCall('lineup-badnet-', net, { agent: 'bad-agent', customer: 'bad-cust' }, serverArgs,
      async ({ agent, customer, errors }) => {
        const cases = [
          ['clean link', { loss: 0, delay: 0, jitter: 0 }, 0],
          ['5 % loss, 150 ± 50 ms', { loss: 0.05, delay: 150, jitter: 50 }, 0],
          ['300 kbit/s cap', { loss: 0, delay: 0, jitter: 0 }, 300],
        ];
        for (const [name, conditions, kbit] of cases) {
          Object.assign(relayed.conditions, conditions);
          cap(kbit);
          await new Promise((r) => setTimeout(r, 8000)); // let the senders settle
          const up = await measure(agent, customer); // the customer's media, as the agent gets it
          const down = await measure(customer, agent);
          rows.push(row(name, 'customer → agent', up), row(name, 'agent → customer', down));
          flows.push([name, up.fps, down.fps]);
        }
        console.log([
          '| customer link | direction | video fps decoded | longest stall | freezes | video packets lost | NACKs | jitter buffer | audio concealed | sender video bitrate | media reconnects |',
          '|---|---|---|---|---|---|---|---|---|---|---|',
          ...rows,
        ].join('\n'));
        console.log(`relay: ${relayed.counts.forwarded} packets forwarded, ${relayed.counts.dropped} dropped`);
        // Video decodes both ways in every case: on the capped link too, because the
        // server estimates the customer's downlink (TWCC) and tells the agent's browser to
        // send no more (MediaBitrate); before that the agent's video flooded the link (0 fps).
        for (const [name, up, down] of flows) {
          assert.ok(up > 0 && down > 0, `${name}: video decodes both ways (${up}, ${down} fps)`);
        }
        assert.deepEqual(errors, [], 'no page error');
      }, relayFirst);
  } finally {
    cap(0);
    relayed?.close();
  }
});

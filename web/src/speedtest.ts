// TRTC.startSpeedTest: measures the path to the server before entering a
// room, like the Go SDK's StartSpeedTest (docs/protocol.md "Speed test" and
// "Speed test over a data channel"; docs/web-sdk.md). A page cannot send
// UDP datagrams of its own, so the probe datagrams travel as messages of an
// unordered data channel that never retransmits, on a short-lived
// PeerConnection to the server's media port: they are lost and reordered
// like UDP, and measured the same way (loss, RFC 3550 jitter, the rate that
// arrived, the round trip). Signaling on a connection of its own
// authenticates the test and drives its phases.
//
// The packet format, the receiver and the rating are pure and unit-tested
// (test/speedtest.test.ts); SpeedRun needs a browser.
import { EXTRA_CODE, invalidOperation, invalidParameter } from './errors.js';
import { Signal, type Message, type SocketFactory } from './signal.js';
import { rateNetwork } from './stats.js';
import type { SpeedTestParams, SpeedTestResult } from './types.js';
import { checkUserId } from './validate.js';

/** The probe datagram format (docs/protocol.md, "Probe datagrams"). */
export const PROBE = {
  MAGIC: 0x0e,
  VERSION: 1,
  HEADER: 48,
  MAX_SIZE: 1200,
  /** Sequence numbers a receiver remembers, per direction. */
  MAX_PACKETS: 1 << 16,
  /** The highest rate a test may ask for (kbps). */
  MAX_KBPS: 5000,
  /** The highest rate of the online chorus scene (kbps). */
  MAX_CHORUS_KBPS: 1000,
  /**
   * The largest datagram sent over the data channel: a message must fit one
   * SCTP chunk (at most 1160 bytes at the server's SCTP MTU of 1191), or losing
   * either half of it loses it, counting the path's loss about twice.
   */
  CHANNEL_MAX_SIZE: 1100,
  /**
   * What a message costs on the wire beyond a UDP probe of its size: SCTP
   * common and DATA chunk headers (12 + 16) and a DTLS AES-GCM record's
   * header, nonce and tag (13 + 8 + 16). Rates count it with every message,
   * so that they mean what the UDP test's do (the server does the same).
   */
  CHANNEL_OVERHEAD: 65,
} as const;

export const PING = 1;
export const PONG = 2;
export const UP = 3;
export const DOWN = 4;

/** The data channel's label and options (the server refuses any other). */
export const PROBE_CHANNEL = 'probe';
export const PROBE_CHANNEL_INIT: RTCDataChannelInit = { ordered: false, maxRetransmits: 0 };

/** Timings of a test; each phase's length comes from the server (phaseMs). */
export const SPEED_TEST_TIMINGS = {
  connectMs: 5000,
  requestMs: 5000,
  gatherMs: 2000,
  /** How long the data channel may take to open. */
  openMs: 5000,
  pings: 10,
  pingGapMs: 30,
  /** How long pongs may take after the last ping. */
  pongWaitMs: 500,
  paceMs: 5,
  /** What may wait in the channel's send buffer before a datagram is dropped (as a full socket would). */
  maxBufferedBytes: 64 * 1024,
  /** How long the upload's last datagrams may take to leave the channel's buffer. */
  drainMs: 1000,
};

export interface ProbePacket {
  type: number;
  /** 16 bytes */
  token: Uint8Array;
  seq: number;
  /** The sender's clock, µs. */
  sent: number;
  /** A pong's copy of its ping's sent. */
  echo: number;
  /** The server's cookie, echoed by the client (kept exact). */
  cookie: bigint;
  /** The whole datagram's length. */
  size: number;
}

/** Encodes a probe datagram, zero-padded to its size (48..1200 bytes). */
export function encodeProbe(p: ProbePacket): Uint8Array<ArrayBuffer> {
  const size = Math.min(Math.max(p.size, PROBE.HEADER), PROBE.MAX_SIZE);
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  b[0] = PROBE.MAGIC;
  b[1] = PROBE.VERSION;
  b[2] = p.type;
  b.set(p.token.subarray(0, 16), 4);
  v.setUint32(20, p.seq >>> 0);
  v.setBigUint64(24, BigInt(Math.max(0, Math.round(p.sent))));
  v.setBigUint64(32, BigInt(Math.max(0, Math.round(p.echo))));
  v.setBigUint64(40, p.cookie);
  return b;
}

/** Decodes a probe datagram, or returns null for anything else. */
export function parseProbe(data: ArrayBuffer | Uint8Array): ProbePacket | null {
  const b = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (b.length < PROBE.HEADER || b[0] !== PROBE.MAGIC || b[1] !== PROBE.VERSION) return null;
  const type = b[2]!;
  if (type < PING || type > DOWN) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    type,
    token: b.slice(4, 20),
    seq: v.getUint32(20),
    sent: Number(v.getBigUint64(24)),
    echo: Number(v.getBigUint64(32)),
    cookie: v.getBigUint64(40),
    size: b.length,
  };
}

/** Reads a token's 32 hexadecimal digits, or returns null. */
export function parseToken(hex: unknown): Uint8Array | null {
  if (typeof hex !== 'string' || !/^[0-9a-fA-F]{32}$/.test(hex)) return null;
  const t = new Uint8Array(16);
  for (let i = 0; i < 16; i++) t[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return t;
}

function sameToken(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The datagram size for a rate: 20 ms of traffic per datagram, within 48..1200 bytes (as the Go SDK's). */
export function packetSize(kbps: number): number {
  return Math.min(Math.max(Math.floor((kbps * 1000) / 8 / 50), PROBE.HEADER), PROBE.MAX_SIZE);
}

/** The datagram size for a rate over the data channel: packetSize, at most CHANNEL_MAX_SIZE. */
export function channelPacketSize(kbps: number): number {
  return Math.min(packetSize(kbps), PROBE.CHANNEL_MAX_SIZE);
}

/** One direction's measurement (the server's ProbeReport). */
export interface ProbeReport {
  sent: number;
  received: number;
  /** 0..1 */
  loss: number;
  /** The rate that arrived; -1 if unknown. */
  kbps: number;
  /** -1 if unknown. */
  jitterMs: number;
}

/**
 * Measures one direction as it arrives (internal/probe.Receiver): distinct
 * sequence numbers below MAX_PACKETS, the rate from the first arrival to
 * the last, and RFC 3550's interarrival jitter (§6.4.1).
 */
export class ProbeReceiver {
  private seen = new Uint32Array(PROBE.MAX_PACKETS / 32);
  private count = 0;
  private bytes = 0; // of every packet but the first
  private first = 0;
  private last = 0;
  private jitter = 0; // µs
  private prevTransit = 0;
  private haveTransit = false;

  /** Records a packet that arrived at atUs (µs), sent at sentUs on the sender's clock. */
  add(seq: number, sentUs: number, size: number, atUs: number): void {
    if (seq >= PROBE.MAX_PACKETS) return;
    const w = seq >>> 5;
    const bit = 1 << (seq & 31);
    if (this.seen[w]! & bit) return;
    this.seen[w] = this.seen[w]! | bit;
    if (this.count === 0) this.first = atUs;
    else this.bytes += size;
    this.count++;
    if (atUs > this.last) this.last = atUs;
    // The transit time's variation; each clock's offset cancels out.
    const transit = atUs - sentUs;
    if (this.haveTransit) this.jitter += (Math.abs(transit - this.prevTransit) - this.jitter) / 16;
    this.prevTransit = transit;
    this.haveTransit = true;
  }

  get received(): number {
    return this.count;
  }

  /** Summarizes what arrived of sent packets. */
  report(sent: number): ProbeReport {
    const r: ProbeReport = { sent, received: this.count, loss: 0, kbps: -1, jitterMs: -1 };
    if (sent > 0) {
      let got = 0;
      for (let seq = 0; seq < Math.min(sent, PROBE.MAX_PACKETS); seq++) {
        if (this.seen[seq >>> 5]! & (1 << (seq & 31))) got++;
      }
      r.received = got;
      r.loss = Math.max(0, 1 - got / sent);
    }
    const spanUs = this.last - this.first;
    if (this.count >= 2 && spanUs > 0) r.kbps = Math.floor((this.bytes * 8) / (spanUs / 1e6) / 1000);
    if (this.count >= 2) r.jitterMs = Math.round(this.jitter / 1000);
    return r;
  }
}

/** startSpeedTest's parameters with defaults filled in. */
export interface SpeedTestRequest {
  sdkAppId: number;
  userId: string;
  userSig: string;
  expectedUpBandwidth: number;
  expectedDownBandwidth: number;
  scene: 1 | 2 | 3;
  server?: unknown;
}

/** Validates startSpeedTest's parameters (TRTCSpeedTestParams) with v5's error codes. */
export function checkSpeedTestParams(params: unknown): SpeedTestRequest {
  const fn = 'startSpeedTest';
  if (params === undefined || params === null) throw invalidParameter(EXTRA_CODE.REQUIRED, 'params are required', fn);
  if (typeof params !== 'object') throw invalidParameter(EXTRA_CODE.TYPE, 'params must be an object', fn);
  const o = params as Record<string, unknown> & Partial<SpeedTestParams>;
  const app = o.sdkAppId;
  if (app === undefined || app === null) throw invalidParameter(EXTRA_CODE.REQUIRED, 'sdkAppId is required', fn);
  if (typeof app !== 'number') throw invalidParameter(EXTRA_CODE.TYPE, 'sdkAppId must be a number', fn);
  if (!Number.isInteger(app) || app <= 0 || app > 0xffffffff) {
    throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, `sdkAppId must be an integer in [1, 4294967295], got ${app}`, fn);
  }
  const userId = checkUserId(o.userId, fn);
  const sig = o.userSig;
  if (sig === undefined || sig === null) throw invalidParameter(EXTRA_CODE.REQUIRED, 'userSig is required', fn);
  if (typeof sig !== 'string') throw invalidParameter(EXTRA_CODE.TYPE, 'userSig must be a string', fn);
  if (sig === '') throw invalidParameter(EXTRA_CODE.EMPTY, 'userSig must not be empty', fn);
  let scene: 1 | 2 | 3 = 2;
  if (o.scene !== undefined && o.scene !== null) {
    if (o.scene !== 1 && o.scene !== 2 && o.scene !== 3) {
      throw invalidParameter(
        EXTRA_CODE.OUT_OF_RANGE,
        'scene must be 1 (delay), 2 (delay and bandwidth) or 3 (online chorus)',
        fn,
      );
    }
    scene = o.scene;
  }
  const limit = scene === 3 ? PROBE.MAX_CHORUS_KBPS : PROBE.MAX_KBPS;
  const bandwidth = (key: 'expectedUpBandwidth' | 'expectedDownBandwidth'): number => {
    const v = o[key];
    if (v === undefined || v === null || v === 0) return 0;
    if (typeof v !== 'number') throw invalidParameter(EXTRA_CODE.TYPE, `${key} must be a number`, fn);
    if (!Number.isInteger(v) || v < 10 || v > limit) {
      throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, `${key} must be 0 (not tested) or 10..${limit} kbps`, fn);
    }
    return v;
  };
  return {
    sdkAppId: app,
    userId,
    userSig: sig,
    expectedUpBandwidth: bandwidth('expectedUpBandwidth'),
    expectedDownBandwidth: bandwidth('expectedDownBandwidth'),
    scene,
    server: o.server,
  };
}

/**
 * Rates a result like NETWORK_QUALITY rates a path, from the worse
 * direction's loss and jitter and the round trip; a direction that carried
 * less than half its expected rate lowers the rating one level (as the Go
 * SDK does).
 */
export function rateSpeedTest(r: SpeedTestResult, p: Pick<SpeedTestRequest, 'expectedUpBandwidth' | 'expectedDownBandwidth'>): number {
  const loss = 100 * Math.max(r.upLostRate, r.downLostRate);
  const jitter = Math.max(r.upJitter, r.downJitter, 0);
  let q = rateNetwork(loss, r.rtt, jitter);
  const short = (got: number, want: number) => want > 0 && got >= 0 && got < want / 2;
  if ((short(r.availableUpBandwidth, p.expectedUpBandwidth) || short(r.availableDownBandwidth, p.expectedDownBandwidth)) && q < 5) q++;
  return q;
}

/** A failed test's result. */
export function failedResult(ip: string, errMsg: string): SpeedTestResult {
  return {
    success: false,
    errMsg,
    ip,
    quality: 0,
    upLostRate: 0,
    downLostRate: 0,
    rtt: 0,
    availableUpBandwidth: -1,
    availableDownBandwidth: -1,
    upJitter: -1,
    downJitter: -1,
  };
}

/** Drops the candidate lines of an SDP that keep refuses (see sdp.candidateFilter). */
export function filterCandidates(sdp: string, keep: (candidate: string) => boolean): string {
  return sdp
    .split(/\r\n/)
    .filter((line) => !line.startsWith('a=candidate:') || keep(line.slice(2)))
    .join('\r\n');
}

/** What a test needs from the page (fakes in unit tests). */
export interface SpeedTestDeps {
  /** The signaling URL. */
  url: string;
  socketFactory: SocketFactory;
  createPC: () => RTCPeerConnection;
  keepCandidate: (candidate: string) => boolean;
  /** Whether some TRTC instance is in a room (the test runs before enterRoom only). */
  inRoom: boolean;
  /** The clock in µs (default: performance's). */
  nowUs?: () => number;
  timings?: Partial<typeof SPEED_TEST_TIMINGS>;
}

let running = false;

/**
 * Runs a speed test. It rejects with INVALID_PARAMETER for bad parameters
 * and INVALID_OPERATION while another test runs or an instance is in a
 * room; everything that goes wrong later resolves with success false and
 * errMsg, as TRTC's onSpeedTestResult reports it.
 */
export async function startSpeedTest(params: unknown, deps: (server: unknown) => SpeedTestDeps): Promise<SpeedTestResult> {
  const fn = 'startSpeedTest';
  const p = checkSpeedTestParams(params);
  const d = deps(p.server);
  if (running) throw invalidOperation(EXTRA_CODE.REPEATED_CALL, 'a speed test is already running', fn);
  if (d.inRoom) throw invalidOperation(undefined, 'startSpeedTest works before enterRoom only', fn);
  running = true;
  try {
    return await new SpeedRun(p, d).run();
  } finally {
    running = false;
  }
}

class Lost extends Error {}

/** One test: its signaling connection, PeerConnection and measurements. */
class SpeedRun {
  private t: typeof SPEED_TEST_TIMINGS;
  private nowUs: () => number;
  private signal: Signal;
  private lost: Promise<never>;
  private fail: (reason: string) => void = () => {};
  private pc: RTCPeerConnection | null = null;
  private dc: RTCDataChannel | null = null;
  private token: Uint8Array = new Uint8Array(16);
  private cookie = 0n;
  private rtts: number[] = [];
  private pongsWanted: (() => void) | null = null;
  private down = new ProbeReceiver();
  private phaseMs = 2000;

  constructor(
    private p: SpeedTestRequest,
    private d: SpeedTestDeps,
  ) {
    this.t = { ...SPEED_TEST_TIMINGS, ...d.timings };
    this.nowUs = d.nowUs ?? (() => Math.round((performance.timeOrigin + performance.now()) * 1000));
    this.lost = new Promise<never>((_, reject) => {
      this.fail = (reason) => reject(new Lost(reason));
    });
    this.lost.catch(() => {});
    this.signal = new Signal(d.socketFactory, {
      heartbeatMs: 2000,
      timeoutMs: 10000,
      onEvent: () => {},
      onLost: (reason) => this.fail(`signaling connection lost: ${reason}`),
    });
  }

  /** Waits for v unless the test fails first. */
  private guard<T>(v: Promise<T>): Promise<T> {
    return Promise.race([v, this.lost]);
  }

  private sleep(ms: number): Promise<void> {
    return this.guard(new Promise<void>((resolve) => setTimeout(resolve, ms)));
  }

  /** Waits up to ms for done to be called; reports whether it was. */
  private within(ms: number, arm: (done: () => void) => void): Promise<boolean> {
    return this.guard(
      new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), ms);
        arm(() => {
          clearTimeout(timer);
          resolve(true);
        });
      }),
    );
  }

  private async call(type: string, data: unknown, timeoutMs = this.t.requestMs): Promise<Message> {
    const m = await this.guard(this.signal.request(type, data, timeoutMs));
    if (m.code) throw new Error(`${type} refused: ${m.code} ${m.msg ?? ''}`.trim());
    return m;
  }

  async run(): Promise<SpeedTestResult> {
    let ip = new URL(this.d.url).hostname.replace(/^\[|\]$/g, '');
    try {
      await this.signal.open(this.d.url, this.t.connectMs);
    } catch (e) {
      return failedResult('', `cannot reach the server: ${(e as Error).message}`);
    }
    try {
      const st = await this.connect();
      if (typeof st.ip === 'string' && st.ip !== '') ip = st.ip;
      return await this.measure(ip);
    } catch (e) {
      return failedResult(ip, (e as Error).message);
    } finally {
      if (this.signal.isOpen) this.signal.send('speed_test_end');
      this.dc?.close();
      this.pc?.close();
      this.signal.close();
    }
  }

  /** Offers the data channel, starts the test and waits for the channel to open. */
  private async connect(): Promise<Record<string, any>> {
    const pc = this.d.createPC();
    this.pc = pc;
    const dc = pc.createDataChannel(PROBE_CHANNEL, PROBE_CHANNEL_INIT);
    this.dc = dc;
    dc.binaryType = 'arraybuffer';
    dc.onmessage = (ev) => {
      if (ev.data instanceof ArrayBuffer) this.onDatagram(ev.data);
    };
    await this.guard(pc.setLocalDescription(await pc.createOffer()));
    // The offer carries the candidates: no trickle on this connection.
    await this.within(this.t.gatherMs, (done) => {
      if (pc.iceGatheringState === 'complete') done();
      pc.onicegatheringstatechange = () => {
        if (pc.iceGatheringState === 'complete') done();
      };
    });
    const offer = filterCandidates(pc.localDescription?.sdp ?? '', this.d.keepCandidate);
    const m = await this.call('speed_test', {
      sdkAppId: this.p.sdkAppId,
      userId: this.p.userId,
      userSig: this.p.userSig,
      expectedUpBandwidth: this.p.expectedUpBandwidth,
      expectedDownBandwidth: this.p.expectedDownBandwidth,
      scene: this.p.scene,
      transport: 'datachannel',
      sdp: offer,
    });
    const st = (m.data ?? {}) as Record<string, any>;
    const token = parseToken(st.token);
    if (!token || typeof st.sdp !== 'string') throw new Error('bad speed_test response');
    this.token = token;
    this.signal.setHeartbeat(Number(st.heartbeatMs) || 0, Number(st.timeoutMs) || 0);
    this.phaseMs = Math.min(Math.max(Number(st.phaseMs) || 2000, 500), 5000);
    await this.guard(pc.setRemoteDescription({ type: 'answer', sdp: st.sdp }));
    const open = await this.within(this.t.openMs, (done) => {
      if (dc.readyState === 'open') done();
      dc.onopen = () => done();
    });
    if (!open) throw new Error('the data channel to the media port did not open (UDP blocked?)');
    return st;
  }

  private async measure(ip: string): Promise<SpeedTestResult> {
    const res: SpeedTestResult = { ...failedResult(ip, ''), success: true };
    const pingLoss = await this.ping();
    res.rtt = this.rtt();
    if (this.p.scene === 1) {
      res.upLostRate = res.downLostRate = pingLoss;
    } else {
      if (this.p.expectedUpBandwidth > 0) {
        const up = await this.upload(this.p.expectedUpBandwidth);
        res.upLostRate = up.loss;
        res.upJitter = up.jitterMs;
        res.availableUpBandwidth = Math.min(up.kbps, this.p.expectedUpBandwidth);
      }
      if (this.p.expectedDownBandwidth > 0) {
        const down = await this.download(this.p.expectedDownBandwidth);
        res.downLostRate = down.loss;
        res.downJitter = down.jitterMs;
        res.availableDownBandwidth = Math.min(down.kbps, this.p.expectedDownBandwidth);
      }
    }
    res.quality = rateSpeedTest(res, this.p);
    return res;
  }

  private onDatagram(data: ArrayBuffer): void {
    const at = this.nowUs();
    const p = parseProbe(data);
    if (!p || !sameToken(p.token, this.token)) return;
    if (p.type === PONG) {
      this.cookie = p.cookie;
      if (p.echo <= at) this.rtts.push((at - p.echo) / 1000);
      if (this.rtts.length >= this.t.pings) this.pongsWanted?.();
    } else if (p.type === DOWN) {
      this.down.add(p.seq, p.sent, p.size + PROBE.CHANNEL_OVERHEAD, at);
    }
  }

  /** Sends a datagram unless the channel's buffer is full (then it is lost, as on a full socket). */
  private send(type: number, seq: number, size: number): void {
    const dc = this.dc!;
    if (dc.readyState !== 'open') throw new Error('the data channel closed');
    if (dc.bufferedAmount > this.t.maxBufferedBytes) return;
    const b = encodeProbe({ type, token: this.token, seq, sent: this.nowUs(), echo: 0, cookie: this.cookie, size });
    dc.send(b);
  }

  /** Measures the round trip and learns the server's cookie; returns the share of pings not answered. */
  private async ping(): Promise<number> {
    for (let i = 0; i < this.t.pings; i++) {
      this.send(PING, i, PROBE.HEADER);
      await this.sleep(this.t.pingGapMs);
    }
    await this.within(this.t.pongWaitMs, (done) => {
      if (this.rtts.length >= this.t.pings) done();
      this.pongsWanted = done;
    });
    this.pongsWanted = null;
    if (this.rtts.length === 0) throw new Error('the server did not answer probes on the data channel');
    return 1 - Math.min(this.rtts.length, this.t.pings) / this.t.pings;
  }

  /** The median round trip, ms. */
  private rtt(): number {
    const s = [...this.rtts].sort((a, b) => a - b);
    return Math.round(s[s.length >> 1] ?? 0);
  }

  /** Sends kbps for the phase, paced, then asks the server what came. */
  private async upload(kbps: number): Promise<ProbeReport> {
    const size = channelPacketSize(kbps);
    const perMs = (kbps * 1000) / 8 / size / 1000;
    const start = performance.now();
    let sent = 0;
    for (;;) {
      const el = Math.min(performance.now() - start, this.phaseMs);
      // Send what the rate allows up to now, catching up on late timers.
      for (const due = Math.floor(perMs * el); sent <= due && el < this.phaseMs; sent++) this.send(UP, sent, size);
      if (el >= this.phaseMs) break;
      await this.sleep(this.t.paceMs);
    }
    // What still waits in the channel's buffer is on its way, not lost
    // (a socket would have sent it at once): let it leave first.
    const dc = this.dc!;
    if (dc.bufferedAmount > 0) {
      await this.within(this.t.drainMs, (done) => {
        dc.bufferedAmountLowThreshold = 0;
        dc.onbufferedamountlow = done;
      });
      dc.onbufferedamountlow = null;
    }
    const m = await this.call('speed_test_up', { sent });
    return reportOf(m.data, sent);
  }

  /** Asks the server for kbps over the phase and measures what arrives. */
  private async download(kbps: number): Promise<ProbeReport> {
    const m = await this.call(
      'speed_test_down',
      { kbps, durationMs: this.phaseMs, size: channelPacketSize(kbps) },
      this.phaseMs + this.t.requestMs,
    );
    const sent = reportOf(m.data, 0).sent;
    // The response left after the last datagram; give those queued at a
    // bottleneck time to arrive.
    await this.sleep(Math.max(300, 2 * this.rtt()));
    return this.down.report(sent);
  }
}

/** Reads a ProbeReport from a response, with sane values. */
export function reportOf(data: unknown, sent: number): ProbeReport {
  const o = (data && typeof data === 'object' ? data : {}) as Record<string, unknown>;
  const num = (v: unknown, dflt: number) => (typeof v === 'number' && Number.isFinite(v) ? v : dflt);
  return {
    sent: Math.max(0, Math.floor(num(o.sent, sent))),
    received: Math.max(0, Math.floor(num(o.received, 0))),
    loss: Math.min(1, Math.max(0, num(o.loss, 0))),
    kbps: Math.floor(num(o.kbps, -1)),
    jitterMs: Math.round(num(o.jitterMs, -1)),
  };
}

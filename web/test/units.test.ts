import { describe, expect, it } from 'vitest';
import { CustomMessageLimiter, checkCustomMessage, fromBase64, toBase64 } from '../src/custommsg.js';
import { RtcError, deviceError } from '../src/errors.js';
import { Emitter } from '../src/events.js';
import { candidateFilter, mediaSections, trackIdsByMid } from '../src/sdp.js';
import { computeReport, rateNetwork, readReport, volumes, type Snapshot } from '../src/stats.js';
import { diffDevices } from '../src/devices.js';
import { signalUrl } from '../src/trtc.js';

function codes(f: () => unknown): [number, number | undefined] {
  try {
    f();
  } catch (e) {
    const r = e as RtcError;
    return [r.code, r.extraCode];
  }
  throw new Error('no error');
}

describe('custom messages', () => {
  it('checks cmdId, type and size', () => {
    const one = new Uint8Array([1]).buffer;
    expect(codes(() => checkCustomMessage(undefined))).toEqual([5000, 5001]);
    expect(codes(() => checkCustomMessage({ data: one }))).toEqual([5000, 5001]);
    expect(codes(() => checkCustomMessage({ cmdId: '1', data: one }))).toEqual([5000, 5002]);
    expect(codes(() => checkCustomMessage({ cmdId: 0, data: one }))).toEqual([5000, 5005]);
    expect(codes(() => checkCustomMessage({ cmdId: 11, data: one }))).toEqual([5000, 5005]);
    expect(codes(() => checkCustomMessage({ cmdId: 1.5, data: one }))).toEqual([5000, 5005]);
    expect(codes(() => checkCustomMessage({ cmdId: 1, data: 'x' }))).toEqual([5000, 5002]);
    expect(codes(() => checkCustomMessage({ cmdId: 1, data: new ArrayBuffer(0) }))).toEqual([5000, 5017]);
    expect(codes(() => checkCustomMessage({ cmdId: 1, data: new ArrayBuffer(1001) }))).toEqual([5000, 5018]);
    expect(checkCustomMessage({ cmdId: 10, data: new ArrayBuffer(1000) }).bytes.byteLength).toBe(1000);
    const view = new Uint8Array([9, 8, 7, 6]).subarray(1, 3);
    expect([...checkCustomMessage({ cmdId: 1, data: view }).bytes]).toEqual([8, 7]);
  });

  it('limits to 30 messages per second', () => {
    let now = 0;
    const l = new CustomMessageLimiter(() => now);
    for (let i = 0; i < 30; i++) expect(l.take(1)).toBeNull();
    const e = l.take(1)!;
    expect([e.code, e.extraCode]).toEqual([5100, 5110]);
    now += 100; // 3 more tokens
    expect(l.take(1)).toBeNull();
    expect(l.take(1)).toBeNull();
    expect(l.take(1)).toBeNull();
    expect(l.take(1)).not.toBeNull();
  });

  it('limits to 8 KB per second', () => {
    let now = 0;
    const l = new CustomMessageLimiter(() => now);
    for (let i = 0; i < 8; i++) expect(l.take(1000)).toBeNull();
    expect(l.take(1)?.message).toMatch(/8000 bytes/);
    now += 500;
    for (let i = 0; i < 4; i++) expect(l.take(1000)).toBeNull();
    expect(l.take(1000)).not.toBeNull();
  });

  it('base64 round trip and bad input', () => {
    const b = new Uint8Array(3000).map((_, i) => i % 256);
    expect(new Uint8Array(fromBase64(toBase64(b))!)).toEqual(b);
    expect(fromBase64('***')).toBeNull();
  });
});

describe('errors', () => {
  it('maps DOMException names to DEVICE_ERROR extra codes', () => {
    const rows: [string, number][] = [
      ['NotFoundError', 5301],
      ['NotAllowedError', 5302],
      ['NotReadableError', 5303],
      ['OverconstrainedError', 5304],
      ['SecurityError', 5306],
      ['Whatever', 5307],
    ];
    for (const [name, extra] of rows) {
      const e = deviceError({ name, message: 'm' }, 'camera', 'startLocalVideo');
      expect([e.code, e.extraCode, e.functionName]).toEqual([5300, extra, 'startLocalVideo']);
    }
  });
  it('prints like v5', () => {
    const e = new RtcError({ code: 5000, extraCode: 5001, message: 'x is required', functionName: 'enterRoom' });
    expect(String(e)).toBe('RtcError: enterRoom: x is required code:5000 extraCode:5001');
    expect(e).toBeInstanceOf(Error);
  });
});

describe('Emitter', () => {
  it('delivers, removes and survives throwing handlers', () => {
    const em = new Emitter();
    const got: string[] = [];
    const h = (e: { userId: string }) => got.push(e.userId);
    em.on('remote-user-enter', () => {
      throw new Error('app bug');
    });
    em.on('remote-user-enter', h);
    em.once('remote-user-enter', (e) => got.push('once:' + e.userId));
    const err = console.error;
    console.error = () => {};
    em.emit('remote-user-enter', { userId: 'a' });
    em.emit('remote-user-enter', { userId: 'b' });
    em.off('remote-user-enter', h as never);
    em.emit('remote-user-enter', { userId: 'c' });
    console.error = err;
    expect(got).toEqual(['a', 'once:a', 'b']);
    em.off('*');
    expect(em.listenerCount('remote-user-enter')).toBe(0);
  });
});

describe('sdp', () => {
  const sdp = [
    'v=0',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111',
    'a=mid:0',
    'a=sendonly',
    'a=msid:stream1 track-audio',
    'm=video 9 UDP/TLS/RTP/SAVPF 96',
    'a=mid:1',
    'a=msid:alice alice/video',
    'a=recvonly',
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'a=mid:2',
  ].join('\r\n');
  it('reads mids and track ids', () => {
    expect(mediaSections(sdp).map((s) => [s.mid, s.kind, s.direction])).toEqual([
      ['0', 'audio', 'sendonly'],
      ['1', 'video', 'recvonly'],
      ['2', 'application', 'sendrecv'],
    ]);
    expect([...trackIdsByMid(sdp)]).toEqual([
      ['0', 'track-audio'],
      ['1', 'alice/video'],
    ]);
  });
  it('keeps only loopback candidates for a loopback server', () => {
    const keep = candidateFilter('127.0.0.1');
    expect(keep('candidate:1 1 udp 2122194687 127.0.0.1 47132 typ host')).toBe(true);
    expect(keep('candidate:2 1 udp 2122194687 ::1 47133 typ host')).toBe(true);
    expect(keep('candidate:3 1 udp 2122063615 192.0.2.2 53437 typ host')).toBe(false);
    expect(keep('candidate:4 1 udp 2122063615 abcd.local 53437 typ host')).toBe(false);
    expect(candidateFilter('rtc.example.com')('candidate:3 1 udp 1 192.0.2.2 1 typ host')).toBe(true);
    expect(candidateFilter('[::1]')('candidate:3 1 udp 1 192.0.2.2 1 typ host')).toBe(false);
  });
});

describe('server URL', () => {
  it('adds /signal and maps http to ws', () => {
    expect(signalUrl('wss://rtc.example.com')).toBe('wss://rtc.example.com/signal');
    expect(signalUrl('ws://127.0.0.1:7880/')).toBe('ws://127.0.0.1:7880/signal');
    expect(signalUrl('https://rtc.example.com:8443')).toBe('wss://rtc.example.com:8443/signal');
    expect(signalUrl('ws://h/custom')).toBe('ws://h/custom');
    expect(codes(() => signalUrl('ftp://h'))).toEqual([5000, 5005]);
    expect(codes(() => signalUrl('not a url'))).toEqual([5000, 5005]);
    expect(codes(() => signalUrl(7))).toEqual([5000, 5002]);
  });
});

describe('statistics', () => {
  const report = (entries: any[]) => entries.map((e) => [e.id, e] as [string, any]);
  function snap(at: number, sent: number, lostUp: number, recv: number, lostDown: number, bytes: number): Snapshot {
    const pub = readReport(
      report([
        { id: 'T', type: 'transport', bytesSent: bytes, bytesReceived: 10, selectedCandidatePairId: 'P' },
        { id: 'P', type: 'candidate-pair', currentRoundTripTime: 0.02 },
        { id: 'O1', type: 'outbound-rtp', kind: 'video', mid: '1', bytesSent: bytes, packetsSent: sent, frameWidth: 640, frameHeight: 480, framesPerSecond: 15 },
        { id: 'R1', type: 'remote-inbound-rtp', localId: 'O1', packetsLost: lostUp, jitter: 0.005 },
        { id: 'M', type: 'media-source', kind: 'audio', audioLevel: 0.5 },
      ]),
      new Map([['1', 'big']]),
    );
    const sub = readReport(
      report([
        { id: 'T', type: 'transport', bytesSent: 5, bytesReceived: bytes, selectedCandidatePairId: 'P' },
        { id: 'P', type: 'candidate-pair', currentRoundTripTime: 0.04 },
        { id: 'I1', type: 'inbound-rtp', kind: 'video', mid: '0', bytesReceived: bytes, packetsReceived: recv, packetsLost: lostDown, framesDecoded: 9, jitter: 0.01 },
        { id: 'I2', type: 'inbound-rtp', kind: 'audio', mid: '1', bytesReceived: 100, packetsReceived: 50, packetsLost: 0, audioLevel: 0.25 },
        { id: 'I3', type: 'inbound-rtp', kind: 'video', mid: '9', bytesReceived: 1, packetsReceived: 1 },
      ]),
      new Map([
        ['0', 'bob/video'],
        ['1', 'bob/audio'],
      ]),
    );
    return { at, pub, sub, signalBytesSent: 7, signalBytesReceived: 3 };
  }

  it('computes rates, loss and quality between two snapshots', () => {
    const a = snap(0, 1000, 0, 1000, 0, 100000);
    const b = snap(2000, 1100, 2, 1196, 4, 350000);
    const { statistics: s, quality: q } = computeReport(a, b, false);
    expect(s.rtt).toBe(30);
    expect(s.upLoss).toBe(2); // 2 of 100
    expect(s.downLoss).toBe(2); // 4 of 200
    expect(s.localStatistics.video).toEqual([{ width: 640, height: 480, frameRate: 15, bitrate: 1000, videoType: 'big' }]);
    expect(s.localStatistics.audio.audioLevel).toBe(0.5);
    expect(s.remoteStatistics).toHaveLength(1);
    expect(s.remoteStatistics[0]!.userId).toBe('bob');
    expect(s.bytesSent).toBe(350000 + 5 + 7);
    expect(q.uplinkNetworkQuality).toBe(2);
    expect(q.downlinkNetworkQuality).toBe(2);
    expect(q.remoteQuality).toEqual([{ userId: 'bob', quality: 2 }]);
  });

  it('is unknown without a previous snapshot and down when disconnected', () => {
    const a = snap(0, 1000, 0, 1000, 0, 100);
    expect(computeReport(null, a, false).quality.uplinkNetworkQuality).toBe(0);
    const q = computeReport(a, snap(2000, 1100, 0, 1100, 0, 200), true).quality;
    expect([q.uplinkNetworkQuality, q.downlinkNetworkQuality]).toEqual([6, 6]);
  });

  it('rates with the Go SDK table', () => {
    expect(rateNetwork(0, 10, 5)).toBe(1);
    expect(rateNetwork(2, 10, 5)).toBe(2);
    expect(rateNetwork(0, 300, 5)).toBe(3);
    expect(rateNetwork(10, 10, 5)).toBe(4);
    expect(rateNetwork(30, 10, 5)).toBe(5);
  });

  it('reports volumes 0..100, the local user as ""', () => {
    expect(volumes(snap(0, 0, 0, 0, 0, 0), true).result).toEqual([
      { userId: '', volume: 50 },
      { userId: 'bob', volume: 25 },
    ]);
    expect(volumes(snap(0, 0, 0, 0, 0, 0), false).result).toEqual([{ userId: 'bob', volume: 25 }]);
  });
});

describe('devices', () => {
  it('diffs device lists into DEVICE_CHANGED events', () => {
    const cam = { deviceId: 'c1', groupId: 'g', kind: 'videoinput', label: 'Cam' };
    const mic = { deviceId: 'm1', groupId: 'g', kind: 'audioinput', label: 'Mic' };
    const spk = { deviceId: 's1', groupId: 'g', kind: 'audiooutput', label: 'Spk' };
    expect(diffDevices([cam, mic], [mic, spk])).toEqual([
      { type: 'camera', action: 'remove', device: cam },
      { type: 'speaker', action: 'add', device: spk },
    ]);
    expect(diffDevices([cam], [cam])).toEqual([]);
  });
});

// STATISTICS, NETWORK_QUALITY and AUDIO_VOLUME from the browser's own
// getStats(): a snapshot is read from each connection every interval and
// two consecutive snapshots give rates and loss. The rating table is the Go
// SDK's (docs/quality.md). The arithmetic is pure and unit-tested.
import type { AudioVolumeEvent, NetworkQualityEvent, StatisticsEvent, VideoStatistics } from './events.js';

export interface OutStat {
  /** 'audio' | 'big' | 'small' | 'sub' */
  stream: string;
  kind: string;
  bytesSent: number;
  packetsSent: number;
  frameWidth: number;
  frameHeight: number;
  framesPerSecond: number;
  /** From the server's receiver reports about this stream. */
  remotePacketsLost: number;
  remoteJitterMs: number;
}

export interface InStat {
  /** "<userId>/<stream>" */
  key: string;
  kind: string;
  bytesReceived: number;
  packetsReceived: number;
  packetsLost: number;
  framesDecoded: number;
  frameWidth: number;
  frameHeight: number;
  framesPerSecond: number;
  jitterMs: number;
  audioLevel: number;
  totalSamplesReceived: number;
}

export interface PcStat {
  rttMs: number | null;
  bytesSent: number;
  bytesReceived: number;
  out: OutStat[];
  in: InStat[];
  localAudioLevel: number | null;
}

export interface Snapshot {
  at: number;
  pub: PcStat | null;
  sub: PcStat | null;
  signalBytesSent: number;
  signalBytesReceived: number;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/**
 * Reads the parts of an RTCStatsReport the SDK reports. names maps a mid to
 * the SDK's name for what that media section carries.
 */
export function readReport(report: Iterable<[string, any]> | Map<string, any>, names: Map<string, string>): PcStat {
  const byId = new Map<string, any>();
  for (const [id, s] of report as Iterable<[string, any]>) byId.set(id, s);
  const st: PcStat = { rttMs: null, bytesSent: 0, bytesReceived: 0, out: [], in: [], localAudioLevel: null };
  const remoteIn = new Map<string, any>(); // outbound id → remote-inbound-rtp
  for (const s of byId.values()) {
    if (s.type === 'remote-inbound-rtp' && s.localId) remoteIn.set(s.localId, s);
  }
  for (const s of byId.values()) {
    switch (s.type) {
      case 'transport': {
        st.bytesSent += num(s.bytesSent);
        st.bytesReceived += num(s.bytesReceived);
        const pair = s.selectedCandidatePairId ? byId.get(s.selectedCandidatePairId) : undefined;
        if (pair && typeof pair.currentRoundTripTime === 'number') st.rttMs = pair.currentRoundTripTime * 1000;
        break;
      }
      case 'outbound-rtp': {
        const name = s.mid !== undefined ? names.get(String(s.mid)) : undefined;
        if (!name) break;
        const r = remoteIn.get(s.id);
        st.out.push({
          stream: name,
          kind: s.kind ?? s.mediaType ?? '',
          bytesSent: num(s.bytesSent),
          packetsSent: num(s.packetsSent),
          frameWidth: num(s.frameWidth),
          frameHeight: num(s.frameHeight),
          framesPerSecond: num(s.framesPerSecond),
          remotePacketsLost: r ? Math.max(0, num(r.packetsLost)) : 0,
          remoteJitterMs: r ? num(r.jitter) * 1000 : 0,
        });
        break;
      }
      case 'inbound-rtp': {
        const key = s.mid !== undefined ? names.get(String(s.mid)) : undefined;
        if (!key) break;
        st.in.push({
          key,
          kind: s.kind ?? s.mediaType ?? '',
          bytesReceived: num(s.bytesReceived),
          packetsReceived: num(s.packetsReceived),
          packetsLost: Math.max(0, num(s.packetsLost)),
          framesDecoded: num(s.framesDecoded),
          frameWidth: num(s.frameWidth),
          frameHeight: num(s.frameHeight),
          framesPerSecond: num(s.framesPerSecond),
          jitterMs: num(s.jitter) * 1000,
          audioLevel: num(s.audioLevel),
          totalSamplesReceived: num(s.totalSamplesReceived),
        });
        break;
      }
      case 'media-source':
        if (s.kind === 'audio' && typeof s.audioLevel === 'number') {
          st.localAudioLevel = Math.max(st.localAudioLevel ?? 0, s.audioLevel);
        }
        break;
    }
  }
  return st;
}

/** TRTC quality levels (docs/quality.md): the first row all of whose limits hold. */
export const QUALITY_LEVELS = [
  { level: 1, loss: 1, rtt: 100, jitter: 30 },
  { level: 2, loss: 3, rtt: 200, jitter: 50 },
  { level: 3, loss: 8, rtt: 400, jitter: 100 },
  { level: 4, loss: 15, rtt: 600, jitter: 200 },
];

export function rateNetwork(lossPct: number, rttMs: number, jitterMs: number): number {
  for (const l of QUALITY_LEVELS) {
    if (lossPct < l.loss && rttMs < l.rtt && jitterMs < l.jitter) return l.level;
  }
  return 5;
}

function kbps(bytes: number, seconds: number): number {
  return seconds > 0 ? Math.round((Math.max(0, bytes) * 8) / seconds / 1000) : 0;
}

function pct(lost: number, total: number): number {
  if (total <= 0 || lost <= 0) return 0;
  return Math.min(100, Math.round((lost / total) * 1000) / 10);
}

export interface Report {
  statistics: StatisticsEvent;
  quality: NetworkQualityEvent;
}

/**
 * Turns two snapshots into the STATISTICS and NETWORK_QUALITY payloads.
 * down: the connection is lost (quality 6 both ways).
 */
export function computeReport(prev: Snapshot | null, cur: Snapshot, down: boolean): Report {
  const dt = prev ? (cur.at - prev.at) / 1000 : 0;
  const rtts = [cur.pub?.rttMs, cur.sub?.rttMs].filter((v): v is number => typeof v === 'number');
  const rtt = rtts.length ? Math.round(rtts.reduce((a, b) => a + b, 0) / rtts.length) : 0;

  const prevOut = new Map((prev?.pub?.out ?? []).map((o) => [o.stream, o]));
  const prevIn = new Map((prev?.sub?.in ?? []).map((i) => [i.key, i]));

  // Jitter is rated on audio when there is audio: video packets of one frame
  // share a timestamp but leave paced, which inflates RFC 3550 jitter.
  const hasAudioOut = (cur.pub?.out ?? []).some((o) => o.kind === 'audio');
  let sent = 0;
  let lostUp = 0;
  let upJitter = 0;
  const localVideo: VideoStatistics[] = [];
  let localAudio = { bitrate: 0, audioLevel: cur.pub?.localAudioLevel ?? 0 };
  for (const o of cur.pub?.out ?? []) {
    const p = prevOut.get(o.stream);
    sent += o.packetsSent - (p?.packetsSent ?? o.packetsSent);
    lostUp += o.remotePacketsLost - (p?.remotePacketsLost ?? o.remotePacketsLost);
    if (o.kind === 'audio' || !hasAudioOut) upJitter = Math.max(upJitter, o.remoteJitterMs);
    const rate = kbps(o.bytesSent - (p?.bytesSent ?? o.bytesSent), dt);
    if (o.kind === 'audio') localAudio = { ...localAudio, bitrate: rate };
    else {
      localVideo.push({
        width: o.frameWidth,
        height: o.frameHeight,
        frameRate: Math.round(o.framesPerSecond),
        bitrate: rate,
        videoType: o.stream === 'small' ? 'small' : o.stream === 'sub' ? 'sub' : 'big',
      });
    }
  }

  const audioFrom = new Set((cur.sub?.in ?? []).filter((i) => i.kind === 'audio').map((i) => i.key.split('/')[0]));
  let received = 0;
  let lostDown = 0;
  let downJitter = 0;
  const remote = new Map<string, StatisticsEvent['remoteStatistics'][number]>();
  const perUser = new Map<string, { recv: number; lost: number; jitter: number; fresh: boolean }>();
  for (const i of cur.sub?.in ?? []) {
    const p = prevIn.get(i.key);
    const dRecv = i.packetsReceived - (p?.packetsReceived ?? i.packetsReceived);
    const dLost = i.packetsLost - (p?.packetsLost ?? i.packetsLost);
    received += Math.max(0, dRecv);
    lostDown += Math.max(0, dLost);
    const [userId, stream] = i.key.split('/') as [string, string];
    const rateJitter = i.kind === 'audio' || !audioFrom.has(userId);
    if (rateJitter) downJitter = Math.max(downJitter, i.jitterMs);
    const u = perUser.get(userId) ?? { recv: 0, lost: 0, jitter: 0, fresh: true };
    u.recv += Math.max(0, dRecv);
    u.lost += Math.max(0, dLost);
    if (rateJitter) u.jitter = Math.max(u.jitter, i.jitterMs);
    if (p) u.fresh = false;
    perUser.set(userId, u);
    let r = remote.get(userId);
    if (!r) {
      r = { userId, audio: { bitrate: 0, audioLevel: 0 }, video: [] };
      remote.set(userId, r);
    }
    const rate = kbps(i.bytesReceived - (p?.bytesReceived ?? i.bytesReceived), dt);
    if (i.kind === 'audio') r.audio = { bitrate: rate, audioLevel: i.audioLevel };
    else {
      r.video.push({
        width: i.frameWidth,
        height: i.frameHeight,
        frameRate: Math.round(i.framesPerSecond),
        bitrate: rate,
        videoType: stream === 'sub' ? 'sub' : 'big',
      });
    }
  }

  const upLoss = pct(lostUp, sent + Math.max(0, lostUp));
  const downLoss = pct(lostDown, received + lostDown);
  const publishing = (cur.pub?.out.length ?? 0) > 0;
  const receiving = (cur.sub?.in.length ?? 0) > 0;
  const statistics: StatisticsEvent = {
    rtt,
    upLoss,
    downLoss,
    bytesSent: (cur.pub?.bytesSent ?? 0) + (cur.sub?.bytesSent ?? 0) + cur.signalBytesSent,
    bytesReceived: (cur.pub?.bytesReceived ?? 0) + (cur.sub?.bytesReceived ?? 0) + cur.signalBytesReceived,
    localStatistics: { audio: localAudio, video: localVideo },
    remoteStatistics: [...remote.values()],
  };
  const known = prev !== null && rtts.length > 0;
  const quality: NetworkQualityEvent = {
    uplinkNetworkQuality: down ? 6 : known && publishing ? rateNetwork(upLoss, rtt, upJitter) : 0,
    downlinkNetworkQuality: down ? 6 : known && receiving ? rateNetwork(downLoss, rtt, downJitter) : 0,
    uplinkRTT: rtt,
    uplinkLoss: upLoss,
    downlinkRTT: rtt,
    downlinkLoss: downLoss,
    remoteQuality: [...perUser].map(([userId, u]) => ({
      userId,
      // Nothing received this interval (e.g. muted streams are not forwarded): unknown.
      quality: down ? 6 : !known || u.fresh || u.recv === 0 ? 0 : rateNetwork(pct(u.lost, u.recv + u.lost), rtt, u.jitter),
    })),
  };
  return { statistics, quality };
}

/** Volumes 0..100 from audio levels 0..1 (the local user is ''). */
export function volumes(cur: Snapshot, localOn: boolean): AudioVolumeEvent {
  const result: AudioVolumeEvent['result'] = [];
  if (localOn) result.push({ userId: '', volume: Math.round((cur.pub?.localAudioLevel ?? 0) * 100) });
  for (const i of cur.sub?.in ?? []) {
    if (i.kind !== 'audio') continue;
    result.push({ userId: i.key.split('/')[0]!, volume: Math.round(i.audioLevel * 100) });
  }
  return { result };
}

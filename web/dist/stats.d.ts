import type { AudioVolumeEvent, NetworkQualityEvent, StatisticsEvent } from './events.js';
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
/**
 * Reads the parts of an RTCStatsReport the SDK reports. names maps a mid to
 * the SDK's name for what that media section carries.
 */
export declare function readReport(report: Iterable<[string, any]> | Map<string, any>, names: Map<string, string>): PcStat;
/** TRTC quality levels (docs/quality.md): the first row all of whose limits hold. */
export declare const QUALITY_LEVELS: {
    level: number;
    loss: number;
    rtt: number;
    jitter: number;
}[];
export declare function rateNetwork(lossPct: number, rttMs: number, jitterMs: number): number;
export interface Report {
    statistics: StatisticsEvent;
    quality: NetworkQualityEvent;
}
/**
 * Turns two snapshots into the STATISTICS and NETWORK_QUALITY payloads.
 * down: the connection is lost (quality 6 both ways).
 */
export declare function computeReport(prev: Snapshot | null, cur: Snapshot, down: boolean): Report;
/** Volumes 0..100 from audio levels 0..1 (the local user is ''). */
export declare function volumes(cur: Snapshot, localOn: boolean): AudioVolumeEvent;

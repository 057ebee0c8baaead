import { type SocketFactory } from './signal.js';
import type { SpeedTestResult } from './types.js';
/** The probe datagram format (docs/protocol.md, "Probe datagrams"). */
export declare const PROBE: {
    readonly MAGIC: 14;
    readonly VERSION: 1;
    readonly HEADER: 48;
    readonly MAX_SIZE: 1200;
    /** Sequence numbers a receiver remembers, per direction. */
    readonly MAX_PACKETS: number;
    /** The highest rate a test may ask for (kbps). */
    readonly MAX_KBPS: 5000;
    /** The highest rate of the online chorus scene (kbps). */
    readonly MAX_CHORUS_KBPS: 1000;
    /**
     * The largest datagram sent over the data channel: a message must fit one
     * SCTP chunk (at most 1160 bytes at the server's SCTP MTU of 1191), or losing
     * either half of it loses it, counting the path's loss about twice.
     */
    readonly CHANNEL_MAX_SIZE: 1100;
    /**
     * What a message costs on the wire beyond a UDP probe of its size: SCTP
     * common and DATA chunk headers (12 + 16) and a DTLS AES-GCM record's
     * header, nonce and tag (13 + 8 + 16). Rates count it with every message,
     * so that they mean what the UDP test's do (the server does the same).
     */
    readonly CHANNEL_OVERHEAD: 65;
};
export declare const PING = 1;
export declare const PONG = 2;
export declare const UP = 3;
export declare const DOWN = 4;
/** The data channel's label and options (the server refuses any other). */
export declare const PROBE_CHANNEL = "probe";
export declare const PROBE_CHANNEL_INIT: RTCDataChannelInit;
/** Timings of a test; each phase's length comes from the server (phaseMs). */
export declare const SPEED_TEST_TIMINGS: {
    connectMs: number;
    requestMs: number;
    gatherMs: number;
    /** How long the data channel may take to open. */
    openMs: number;
    pings: number;
    pingGapMs: number;
    /** How long pongs may take after the last ping. */
    pongWaitMs: number;
    paceMs: number;
    /** What may wait in the channel's send buffer before a datagram is dropped (as a full socket would). */
    maxBufferedBytes: number;
    /** How long the upload's last datagrams may take to leave the channel's buffer. */
    drainMs: number;
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
export declare function encodeProbe(p: ProbePacket): Uint8Array<ArrayBuffer>;
/** Decodes a probe datagram, or returns null for anything else. */
export declare function parseProbe(data: ArrayBuffer | Uint8Array): ProbePacket | null;
/** Reads a token's 32 hexadecimal digits, or returns null. */
export declare function parseToken(hex: unknown): Uint8Array | null;
/** The datagram size for a rate: 20 ms of traffic per datagram, within 48..1200 bytes (as the Go SDK's). */
export declare function packetSize(kbps: number): number;
/** The datagram size for a rate over the data channel: packetSize, at most CHANNEL_MAX_SIZE. */
export declare function channelPacketSize(kbps: number): number;
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
export declare class ProbeReceiver {
    private seen;
    private count;
    private bytes;
    private first;
    private last;
    private jitter;
    private prevTransit;
    private haveTransit;
    /** Records a packet that arrived at atUs (µs), sent at sentUs on the sender's clock. */
    add(seq: number, sentUs: number, size: number, atUs: number): void;
    get received(): number;
    /** Summarizes what arrived of sent packets. */
    report(sent: number): ProbeReport;
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
export declare function checkSpeedTestParams(params: unknown): SpeedTestRequest;
/**
 * Rates a result like NETWORK_QUALITY rates a path, from the worse
 * direction's loss and jitter and the round trip; a direction that carried
 * less than half its expected rate lowers the rating one level (as the Go
 * SDK does).
 */
export declare function rateSpeedTest(r: SpeedTestResult, p: Pick<SpeedTestRequest, 'expectedUpBandwidth' | 'expectedDownBandwidth'>): number;
/** A failed test's result. */
export declare function failedResult(ip: string, errMsg: string): SpeedTestResult;
/** Drops the candidate lines of an SDP that keep refuses (see sdp.candidateFilter). */
export declare function filterCandidates(sdp: string, keep: (candidate: string) => boolean): string;
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
/**
 * Runs a speed test. It rejects with INVALID_PARAMETER for bad parameters
 * and INVALID_OPERATION while another test runs or an instance is in a
 * room; everything that goes wrong later resolves with success false and
 * errMsg, as TRTC's onSpeedTestResult reports it.
 */
export declare function startSpeedTest(params: unknown, deps: (server: unknown) => SpeedTestDeps): Promise<SpeedTestResult>;
/** Reads a ProbeReport from a response, with sane values. */
export declare function reportOf(data: unknown, sent: number): ProbeReport;

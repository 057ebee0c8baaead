import { RtcError } from './errors.js';
import type { Message } from './signal.js';
export type PubStream = 'audio' | 'big' | 'small' | 'sub';
export type Target = 'pub' | 'sub';
/** What a connection needs from the rest of the SDK. */
export interface PeerDeps {
    request(type: string, data: unknown, timeoutMs: number): Promise<Message>;
    send(type: string, data: unknown): boolean;
    createPC(): RTCPeerConnection;
    /** Whether a local candidate is worth sending (see sdp.candidateFilter). */
    keepCandidate(candidate: string): boolean;
    onConnectionState(target: Target, state: RTCPeerConnectionState): void;
    warn(msg: string, err?: unknown): void;
}
export declare const NEGOTIATION_TIMEOUT_MS = 10000;
/** Maps a pub_offer refusal to the error startLocalX rejects with. */
export declare function pubOfferError(m: Message, fn?: string): RtcError;
declare abstract class Side {
    protected target: Target;
    protected deps: PeerDeps;
    pc: RTCPeerConnection | null;
    protected held: RTCIceCandidateInit[];
    protected chain: Promise<void>;
    protected closed: boolean;
    constructor(target: Target, deps: PeerDeps);
    /** Runs op after every operation queued before it. */
    protected serial<T>(op: () => Promise<T>): Promise<T>;
    protected newPC(): RTCPeerConnection;
    /** A server candidate (trickled); held until there is a remote description. */
    addRemoteCandidate(c: RTCIceCandidateInit): void;
    protected flushHeld(): Promise<void>;
    get connectionState(): RTCPeerConnectionState | 'none';
    close(): void;
}
/** The publisher connection: local tracks by stream name. */
export declare class Publisher extends Side {
    private wanted;
    private sending;
    private restartNext;
    private msid;
    constructor(deps: PeerDeps);
    /** Sets (or with null removes) the track of a stream; negotiate() applies it. */
    set(stream: PubStream, track: MediaStreamTrack | null, encodings?: RTCRtpEncodingParameters[]): void;
    has(stream: PubStream): boolean;
    /** Swaps a stream's track without renegotiating (camera or microphone switch). */
    replace(stream: PubStream, track: MediaStreamTrack): Promise<void>;
    /** Changes a stream's encoding limits (bitrate, frame rate, scale). */
    encode(stream: PubStream, enc: RTCRtpEncodingParameters): Promise<void>;
    /** Restarts ICE with the next offer (after a network change or failure). */
    restartIce(): Promise<void>;
    /**
     * Brings the connection in line with the wanted tracks and, if anything
     * changed, offers it. Rejects with the server's refusal.
     */
    negotiate(): Promise<void>;
    /** Forgets the connection (a fresh enter negotiates a new one). */
    reset(): void;
    private doNegotiate;
    /** The streams being sent, by mid (statistics). */
    streamsByMid(): Map<string, PubStream>;
    close(): void;
}
/** The subscriber connection: remote tracks keyed "<userId>/<stream>". */
export declare class Subscriber extends Side {
    private onTracks;
    private tracks;
    private keysByMid;
    constructor(deps: PeerDeps, onTracks: (added: [string, MediaStreamTrack][], removed: string[]) => void);
    /** Answers a sub_offer. */
    onOffer(sdp: string): Promise<void>;
    /** Recomputes which remote tracks are being received and reports changes. */
    private refresh;
    track(key: string): MediaStreamTrack | undefined;
    /** "<userId>/<stream>" by mid (statistics). */
    keysByMidMap(): Map<string, string>;
    /** Asks the server to restart ICE; its new offer follows. */
    restartIce(): Promise<void>;
    /** Forgets the connection and its tracks (a fresh enter). */
    reset(): void;
}
export {};

// The two PeerConnections of docs/protocol.md "Media": the publisher, on
// which the SDK always offers (pub_offer), and the subscriber, on which the
// server always offers (sub_offer, answered with sub_answer). With one
// offerer per connection offers never cross. Operations on each connection
// run one at a time, in order (a promise chain).
import { ERROR_CODE, EXTRA_CODE, RtcError, serverError } from './errors.js';
import { trackIdsByMid } from './sdp.js';
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

export const NEGOTIATION_TIMEOUT_MS = 10000;

/** Maps a pub_offer refusal to the error startLocalX rejects with. */
export function pubOfferError(m: Message, fn = 'publish'): RtcError {
  if (m.code === 6001) {
    return new RtcError({
      code: ERROR_CODE.INVALID_OPERATION,
      extraCode: EXTRA_CODE.AUDIENCE_FORBIDDEN,
      message: 'audience members cannot publish: switchRole("anchor") first',
      functionName: fn,
    });
  }
  if (m.code === -8 || m.code === -3308) {
    return new RtcError({
      code: ERROR_CODE.OPERATION_FAILED,
      extraCode: EXTRA_CODE.SIGNAL_TIMEOUT,
      message: `publishing was not answered: ${m.msg ?? ''}`,
      functionName: fn,
    });
  }
  return serverError(m.code ?? -1, m.msg ?? 'publish refused', fn);
}

abstract class Side {
  pc: RTCPeerConnection | null = null;
  protected held: RTCIceCandidateInit[] = [];
  protected chain: Promise<void> = Promise.resolve();
  protected closed = false;

  constructor(
    protected target: Target,
    protected deps: PeerDeps,
  ) {}

  /** Runs op after every operation queued before it. */
  protected serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.chain.then(op);
    this.chain = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  protected newPC(): RTCPeerConnection {
    const pc = this.deps.createPC();
    pc.onicecandidate = (e) => {
      if (!e.candidate || !e.candidate.candidate) return;
      if (!this.deps.keepCandidate(e.candidate.candidate)) return;
      this.deps.send('candidate', {
        target: this.target,
        candidate: e.candidate.candidate,
        sdpMid: e.candidate.sdpMid,
        sdpMLineIndex: e.candidate.sdpMLineIndex,
      });
    };
    pc.onconnectionstatechange = () => {
      if (this.pc === pc) this.deps.onConnectionState(this.target, pc.connectionState);
    };
    return pc;
  }

  /** A server candidate (trickled); held until there is a remote description. */
  addRemoteCandidate(c: RTCIceCandidateInit): void {
    if (!c || !c.candidate) return;
    if (!this.pc || !this.pc.remoteDescription) {
      this.held.push(c);
      return;
    }
    this.pc.addIceCandidate(c).catch((e) => this.deps.warn(`${this.target}: remote candidate rejected`, e));
  }

  protected async flushHeld(): Promise<void> {
    const held = this.held;
    this.held = [];
    for (const c of held) {
      try {
        await this.pc!.addIceCandidate(c);
      } catch (e) {
        this.deps.warn(`${this.target}: held candidate rejected`, e);
      }
    }
  }

  get connectionState(): RTCPeerConnectionState | 'none' {
    return this.pc ? this.pc.connectionState : 'none';
  }

  close(): void {
    this.closed = true;
    this.held = [];
    if (this.pc) {
      this.pc.onicecandidate = null;
      this.pc.onconnectionstatechange = null;
      this.pc.close();
    }
    this.pc = null;
  }
}

interface Wanted {
  track: MediaStreamTrack;
  encodings?: RTCRtpEncodingParameters[];
}

interface Sending {
  transceiver: RTCRtpTransceiver;
  track: MediaStreamTrack;
}

/** The publisher connection: local tracks by stream name. */
export class Publisher extends Side {
  private wanted = new Map<PubStream, Wanted>();
  private sending = new Map<PubStream, Sending>();
  private restartNext = false;
  private msid: MediaStream | null = null;

  constructor(deps: PeerDeps) {
    super('pub', deps);
  }

  /** Sets (or with null removes) the track of a stream; negotiate() applies it. */
  set(stream: PubStream, track: MediaStreamTrack | null, encodings?: RTCRtpEncodingParameters[]): void {
    if (track) this.wanted.set(stream, { track, encodings });
    else this.wanted.delete(stream);
  }

  has(stream: PubStream): boolean {
    return this.wanted.has(stream);
  }

  /** Swaps a stream's track without renegotiating (camera or microphone switch). */
  async replace(stream: PubStream, track: MediaStreamTrack): Promise<void> {
    const w = this.wanted.get(stream);
    if (w) w.track = track;
    const s = this.sending.get(stream);
    if (s) {
      await s.transceiver.sender.replaceTrack(track);
      s.track = track;
    }
  }

  /** Changes a stream's encoding limits (bitrate, frame rate, scale). */
  async encode(stream: PubStream, enc: RTCRtpEncodingParameters): Promise<void> {
    const w = this.wanted.get(stream);
    if (w) w.encodings = [{ ...(w.encodings?.[0] ?? {}), ...enc }];
    const s = this.sending.get(stream);
    if (!s) return;
    const params = s.transceiver.sender.getParameters();
    if (!params.encodings || params.encodings.length === 0) return;
    params.encodings[0] = { ...params.encodings[0], ...enc };
    await s.transceiver.sender.setParameters(params);
  }

  /** Restarts ICE with the next offer (after a network change or failure). */
  restartIce(): Promise<void> {
    if (!this.pc) return Promise.resolve();
    this.restartNext = true;
    return this.negotiate();
  }

  /**
   * Brings the connection in line with the wanted tracks and, if anything
   * changed, offers it. Rejects with the server's refusal.
   */
  negotiate(): Promise<void> {
    return this.serial(() => this.doNegotiate());
  }

  /** Forgets the connection (a fresh enter negotiates a new one). */
  reset(): void {
    this.close();
    this.closed = false;
    this.sending.clear();
    this.msid = null;
  }

  private async doNegotiate(): Promise<void> {
    if (this.closed) return;
    if (!this.pc && this.wanted.size === 0) return;
    if (!this.pc) this.pc = this.newPC();
    const pc = this.pc;
    let changed = !pc.localDescription || this.restartNext;
    for (const [stream, s] of this.sending) {
      const w = this.wanted.get(stream);
      if (w && w.track.kind === s.track.kind) {
        if (w.track !== s.track) {
          await s.transceiver.sender.replaceTrack(w.track);
          s.track = w.track;
        }
        continue;
      }
      pc.removeTrack(s.transceiver.sender);
      this.sending.delete(stream);
      changed = true;
    }
    for (const [stream, w] of this.wanted) {
      if (this.sending.has(stream)) continue;
      if (!this.msid) this.msid = new MediaStream();
      const init: RTCRtpTransceiverInit = { direction: 'sendonly', streams: [this.msid] };
      if (w.encodings) init.sendEncodings = w.encodings;
      const transceiver = pc.addTransceiver(w.track, init);
      this.sending.set(stream, { transceiver, track: w.track });
      changed = true;
    }
    if (!changed) return;
    const restart = this.restartNext;
    this.restartNext = false;
    const offer = await pc.createOffer(restart ? { iceRestart: true } : undefined);
    await pc.setLocalDescription(offer);
    const ids = trackIdsByMid(offer.sdp ?? '');
    const tracks: { id: string; stream: PubStream }[] = [];
    for (const [stream, s] of this.sending) {
      const id = s.transceiver.mid ? ids.get(s.transceiver.mid) : undefined;
      tracks.push({ id: id ?? s.track.id, stream });
    }
    const resp = await this.deps.request('pub_offer', { sdp: offer.sdp, tracks }, NEGOTIATION_TIMEOUT_MS);
    if (this.pc !== pc) return;
    if (resp.code || !resp.data?.sdp) {
      try {
        await pc.setLocalDescription({ type: 'rollback' });
      } catch (e) {
        this.deps.warn('pub: rollback failed', e);
      }
      // The transceivers stay; the next negotiation offers them again.
      if (restart) this.restartNext = true;
      throw pubOfferError(resp.code ? resp : { ...resp, code: -1, msg: 'pub_offer answered without an SDP' });
    }
    await pc.setRemoteDescription({ type: 'answer', sdp: resp.data.sdp });
    await this.flushHeld();
  }

  /** The streams being sent, by mid (statistics). */
  streamsByMid(): Map<string, PubStream> {
    const m = new Map<string, PubStream>();
    for (const [stream, s] of this.sending) if (s.transceiver.mid) m.set(s.transceiver.mid, stream);
    return m;
  }

  override close(): void {
    super.close();
    this.sending.clear();
  }
}

/** The subscriber connection: remote tracks keyed "<userId>/<stream>". */
export class Subscriber extends Side {
  private tracks = new Map<string, MediaStreamTrack>();
  private keysByMid = new Map<string, string>();

  constructor(
    deps: PeerDeps,
    private onTracks: (added: [string, MediaStreamTrack][], removed: string[]) => void,
  ) {
    super('sub', deps);
  }

  /** Answers a sub_offer. */
  onOffer(sdp: string): Promise<void> {
    return this.serial(async () => {
      if (this.closed) return;
      if (!this.pc) this.pc = this.newPC();
      const pc = this.pc;
      await pc.setRemoteDescription({ type: 'offer', sdp });
      await this.flushHeld();
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      const resp = await this.deps.request('sub_answer', { sdp: answer.sdp }, NEGOTIATION_TIMEOUT_MS);
      if (resp.code) this.deps.warn(`sub_answer refused: ${resp.code} ${resp.msg ?? ''}`);
      if (this.pc === pc) this.refresh(sdp);
    });
  }

  /** Recomputes which remote tracks are being received and reports changes. */
  private refresh(remoteSdp: string): void {
    const ids = trackIdsByMid(remoteSdp);
    const now = new Map<string, MediaStreamTrack>();
    const byMid = new Map<string, string>();
    for (const t of this.pc!.getTransceivers()) {
      if (!t.mid) continue;
      const dir = t.currentDirection;
      if (dir !== 'recvonly' && dir !== 'sendrecv') continue;
      const key = ids.get(t.mid);
      if (!key || !key.includes('/')) continue;
      now.set(key, t.receiver.track);
      byMid.set(t.mid, key);
    }
    const added: [string, MediaStreamTrack][] = [];
    const removed: string[] = [];
    for (const [k, track] of now) if (this.tracks.get(k) !== track) added.push([k, track]);
    for (const k of this.tracks.keys()) if (!now.has(k)) removed.push(k);
    this.tracks = now;
    this.keysByMid = byMid;
    if (added.length || removed.length) this.onTracks(added, removed);
  }

  track(key: string): MediaStreamTrack | undefined {
    return this.tracks.get(key);
  }

  /** "<userId>/<stream>" by mid (statistics). */
  keysByMidMap(): Map<string, string> {
    return new Map(this.keysByMid);
  }

  /** Asks the server to restart ICE; its new offer follows. */
  async restartIce(): Promise<void> {
    if (!this.pc) return;
    const resp = await this.deps.request('restart_ice', { target: 'sub' }, NEGOTIATION_TIMEOUT_MS);
    if (resp.code) this.deps.warn(`restart_ice refused: ${resp.code} ${resp.msg ?? ''}`);
  }

  /** Forgets the connection and its tracks (a fresh enter). */
  reset(): void {
    const removed = [...this.tracks.keys()];
    this.close();
    this.closed = false;
    this.tracks.clear();
    this.keysByMid.clear();
    if (removed.length) this.onTracks([], removed);
  }
}

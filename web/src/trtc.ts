// The TRTC class: TRTC Web SDK v5's API over an rtcengine server. It ties
// the room session (room.ts), the two PeerConnections (peer.ts), local
// capture (devices.ts), players (player.ts) and statistics (stats.ts).
import { CDNStreaming } from './cdnstreaming.js';
import { CustomMessageLimiter, checkCustomMessage, fromBase64, toBase64 } from './custommsg.js';
import {
  captureCamera,
  captureMicrophone,
  captureScreen,
  diffDevices,
  enumerateAll,
  listDevices,
  type DeviceInfo,
} from './devices.js';
import {
  ERROR_CODE,
  EXTRA_CODE,
  RtcError,
  aborted,
  invalidOperation,
  invalidParameter,
  serverError,
} from './errors.js';
import { EVENT, Emitter, type EventMap, type StreamType } from './events.js';
import { Publisher, Subscriber, type PeerDeps, type PubStream, type Target } from './peer.js';
import { Player, type FillMode } from './player.js';
import {
  DEFAULT_SCREEN_PROFILE,
  DEFAULT_SMALL_PROFILE,
  DEFAULT_VIDEO_PROFILE,
  SCREEN_PROFILES,
  VIDEO_PROFILES,
  resolveAudioProfile,
  resolveVideoProfile,
  scaleDownBy,
  type AudioProfile,
} from './profiles.js';
import { RoomSession, SDK_VERSION, type RoomHooks, type RoomTimings } from './room.js';
import type { RoomEvent } from './roomstate.js';
import { candidateFilter } from './sdp.js';
import { startSpeedTest } from './speedtest.js';
import { CODE_DISCONNECTED, CODE_TIMEOUT, browserSocket, type Message, type SocketFactory } from './signal.js';
import { computeReport, readReport, volumes, type InStat, type Snapshot } from './stats.js';
import {
  TYPE,
  type CreateOptions,
  type Role,
  type SpeedTestParams,
  type SpeedTestResult,
  type VideoProfileObject,
} from './types.js';
import {
  ROLE_CODE,
  checkBool,
  checkEnterRoom,
  checkOptionalString,
  checkOptions,
  checkRole,
  checkStreamType,
  resolveView,
} from './validate.js';

const STATS_INTERVAL_MS = 2000;
const MIN_VOLUME_INTERVAL_MS = 100;
const ICE_GRACE_MS = 2000;

interface LocalCamera {
  track: MediaStreamTrack;
  owned: boolean;
  profile: VideoProfileObject;
  small: VideoProfileObject | null;
  smallTrack: MediaStreamTrack | null;
  cameraId?: string;
  player: Player | null;
  publish: boolean;
  mute: boolean;
  mirror: boolean;
  fillMode: FillMode;
}

interface LocalMic {
  track: MediaStreamTrack;
  owned: boolean;
  profile: AudioProfile;
  microphoneId?: string;
  publish: boolean;
  mute: boolean;
}

interface LocalScreen {
  track: MediaStreamTrack;
  owned: boolean;
  profile: VideoProfileObject;
  player: Player | null;
  publish: boolean;
}

interface RemoteVideo {
  userId: string;
  streamType: StreamType;
  player: Player;
  small: boolean;
}

type Announced = { audio: boolean; video: boolean; sub: boolean };

/** Where the SDK connects by default: the server it was loaded from. */
function defaultServer(): string {
  try {
    const u = new URL(import.meta.url);
    if (u.protocol === 'http:' || u.protocol === 'https:') {
      return `${u.protocol === 'https:' ? 'wss:' : 'ws:'}//${u.host}/signal`;
    }
  } catch {
    // not loaded from a URL
  }
  if (typeof location !== 'undefined' && (location.protocol === 'http:' || location.protocol === 'https:')) {
    return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/signal`;
  }
  return 'ws://127.0.0.1:7880/signal';
}

/** Turns TRTC.create's server option into the signaling URL. */
export function signalUrl(server?: unknown): string {
  if (server === undefined || server === null || server === '') return defaultServer();
  if (typeof server !== 'string') throw invalidParameter(EXTRA_CODE.TYPE, 'server must be a string URL', 'create');
  let u: URL;
  try {
    u = new URL(server);
  } catch {
    throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, `server "${server}" is not a URL`, 'create');
  }
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  else if (u.protocol !== 'ws:' && u.protocol !== 'wss:') {
    throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, 'server must be a ws://, wss://, http:// or https:// URL', 'create');
  }
  if (u.pathname === '' || u.pathname === '/') u.pathname = '/signal';
  return u.toString();
}

/** Test hooks: a WebSocket and PeerConnection factory, shorter timers. */
export interface InternalOptions {
  socketFactory?: SocketFactory;
  createPC?: () => RTCPeerConnection;
  timings?: Partial<RoomTimings>;
}

const instances = new Set<TRTC>();
let currentSpeaker = '';

export class TRTC {
  static readonly EVENT = EVENT;
  static readonly ERROR_CODE = ERROR_CODE;
  static readonly TYPE = TYPE;
  static readonly VERSION = SDK_VERSION;

  /** Creates an instance: one user in at most one room at a time. */
  static create(options?: CreateOptions, internal?: InternalOptions): TRTC {
    const o = checkOptions(options, 'create', false);
    return new TRTC(signalUrl(o.server), internal ?? {});
  }

  static getCameraList(requestPermission = true): Promise<DeviceInfo[]> {
    return listDevices('videoinput', requestPermission);
  }

  static getMicrophoneList(requestPermission = true): Promise<DeviceInfo[]> {
    return listDevices('audioinput', requestPermission);
  }

  static getSpeakerList(requestPermission = true): Promise<DeviceInfo[]> {
    return listDevices('audiooutput', requestPermission);
  }

  /** Routes every instance's remote audio to a speaker. */
  static async setCurrentSpeaker(speakerId: string): Promise<void> {
    if (typeof speakerId !== 'string') throw invalidParameter(EXTRA_CODE.TYPE, 'speakerId must be a string', 'setCurrentSpeaker');
    currentSpeaker = speakerId;
    for (const t of instances) await t.applySpeaker();
  }

  static async isSupported(): Promise<{ result: boolean; detail: Record<string, boolean> }> {
    const has = (v: unknown) => typeof v !== 'undefined';
    const detail = {
      isBrowserSupported: typeof window !== 'undefined',
      isWebRTCSupported: typeof RTCPeerConnection !== 'undefined',
      isMediaDevicesSupported: typeof navigator !== 'undefined' && has(navigator.mediaDevices?.getUserMedia),
      isScreenShareSupported: typeof navigator !== 'undefined' && has(navigator.mediaDevices?.getDisplayMedia),
      isWebSocketSupported: typeof WebSocket !== 'undefined',
    };
    return { result: detail.isWebRTCSupported && detail.isWebSocketSupported, detail };
  }

  static setLogLevel(_level: number): void {}

  /**
   * Measures the network to the server before entering a room (TRTC's
   * startSpeedTest): round trip, loss, jitter and available bandwidth each
   * way. See docs/web-sdk.md.
   */
  static startSpeedTest(params: SpeedTestParams, internal?: InternalOptions): Promise<SpeedTestResult> {
    return startSpeedTest(params, (server) => {
      const url = signalUrl(server);
      return {
        url,
        socketFactory: internal?.socketFactory ?? browserSocket,
        createPC: internal?.createPC ?? (() => new RTCPeerConnection()),
        keepCandidate: candidateFilter(new URL(url).hostname),
        inRoom: [...instances].some((t) => t.room !== null),
      };
    });
  }

  private emitter = new Emitter();
  private room: RoomSession | null = null;
  private pub: Publisher;
  private sub: Subscriber;
  private announced: Announced = { audio: false, video: false, sub: false };
  private camera: LocalCamera | null = null;
  private mic: LocalMic | null = null;
  private screen: LocalScreen | null = null;
  private busy = new Set<string>(); // startLocalVideo/Audio/ScreenShare in progress
  private remoteVideo = new Map<string, RemoteVideo>();
  private remoteAudio = new Map<string, Player>();
  private audioWanted = new Map<string, boolean>();
  private audioVolume = new Map<string, number>();
  private limiter = new CustomMessageLimiter();
  private statsTimer: ReturnType<typeof setInterval> | null = null;
  private volumeTimer: ReturnType<typeof setInterval> | null = null;
  private volumeInterval = 0;
  private volumeInBackground = false;
  private prevSnapshot: Snapshot | null = null;
  private iceTimers = new Map<Target, ReturnType<typeof setTimeout>>();
  private devices: DeviceInfo[] = [];
  private destroyed = false;
  private socketFactory: SocketFactory;
  private keepCandidate: (c: string) => boolean;
  private timings: Partial<RoomTimings>;

  private constructor(
    private serverUrl: string,
    internal: InternalOptions,
  ) {
    this.socketFactory = internal.socketFactory ?? browserSocket;
    this.timings = internal.timings ?? {};
    this.keepCandidate = candidateFilter(new URL(serverUrl).hostname);
    const createPC = internal.createPC ?? (() => new RTCPeerConnection({ bundlePolicy: 'max-bundle' }));
    const deps: PeerDeps = {
      request: (type, data, timeoutMs) => this.request(type, data, timeoutMs),
      send: (type, data) => this.room?.send(type, data) ?? false,
      createPC,
      keepCandidate: (c) => this.keepCandidate(c),
      onConnectionState: (target, state) => this.onPeerState(target, state),
      warn: (msg, err) => console.warn(`rtcengine: ${msg}`, err ?? ''),
    };
    this.pub = new Publisher(deps);
    this.sub = new Subscriber(deps, (added, removed) => this.onRemoteTracks(added, removed));
    instances.add(this);
    this.listen();
  }

  /** The signaling URL this instance connects to. */
  get server(): string {
    return this.serverUrl;
  }

  on<K extends keyof EventMap>(event: K, handler: (e: EventMap[K]) => void, context?: unknown): this {
    this.emitter.on(event, handler, context);
    return this;
  }

  once<K extends keyof EventMap>(event: K, handler: (e: EventMap[K]) => void, context?: unknown): this {
    this.emitter.once(event, handler, context);
    return this;
  }

  off(event: keyof EventMap | '*', handler?: (e: any) => void, context?: unknown): this {
    this.emitter.off(event, handler, context);
    return this;
  }

  private emit<K extends keyof EventMap>(event: K, payload: EventMap[K]): void {
    this.emitter.emit(event, payload);
  }

  private alive(fn: string): void {
    if (this.destroyed) {
      throw invalidOperation(EXTRA_CODE.DESTROYED, 'this TRTC instance was destroyed: create a new one', fn);
    }
  }

  private requireRoom(fn: string): RoomSession {
    const r = this.room;
    if (!r || !r.inRoom) throw invalidOperation(EXTRA_CODE.NOT_IN_ROOM, `${fn} needs to be called after enterRoom succeeds`, fn);
    return r;
  }

  private isAudience(): boolean {
    const r = this.room;
    return !!r && r.params.scene === 'live' && r.role === 'audience';
  }

  private request(type: string, data: unknown, timeoutMs?: number): Promise<Message> {
    if (!this.room) return Promise.resolve({ type: 'response', code: CODE_DISCONNECTED, msg: 'not in a room' });
    return this.room.request(type, data, timeoutMs);
  }

  // ---- room ----------------------------------------------------------

  /** Enters a room (v5 enterRoom). */
  async enterRoom(options: unknown): Promise<void> {
    const fn = 'enterRoom';
    this.alive(fn);
    const p = checkEnterRoom(options);
    if (this.room) {
      throw invalidOperation(
        EXTRA_CODE.REPEATED_CALL,
        this.room.inRoom ? 'already in a room: call exitRoom first' : 'enterRoom is already in progress',
        fn,
      );
    }
    const room = new RoomSession(p, this.serverUrl, this.socketFactory, this.hooks(), {
      connectTimeoutMs: 5000,
      requestTimeoutMs: 5000,
      heartbeatMs: 2000,
      timeoutMs: 10000,
      maxReconnectMs: 120000,
      ...this.timings,
    });
    this.room = room;
    this.resetMedia();
    for (const u of [...this.audioWanted.keys()]) this.audioWanted.delete(u);
    const r = await room.enter();
    if (this.room !== room) throw aborted('exitRoom was called before enterRoom finished', fn);
    if (r.code) {
      this.room = null;
      if (r.code === CODE_TIMEOUT || r.code === CODE_DISCONNECTED) {
        throw new RtcError({
          code: ERROR_CODE.OPERATION_FAILED,
          extraCode: EXTRA_CODE.SIGNAL_TIMEOUT,
          message: `cannot reach the rtcengine server at ${this.serverUrl}: ${r.msg}`,
          functionName: fn,
        });
      }
      throw serverError(r.code, r.msg, fn);
    }
    this.startStats();
    if (this.volumeInterval > 0) this.startVolume();
    void this.republish(fn);
  }

  private hooks(): RoomHooks {
    return {
      roomEvents: (events) => this.onRoomEvents(events),
      kicked: (reason, message) => {
        this.leaveMedia();
        this.room = null;
        this.emit(EVENT.KICKED_OUT, { reason, message });
      },
      event: (m) => this.onSignalEvent(m),
      state: (prevState, state) => this.emit(EVENT.CONNECTION_STATE_CHANGED, { prevState, state }),
      recovered: (resumed) => void this.onRecovered(resumed),
      failed: (reason) => {
        this.leaveMedia();
        this.room = null;
        this.emit(
          EVENT.ERROR,
          new RtcError({ code: ERROR_CODE.OPERATION_FAILED, extraCode: EXTRA_CODE.RECONNECT_FAILED, message: reason }),
        );
      },
      warning: (code, msg) => console.warn(`rtcengine: server warning ${code}: ${msg}`),
    };
  }

  /** Leaves the room (v5 exitRoom). Local capture keeps running. */
  async exitRoom(): Promise<void> {
    const room = this.room;
    if (!room) return;
    this.room = null;
    this.leaveMedia();
    await room.exit();
  }

  /** Changes role in the live scene (v5 switchRole). */
  async switchRole(role: unknown, option?: { privateMapKey?: string }): Promise<void> {
    const fn = 'switchRole';
    this.alive(fn);
    const r = checkRole(role, fn) as Role;
    const pmk = checkOptionalString(option?.privateMapKey, 'privateMapKey', fn);
    const room = this.requireRoom(fn);
    if (room.params.scene !== 'live') {
      throw invalidOperation(undefined, "switchRole works only in the 'live' scene", fn);
    }
    if (room.role === r) return;
    const resp = await room.request('switch_role', { role: ROLE_CODE[r], privateMapKey: pmk });
    if (resp.code) throw serverError(resp.code, resp.msg ?? '', fn);
    room.setRole(r);
    if (r === 'audience') {
      // The server ended our streams; stop sending them.
      this.announced = { audio: false, video: false, sub: false };
      for (const s of ['audio', 'big', 'small', 'sub'] as PubStream[]) this.pub.set(s, null);
      await this.pub.negotiate().catch((e) => this.report(e));
      return;
    }
    await this.republish(fn);
  }

  /** Releases everything; the instance cannot be used again. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    await this.exitRoom().catch(() => {});
    this.destroyed = true;
    this.stopCamera();
    this.stopMic();
    this.stopScreen();
    if (this.volumeTimer) clearInterval(this.volumeTimer);
    this.volumeTimer = null;
    this.unlisten();
    this.emitter.off('*');
    instances.delete(this);
  }

  private onRoomEvents(events: RoomEvent[]): void {
    for (const e of events) {
      switch (e.kind) {
        case 'enter':
          this.emit(EVENT.REMOTE_USER_ENTER, { userId: e.userId });
          break;
        case 'away': // missing after a re-enter (roomstate.ts): its players go, the exit may follow
        case 'exit':
          for (const st of ['main', 'sub'] as StreamType[]) this.dropRemoteVideo(`${e.userId}/${st}`);
          this.remoteAudio.get(e.userId)?.destroy();
          this.remoteAudio.delete(e.userId);
          if (e.kind === 'exit') this.emit(EVENT.REMOTE_USER_EXIT, { userId: e.userId });
          break;
        case 'audio':
          if (e.available) {
            if (this.audioWanted.get(e.userId) === false) {
              void this.request('subscribe', { userId: e.userId, stream: 'audio', on: false });
            }
            this.emit(EVENT.REMOTE_AUDIO_AVAILABLE, { userId: e.userId });
          } else this.emit(EVENT.REMOTE_AUDIO_UNAVAILABLE, { userId: e.userId });
          break;
        case 'video':
          this.emit(e.available ? EVENT.REMOTE_VIDEO_AVAILABLE : EVENT.REMOTE_VIDEO_UNAVAILABLE, {
            userId: e.userId,
            streamType: e.streamType,
          });
          break;
      }
    }
  }

  private onSignalEvent(m: Message): void {
    const d = m.data && typeof m.data === 'object' ? m.data : {};
    switch (m.type) {
      case 'sub_offer':
        if (typeof d.sdp === 'string' && d.sdp) {
          this.sub.onOffer(d.sdp).catch((e) => console.warn('rtcengine: cannot answer the subscriber offer', e));
        }
        break;
      case 'candidate': {
        const c = { candidate: d.candidate, sdpMid: d.sdpMid, sdpMLineIndex: d.sdpMLineIndex };
        if (d.target === 'pub') this.pub.addRemoteCandidate(c);
        else if (d.target === 'sub') this.sub.addRemoteCandidate(c);
        break;
      }
      case 'custom_msg': {
        if (typeof d.userId !== 'string' || typeof d.data !== 'string') break;
        // After a resume the server sends again what came after the last
        // index we saw; an index seen before is a duplicate.
        const room = this.room;
        if (room && typeof d.index === 'number' && d.index > 0) {
          if (room.lastMsgIndex !== null && d.index <= room.lastMsgIndex) break;
          room.lastMsgIndex = d.index;
        }
        const data = fromBase64(d.data);
        if (!data) break;
        this.emit(EVENT.CUSTOM_MESSAGE, {
          userId: d.userId,
          cmdId: typeof d.cmdId === 'number' ? d.cmdId : 0,
          seq: typeof d.seq === 'number' ? d.seq : 0,
          data,
        });
        break;
      }
      case 'custom_miss':
        console.warn(`rtcengine: missed ${d.missed} custom messages (cmdId ${d.cmdId}) from ${d.userId}`);
        break;
    }
  }

  /** Back after a connection loss: media is kept (resumed) or renegotiated. */
  private async onRecovered(resumed: boolean): Promise<void> {
    if (!resumed) {
      this.pub.reset();
      this.sub.reset();
      this.announced = { audio: false, video: false, sub: false };
      await this.republish('reconnect');
      for (const rv of this.remoteVideo.values()) {
        void this.request('subscribe', {
          userId: rv.userId,
          stream: rv.streamType === 'main' ? 'video' : 'sub',
          on: true,
          layer: rv.small ? 'small' : 'auto',
        });
      }
      for (const [u, want] of this.audioWanted) {
        void this.request('subscribe', { userId: u, stream: 'audio', on: want });
      }
      return;
    }
    // The server kept our session; make sure it agrees on what we publish
    // and repair media paths that broke meanwhile.
    const want = this.desiredStreams();
    this.announced = { audio: !want.audio, video: !want.video, sub: !want.sub };
    await this.republish('reconnect');
    for (const [target, side] of [
      ['pub', this.pub],
      ['sub', this.sub],
    ] as const) {
      const st = side.connectionState;
      if (st === 'failed' || st === 'disconnected') void this.restartIce(target);
    }
  }

  private resetMedia(): void {
    this.pub.reset();
    this.sub.reset();
    this.announced = { audio: false, video: false, sub: false };
    this.prevSnapshot = null;
  }

  /** Tears down room media (exit, kick, failure); local capture stays. */
  private leaveMedia(): void {
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.statsTimer = null;
    for (const t of this.iceTimers.values()) clearTimeout(t);
    this.iceTimers.clear();
    for (const rv of this.remoteVideo.values()) rv.player.destroy();
    this.remoteVideo.clear();
    for (const p of this.remoteAudio.values()) p.destroy();
    this.remoteAudio.clear();
    this.resetMedia();
  }

  // ---- publishing ----------------------------------------------------

  private desiredStreams(): Announced {
    const pubOK = !!this.room && !this.isAudience();
    return {
      audio: pubOK && !!this.mic && this.mic.publish && !this.mic.mute,
      video: pubOK && !!this.camera && this.camera.publish && !this.camera.mute,
      sub: pubOK && !!this.screen && this.screen.publish,
    };
  }

  /** Tells the server a stream is (not) available; refusals reject. */
  private async announce(stream: keyof Announced, available: boolean, fn: string): Promise<void> {
    if (this.announced[stream] === available) return;
    const r = await this.request('stream_state', { stream, available });
    if (!available) {
      this.announced[stream] = false;
      return;
    }
    if (r.code === 6001) {
      throw invalidOperation(EXTRA_CODE.AUDIENCE_FORBIDDEN, 'audience members cannot publish: switchRole("anchor") first', fn);
    }
    if (r.code === CODE_DISCONNECTED) return; // announced again once reconnected
    if (r.code) throw serverError(r.code, r.msg ?? '', fn);
    this.announced[stream] = true;
  }

  private cameraEncodings(c: LocalCamera): { big: RTCRtpEncodingParameters[]; small: RTCRtpEncodingParameters[] } {
    const s = c.track.getSettings?.() ?? {};
    const small = c.small ?? DEFAULT_SMALL_PROFILE;
    return {
      big: [{ maxBitrate: c.profile.bitrate * 1000, maxFramerate: c.profile.frameRate }],
      small: [
        {
          maxBitrate: small.bitrate * 1000,
          maxFramerate: small.frameRate,
          scaleResolutionDownBy: scaleDownBy(s.width ?? c.profile.width, s.height ?? c.profile.height, small.width, small.height),
        },
      ],
    };
  }

  /** Puts the wanted local tracks on the publisher connection (no announcing). */
  private setPubTracks(): void {
    const ok = !!this.room && !this.isAudience();
    const c = this.camera;
    if (ok && c && c.publish) {
      const enc = this.cameraEncodings(c);
      this.pub.set('big', c.track, enc.big);
      if (c.small) {
        if (!c.smallTrack) c.smallTrack = c.track.clone();
        this.pub.set('small', c.smallTrack, enc.small);
      } else this.pub.set('small', null);
    } else {
      this.pub.set('big', null);
      this.pub.set('small', null);
    }
    const m = this.mic;
    this.pub.set('audio', ok && m && m.publish ? m.track : null, m ? [{ maxBitrate: m.profile.bitrate * 1000 }] : undefined);
    const s = this.screen;
    this.pub.set(
      'sub',
      ok && s && s.publish ? s.track : null,
      s ? [{ maxBitrate: s.profile.bitrate * 1000, maxFramerate: s.profile.frameRate }] : undefined,
    );
  }

  /**
   * Publishes what is captured and unpublishes what is not, announcing
   * streams first (the server may refuse, e.g. a second screen sharer).
   * Used on enter, recovery and switching to anchor; errors become ERROR
   * events unless fn is an API that should reject.
   */
  private async republish(fn: string): Promise<void> {
    if (!this.room?.connected) return;
    if (this.isAudience() && (this.camera?.publish || this.mic?.publish || this.screen?.publish)) {
      console.warn('rtcengine: audience members do not publish; switchRole("anchor") to publish');
    }
    const want = this.desiredStreams();
    this.setPubTracks();
    try {
      for (const k of ['audio', 'video', 'sub'] as (keyof Announced)[]) {
        if (!want[k]) await this.announce(k, false, fn);
      }
      for (const k of ['audio', 'video', 'sub'] as (keyof Announced)[]) {
        if (want[k]) {
          try {
            await this.announce(k, true, fn);
          } catch (e) {
            if (k === 'sub') {
              this.stopScreen();
              this.setPubTracks();
              this.emit(EVENT.SCREEN_SHARE_STOPPED, undefined);
            }
            throw e;
          }
        }
      }
      await this.pub.negotiate();
    } catch (e) {
      if (fn === 'enterRoom' || fn === 'reconnect') this.report(e);
      else throw e;
    }
  }

  private report(e: unknown): void {
    const err =
      e instanceof RtcError ? e : new RtcError({ code: ERROR_CODE.UNKNOWN_ERROR, message: String((e as Error)?.message ?? e) });
    this.emit(EVENT.ERROR, err);
  }

  // ---- local video ---------------------------------------------------

  /** Opens the camera, previews it in view and publishes it (v5 startLocalVideo). */
  async startLocalVideo(options?: unknown): Promise<void> {
    const fn = 'startLocalVideo';
    this.alive(fn);
    const o = checkOptions(options, fn, false);
    const view = resolveView(o.view, fn, false);
    const opt = checkOptions(o.option, fn, false);
    const profile = resolveVideoProfile(opt.profile, VIDEO_PROFILES, DEFAULT_VIDEO_PROFILE, fn);
    const small = this.smallProfile(opt.small, fn);
    const publish = checkBool(o.publish, 'publish', fn) ?? true;
    const mute = checkBool(o.mute, 'mute', fn) ?? false;
    const mirror = checkBool(opt.mirror, 'option.mirror', fn) ?? true;
    const fillMode = this.fillMode(opt.fillMode, 'cover', fn);
    const cameraId = checkOptionalString(opt.cameraId, 'option.cameraId', fn);
    const front = checkBool(opt.useFrontCamera, 'option.useFrontCamera', fn);
    const given = this.checkTrack(opt.videoTrack, 'video', 'option.videoTrack', fn);
    if (this.camera || this.busy.has('camera')) {
      throw invalidOperation(EXTRA_CODE.REPEATED_CALL, 'the camera is already started: use updateLocalVideo', fn);
    }
    if (publish && this.room?.inRoom && this.isAudience()) {
      throw invalidOperation(EXTRA_CODE.AUDIENCE_FORBIDDEN, 'audience members cannot publish: switchRole("anchor") first', fn);
    }
    this.busy.add('camera');
    let track: MediaStreamTrack;
    try {
      track = given ?? (await captureCamera(profile, cameraId, front, fn));
    } finally {
      this.busy.delete('camera');
    }
    if (this.destroyed) {
      if (!given) track.stop();
      throw aborted('the instance was destroyed while the camera was starting', fn);
    }
    track.enabled = !mute;
    const cam: LocalCamera = {
      track,
      owned: !given,
      profile,
      small,
      smallTrack: null,
      cameraId,
      player: null,
      publish,
      mute,
      mirror,
      fillMode,
    };
    if (view) {
      cam.player = new Player({ kind: 'video', userId: '', mediaType: 'video', container: view, mirror, fillMode });
      cam.player.setTrack(track);
    }
    this.camera = cam;
    this.watchEnded(track, 'camera');
    if (this.room?.connected && publish) {
      try {
        await this.republish(fn);
      } catch (e) {
        this.stopCamera();
        this.setPubTracks();
        await this.pub.negotiate().catch(() => {});
        throw e;
      }
    }
  }

  /** Changes the camera's view, device, profile, mute or publishing (v5 updateLocalVideo). */
  async updateLocalVideo(options?: unknown): Promise<void> {
    const fn = 'updateLocalVideo';
    this.alive(fn);
    const o = checkOptions(options, fn, false);
    const viewGiven = 'view' in o;
    const view = viewGiven ? resolveView(o.view, fn, false) : null;
    const opt = checkOptions(o.option, fn, false);
    const profile = opt.profile !== undefined ? resolveVideoProfile(opt.profile, VIDEO_PROFILES, DEFAULT_VIDEO_PROFILE, fn) : null;
    const publish = checkBool(o.publish, 'publish', fn);
    const mute = checkBool(o.mute, 'mute', fn);
    const mirror = checkBool(opt.mirror, 'option.mirror', fn);
    const fillMode = opt.fillMode !== undefined ? this.fillMode(opt.fillMode, 'cover', fn) : undefined;
    const cameraId = checkOptionalString(opt.cameraId, 'option.cameraId', fn);
    const c = this.camera;
    if (!c) throw invalidOperation(EXTRA_CODE.CAMERA_NOT_STARTED, 'the camera is not started: call startLocalVideo first', fn);
    if (publish && this.room?.inRoom && this.isAudience()) {
      throw invalidOperation(EXTRA_CODE.AUDIENCE_FORBIDDEN, 'audience members cannot publish: switchRole("anchor") first', fn);
    }
    if (viewGiven) {
      if (view && !c.player) {
        c.player = new Player({ kind: 'video', userId: '', mediaType: 'video', container: view, mirror: c.mirror, fillMode: c.fillMode });
        c.player.setTrack(c.track);
      } else if (c.player) {
        if (view) c.player.move(view);
        else {
          c.player.destroy();
          c.player = null;
        }
      }
    }
    if (mirror !== undefined) {
      c.mirror = mirror;
      c.player?.setMirror(mirror);
    }
    if (fillMode) {
      c.fillMode = fillMode;
      c.player?.setFillMode(fillMode);
    }
    if (cameraId !== undefined && cameraId !== c.cameraId) {
      const t = await captureCamera(profile ?? c.profile, cameraId, undefined, fn);
      await this.swapCamera(t, cameraId);
    }
    if (profile) {
      c.profile = profile;
      await c.track
        .applyConstraints({ width: { ideal: profile.width }, height: { ideal: profile.height }, frameRate: { ideal: profile.frameRate } })
        .catch((e) => {
          throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, `the camera cannot use this profile: ${e?.message ?? e}`, fn);
        });
      await this.pub.encode('big', { maxBitrate: profile.bitrate * 1000, maxFramerate: profile.frameRate });
    }
    if (mute !== undefined) {
      c.mute = mute;
      c.track.enabled = !mute;
    }
    if (publish !== undefined) c.publish = publish;
    await this.republish(fn);
  }

  /** Stops the camera and unpublishes it (v5 stopLocalVideo). */
  async stopLocalVideo(): Promise<void> {
    this.alive('stopLocalVideo');
    if (!this.camera) return;
    this.stopCamera();
    await this.republish('stopLocalVideo').catch((e) => this.report(e));
  }

  private stopCamera(): void {
    const c = this.camera;
    if (!c) return;
    this.camera = null;
    c.player?.destroy();
    if (c.owned) c.track.stop();
    c.smallTrack?.stop();
  }

  private async swapCamera(t: MediaStreamTrack, cameraId?: string): Promise<void> {
    const c = this.camera;
    if (!c) {
      t.stop();
      return;
    }
    const old = c.track;
    const oldSmall = c.smallTrack;
    c.track = t;
    c.cameraId = cameraId;
    c.owned = true;
    t.enabled = !c.mute;
    c.player?.setTrack(t);
    await this.pub.replace('big', t);
    if (c.small) {
      c.smallTrack = t.clone();
      await this.pub.replace('small', c.smallTrack);
    }
    this.watchEnded(t, 'camera');
    old.stop();
    oldSmall?.stop();
  }

  private smallProfile(v: unknown, fn: string): VideoProfileObject | null {
    if (v === undefined || v === null || v === false) return null;
    if (v === true) return { ...DEFAULT_SMALL_PROFILE };
    return resolveVideoProfile(v, VIDEO_PROFILES, DEFAULT_VIDEO_PROFILE, fn, 'option.small');
  }

  private fillMode(v: unknown, dflt: FillMode, fn: string): FillMode {
    if (v === undefined || v === null) return dflt;
    if (v !== 'contain' && v !== 'cover' && v !== 'fill') {
      throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, "fillMode must be 'contain', 'cover' or 'fill'", fn);
    }
    return v;
  }

  private checkTrack(v: unknown, kind: string, name: string, fn: string): MediaStreamTrack | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof MediaStreamTrack === 'undefined' || !(v instanceof MediaStreamTrack)) {
      throw invalidParameter(EXTRA_CODE.INSTANCE, `${name} must be a MediaStreamTrack`, fn);
    }
    if (v.kind !== kind) throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, `${name} must be a ${kind} track`, fn);
    return v;
  }

  // ---- local audio ---------------------------------------------------

  /** Opens the microphone and publishes it (v5 startLocalAudio). */
  async startLocalAudio(options?: unknown): Promise<void> {
    const fn = 'startLocalAudio';
    this.alive(fn);
    const o = checkOptions(options, fn, false);
    const opt = checkOptions(o.option, fn, false);
    const profile = resolveAudioProfile(opt.profile, fn);
    const publish = checkBool(o.publish, 'publish', fn) ?? true;
    const mute = checkBool(o.mute, 'mute', fn) ?? false;
    const microphoneId = checkOptionalString(opt.microphoneId, 'option.microphoneId', fn);
    const given = this.checkTrack(opt.audioTrack, 'audio', 'option.audioTrack', fn);
    const ec = checkBool(opt.echoCancellation, 'option.echoCancellation', fn);
    const ns = checkBool(opt.noiseSuppression, 'option.noiseSuppression', fn);
    const agc = checkBool(opt.autoGainControl, 'option.autoGainControl', fn);
    if (this.mic || this.busy.has('mic')) {
      throw invalidOperation(EXTRA_CODE.REPEATED_CALL, 'the microphone is already started: use updateLocalAudio', fn);
    }
    if (publish && this.room?.inRoom && this.isAudience()) {
      throw invalidOperation(EXTRA_CODE.AUDIENCE_FORBIDDEN, 'audience members cannot publish: switchRole("anchor") first', fn);
    }
    this.busy.add('mic');
    let track: MediaStreamTrack;
    try {
      track =
        given ??
        (await captureMicrophone(profile, { microphoneId, echoCancellation: ec, noiseSuppression: ns, autoGainControl: agc }, fn));
    } finally {
      this.busy.delete('mic');
    }
    if (this.destroyed) {
      if (!given) track.stop();
      throw aborted('the instance was destroyed while the microphone was starting', fn);
    }
    track.enabled = !mute;
    this.mic = { track, owned: !given, profile, microphoneId, publish, mute };
    this.watchEnded(track, 'microphone');
    if (this.room?.connected && publish) {
      try {
        await this.republish(fn);
      } catch (e) {
        this.stopMic();
        this.setPubTracks();
        await this.pub.negotiate().catch(() => {});
        throw e;
      }
    }
  }

  /** Mutes, switches or (un)publishes the microphone (v5 updateLocalAudio). */
  async updateLocalAudio(options?: unknown): Promise<void> {
    const fn = 'updateLocalAudio';
    this.alive(fn);
    const o = checkOptions(options, fn, false);
    const opt = checkOptions(o.option, fn, false);
    const publish = checkBool(o.publish, 'publish', fn);
    const mute = checkBool(o.mute, 'mute', fn);
    const microphoneId = checkOptionalString(opt.microphoneId, 'option.microphoneId', fn);
    const m = this.mic;
    if (!m) throw invalidOperation(EXTRA_CODE.MICROPHONE_NOT_STARTED, 'the microphone is not started: call startLocalAudio first', fn);
    if (publish && this.room?.inRoom && this.isAudience()) {
      throw invalidOperation(EXTRA_CODE.AUDIENCE_FORBIDDEN, 'audience members cannot publish: switchRole("anchor") first', fn);
    }
    if (microphoneId !== undefined && microphoneId !== m.microphoneId) {
      const t = await captureMicrophone(m.profile, { microphoneId }, fn);
      await this.swapMic(t, microphoneId);
    }
    if (mute !== undefined) {
      m.mute = mute;
      m.track.enabled = !mute;
    }
    if (publish !== undefined) m.publish = publish;
    await this.republish(fn);
  }

  /** Stops the microphone and unpublishes it (v5 stopLocalAudio). */
  async stopLocalAudio(): Promise<void> {
    this.alive('stopLocalAudio');
    if (!this.mic) return;
    this.stopMic();
    await this.republish('stopLocalAudio').catch((e) => this.report(e));
  }

  private stopMic(): void {
    const m = this.mic;
    if (!m) return;
    this.mic = null;
    if (m.owned) m.track.stop();
  }

  private async swapMic(t: MediaStreamTrack, microphoneId?: string): Promise<void> {
    const m = this.mic;
    if (!m) {
      t.stop();
      return;
    }
    const old = m.track;
    m.track = t;
    m.microphoneId = microphoneId;
    m.owned = true;
    t.enabled = !m.mute;
    await this.pub.replace('audio', t);
    this.watchEnded(t, 'microphone');
    old.stop();
  }

  // ---- screen share --------------------------------------------------

  /** Shares the screen as the sub stream (v5 startScreenShare). */
  async startScreenShare(options?: unknown): Promise<void> {
    const fn = 'startScreenShare';
    this.alive(fn);
    const o = checkOptions(options, fn, false);
    const view = resolveView(o.view, fn, false);
    const opt = checkOptions(o.option, fn, false);
    const profile = resolveVideoProfile(opt.profile, SCREEN_PROFILES, DEFAULT_SCREEN_PROFILE, fn);
    const publish = checkBool(o.publish, 'publish', fn) ?? true;
    const fillMode = this.fillMode(opt.fillMode, 'contain', fn);
    checkBool(opt.systemAudio, 'option.systemAudio', fn);
    const given = this.checkTrack(opt.videoTrack, 'video', 'option.videoTrack', fn);
    if (this.screen || this.busy.has('screen')) {
      throw invalidOperation(EXTRA_CODE.REPEATED_CALL, 'the screen is already shared', fn);
    }
    if (publish && this.room?.inRoom && this.isAudience()) {
      throw invalidOperation(EXTRA_CODE.AUDIENCE_FORBIDDEN, 'audience members cannot publish: switchRole("anchor") first', fn);
    }
    this.busy.add('screen');
    let track: MediaStreamTrack;
    try {
      track = given ?? (await captureScreen(profile, false, fn)).video;
    } finally {
      this.busy.delete('screen');
    }
    if (this.destroyed) {
      if (!given) track.stop();
      throw aborted('the instance was destroyed while screen sharing was starting', fn);
    }
    const sc: LocalScreen = { track, owned: !given, profile, player: null, publish };
    if (view) {
      sc.player = new Player({ kind: 'video', userId: '', mediaType: 'screen', container: view, fillMode });
      sc.player.setTrack(track);
    }
    this.screen = sc;
    // The browser's own "stop sharing" button ends the track.
    track.addEventListener('ended', () => {
      if (this.screen?.track !== track) return;
      void this.stopScreenShare().then(() => this.emit(EVENT.SCREEN_SHARE_STOPPED, undefined));
    });
    if (this.room?.connected && publish) {
      try {
        await this.republish(fn);
      } catch (e) {
        this.stopScreen();
        this.setPubTracks();
        await this.pub.negotiate().catch(() => {});
        throw e;
      }
    }
  }

  /** Stops sharing the screen (v5 stopScreenShare). */
  async stopScreenShare(): Promise<void> {
    this.alive('stopScreenShare');
    if (!this.screen) return;
    this.stopScreen();
    await this.republish('stopScreenShare').catch((e) => this.report(e));
  }

  private stopScreen(): void {
    const s = this.screen;
    if (!s) return;
    this.screen = null;
    s.player?.destroy();
    if (s.owned) s.track.stop();
  }

  // ---- remote media --------------------------------------------------

  private remoteUser(v: unknown, fn: string, allowAll: boolean): string {
    if (v === undefined || v === null) throw invalidParameter(EXTRA_CODE.REQUIRED, 'userId is required', fn);
    if (typeof v !== 'string') throw invalidParameter(EXTRA_CODE.TYPE, 'userId must be a string', fn);
    if (v === '') throw invalidParameter(EXTRA_CODE.EMPTY, 'userId must not be empty', fn);
    if (v === '*' && !allowAll) throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, "userId '*' is not allowed here", fn);
    return v;
  }

  /** Plays a remote user's camera or screen in view (v5 startRemoteVideo). */
  async startRemoteVideo(options?: unknown): Promise<void> {
    const fn = 'startRemoteVideo';
    this.alive(fn);
    const o = checkOptions(options, fn, true);
    const userId = this.remoteUser(o.userId, fn, false);
    const streamType = checkStreamType(o.streamType, fn);
    const view = resolveView(o.view, fn, true)!;
    const opt = checkOptions(o.option, fn, false);
    const small = checkBool(opt.small, 'option.small', fn) ?? false;
    const mirror = checkBool(opt.mirror, 'option.mirror', fn) ?? false;
    const fillMode = this.fillMode(opt.fillMode, streamType === 'sub' ? 'contain' : 'cover', fn);
    const room = this.requireRoom(fn);
    const st = room.users.streams(userId);
    if (!st) throw invalidOperation(EXTRA_CODE.REMOTE_USER_NOT_FOUND, `remote user ${userId} is not in the room`, fn);
    if (streamType === 'main' ? !st.video : !st.sub) {
      throw invalidOperation(
        EXTRA_CODE.REMOTE_STREAM_NOT_FOUND,
        `remote user ${userId} does not publish ${streamType === 'main' ? 'video' : 'a screen share'}`,
        fn,
      );
    }
    const key = `${userId}/${streamType}`;
    if (this.remoteVideo.has(key)) {
      throw invalidOperation(EXTRA_CODE.REPEATED_CALL, `${key} is already playing: use updateRemoteVideo`, fn);
    }
    const player = new Player({
      kind: 'video',
      userId,
      mediaType: streamType === 'sub' ? 'screen' : 'video',
      container: view,
      mirror,
      fillMode,
      onAutoplayFailed: (resume) =>
        this.emit(EVENT.AUTOPLAY_FAILED, { userId, mediaType: streamType === 'sub' ? 'screen' : 'video', resume }),
      onFirstFrame: (width, height) => this.emit(EVENT.FIRST_VIDEO_FRAME, { userId, streamType, width, height }),
      onPlayState: (state, reason) => this.emit(EVENT.VIDEO_PLAY_STATE_CHANGED, { userId, streamType, state, reason }),
    });
    this.remoteVideo.set(key, { userId, streamType, player, small });
    const wire = streamType === 'main' ? 'video' : 'sub';
    const existing = this.sub.track(`${userId}/${wire}`);
    if (existing) player.setTrack(existing);
    const r = await room.request('subscribe', { userId, stream: wire, on: true, layer: small ? 'small' : 'auto' });
    if (r.code && r.code !== CODE_DISCONNECTED) {
      this.dropRemoteVideo(key);
      if (r.code === -102007) throw invalidOperation(EXTRA_CODE.REMOTE_USER_NOT_FOUND, `remote user ${userId} left`, fn);
      throw serverError(r.code, r.msg ?? '', fn);
    }
  }

  /** Moves a remote video to another view or changes its layer (v5 updateRemoteVideo). */
  async updateRemoteVideo(options?: unknown): Promise<void> {
    const fn = 'updateRemoteVideo';
    this.alive(fn);
    const o = checkOptions(options, fn, true);
    const userId = this.remoteUser(o.userId, fn, false);
    const streamType = checkStreamType(o.streamType, fn);
    const viewGiven = 'view' in o;
    const view = viewGiven ? resolveView(o.view, fn, false) : null;
    const opt = checkOptions(o.option, fn, false);
    const small = checkBool(opt.small, 'option.small', fn);
    const mirror = checkBool(opt.mirror, 'option.mirror', fn);
    const fillMode = opt.fillMode !== undefined ? this.fillMode(opt.fillMode, 'cover', fn) : undefined;
    const room = this.requireRoom(fn);
    const rv = this.remoteVideo.get(`${userId}/${streamType}`);
    if (!rv) throw invalidOperation(EXTRA_CODE.REMOTE_STREAM_NOT_FOUND, `${userId}/${streamType} is not playing`, fn);
    if (viewGiven) rv.player.move(view);
    if (mirror !== undefined) rv.player.setMirror(mirror);
    if (fillMode) rv.player.setFillMode(fillMode);
    if (small !== undefined && small !== rv.small) {
      rv.small = small;
      const r = await room.request('subscribe', {
        userId,
        stream: streamType === 'main' ? 'video' : 'sub',
        on: true,
        layer: small ? 'small' : 'auto',
      });
      if (r.code && r.code !== CODE_DISCONNECTED) throw serverError(r.code, r.msg ?? '', fn);
    }
  }

  /** Stops playing remote video; userId '*' stops all (v5 stopRemoteVideo). */
  async stopRemoteVideo(options?: unknown): Promise<void> {
    const fn = 'stopRemoteVideo';
    this.alive(fn);
    const o = checkOptions(options, fn, true);
    const userId = this.remoteUser(o.userId, fn, true);
    const keys =
      userId === '*'
        ? [...this.remoteVideo.keys()]
        : o.streamType === undefined
          ? [`${userId}/main`, `${userId}/sub`]
          : [`${userId}/${checkStreamType(o.streamType, fn)}`];
    for (const k of keys) {
      const rv = this.remoteVideo.get(k);
      if (!rv) continue;
      this.dropRemoteVideo(k);
      await this.request('subscribe', { userId: rv.userId, stream: rv.streamType === 'main' ? 'video' : 'sub', on: false });
    }
  }

  private dropRemoteVideo(key: string): void {
    const rv = this.remoteVideo.get(key);
    if (!rv) return;
    rv.player.destroy();
    this.remoteVideo.delete(key);
  }

  /** Stops or resumes receiving a remote user's audio; '*' for all (v5 muteRemoteAudio). */
  async muteRemoteAudio(userId: unknown, mute: unknown): Promise<void> {
    const fn = 'muteRemoteAudio';
    this.alive(fn);
    const u = this.remoteUser(userId, fn, true);
    if (typeof mute !== 'boolean') throw invalidParameter(mute === undefined ? EXTRA_CODE.REQUIRED : EXTRA_CODE.TYPE, 'mute must be a boolean', fn);
    const room = this.requireRoom(fn);
    const users = u === '*' ? room.users.list() : [u];
    if (u !== '*' && !room.users.has(u)) {
      throw invalidOperation(EXTRA_CODE.REMOTE_USER_NOT_FOUND, `remote user ${u} is not in the room`, fn);
    }
    for (const id of users) {
      this.audioWanted.set(id, !mute);
      const p = this.remoteAudio.get(id);
      if (p) {
        if (mute) p.el.pause();
        else void p.play();
      }
      const r = await room.request('subscribe', { userId: id, stream: 'audio', on: !mute });
      if (r.code && r.code !== CODE_DISCONNECTED && u !== '*') throw serverError(r.code, r.msg ?? '', fn);
    }
  }

  /** Sets a remote user's playback volume 0..100; '*' for all (v5 setRemoteAudioVolume). */
  setRemoteAudioVolume(userId: unknown, volume: unknown): void {
    const fn = 'setRemoteAudioVolume';
    this.alive(fn);
    const u = this.remoteUser(userId, fn, true);
    if (typeof volume !== 'number' || !Number.isFinite(volume)) {
      throw invalidParameter(volume === undefined ? EXTRA_CODE.REQUIRED : EXTRA_CODE.TYPE, 'volume must be a number', fn);
    }
    if (volume < 0 || volume > 100) throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, 'volume must be in [0, 100]', fn);
    const ids = u === '*' ? [...new Set([...this.remoteAudio.keys(), ...(this.room?.users.list() ?? [])])] : [u];
    for (const id of ids) {
      this.audioVolume.set(id, volume);
      this.remoteAudio.get(id)?.setVolume(volume / 100);
    }
  }

  private onRemoteTracks(added: [string, MediaStreamTrack][], removed: string[]): void {
    for (const key of removed) {
      const [userId, stream] = key.split('/') as [string, string];
      if (stream === 'audio') {
        this.remoteAudio.get(userId)?.destroy();
        this.remoteAudio.delete(userId);
      } else {
        this.remoteVideo.get(`${userId}/${stream === 'video' ? 'main' : 'sub'}`)?.player.setTrack(null);
      }
    }
    for (const [key, track] of added) {
      const [userId, stream] = key.split('/') as [string, string];
      if (stream === 'audio') {
        if (this.audioWanted.get(userId) === false) continue;
        let p = this.remoteAudio.get(userId);
        if (!p) {
          p = new Player({
            kind: 'audio',
            userId,
            mediaType: 'audio',
            onAutoplayFailed: (resume) => this.emit(EVENT.AUTOPLAY_FAILED, { userId, mediaType: 'audio', resume }),
            onPlayState: (state, reason) => this.emit(EVENT.AUDIO_PLAY_STATE_CHANGED, { userId, state, reason }),
          });
          p.setVolume((this.audioVolume.get(userId) ?? 100) / 100);
          if (currentSpeaker) void p.setSink(currentSpeaker).catch(() => {});
          this.remoteAudio.set(userId, p);
        }
        p.setTrack(track);
      } else {
        this.remoteVideo.get(`${userId}/${stream === 'video' ? 'main' : 'sub'}`)?.player.setTrack(track);
      }
    }
  }

  private async applySpeaker(): Promise<void> {
    for (const p of this.remoteAudio.values()) await p.setSink(currentSpeaker).catch(() => {});
  }

  // ---- plugins (cdnstreaming.ts) ---------------------------------------

  private cdn: CDNStreaming | null = null;

  private plugin(name: unknown, fn: string): CDNStreaming {
    this.alive(fn);
    if (name !== 'CDNStreaming') {
      throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, `plugin ${String(name)} is not available: rtcengine has 'CDNStreaming'`, fn);
    }
    this.requireRoom(fn);
    this.cdn ??= new CDNStreaming((type, data) => this.request(type, data));
    return this.cdn;
  }

  /** Starts a plugin (v5 startPlugin); 'CDNStreaming' relays or mixes to an RTMP URL. */
  async startPlugin(name: unknown, options: unknown): Promise<void> {
    return this.plugin(name, 'startPlugin').start(options);
  }

  /** Updates a running plugin (v5 updatePlugin). */
  async updatePlugin(name: unknown, options: unknown): Promise<void> {
    return this.plugin(name, 'updatePlugin').update(options);
  }

  /** Stops a plugin (v5 stopPlugin); stopping what does not run does nothing. */
  async stopPlugin(name: unknown, options: unknown): Promise<void> {
    return this.plugin(name, 'stopPlugin').stop(options);
  }

  // ---- messages ------------------------------------------------------

  /**
   * Sends a custom message to everyone in the room (v5 sendCustomMessage).
   * Bad input throws at once; the returned promise settles when the server
   * has accepted the message.
   */
  sendCustomMessage(message: unknown): Promise<void> {
    const fn = 'sendCustomMessage';
    this.alive(fn);
    const { cmdId, bytes } = checkCustomMessage(message);
    const room = this.requireRoom(fn);
    if (this.isAudience()) {
      throw invalidOperation(EXTRA_CODE.AUDIENCE_FORBIDDEN, 'audience members cannot send custom messages', fn);
    }
    const limited = this.limiter.take(bytes.byteLength);
    if (limited) throw limited;
    const p = room
      .request('custom_msg', { cmdId, data: toBase64(bytes), reliable: true, ordered: true })
      .then((r) => {
        if (!r.code) return;
        if (r.code === 6001) {
          throw invalidOperation(EXTRA_CODE.AUDIENCE_FORBIDDEN, 'audience members cannot send custom messages', fn);
        }
        throw serverError(r.code, r.msg ?? '', fn);
      });
    p.catch(() => {});
    return p;
  }

  // ---- statistics and volumes ----------------------------------------

  /** Reports AUDIO_VOLUME every interval ms (≤ 0 stops; at least 100 ms). */
  enableAudioVolumeEvaluation(interval: unknown = 2000, enableInBackground: unknown = false): void {
    const fn = 'enableAudioVolumeEvaluation';
    this.alive(fn);
    if (typeof interval !== 'number' || !Number.isFinite(interval)) {
      throw invalidParameter(EXTRA_CODE.TYPE, 'interval must be a number of milliseconds', fn);
    }
    if (typeof enableInBackground !== 'boolean') throw invalidParameter(EXTRA_CODE.TYPE, 'enableInBackground must be a boolean', fn);
    this.volumeInterval = interval <= 0 ? 0 : Math.max(MIN_VOLUME_INTERVAL_MS, interval);
    this.volumeInBackground = enableInBackground;
    if (this.volumeTimer) clearInterval(this.volumeTimer);
    this.volumeTimer = null;
    if (this.volumeInterval > 0 && this.room) this.startVolume();
  }

  private startVolume(): void {
    if (this.volumeTimer) clearInterval(this.volumeTimer);
    this.volumeTimer = setInterval(() => {
      if (!this.room?.inRoom) return;
      if (!this.volumeInBackground && typeof document !== 'undefined' && document.hidden) return;
      void this.snapshot().then((s) => {
        if (this.room) this.emit(EVENT.AUDIO_VOLUME, volumes(s, !!this.mic && !this.mic.mute && this.mic.publish));
      });
    }, this.volumeInterval);
  }

  private startStats(): void {
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.prevSnapshot = null;
    this.statsTimer = setInterval(() => {
      const room = this.room;
      if (!room) return;
      void this.snapshot().then((cur) => {
        if (this.room !== room) return;
        const rep = computeReport(this.prevSnapshot, cur, room.connectionState !== 'CONNECTED');
        this.prevSnapshot = cur;
        this.emit(EVENT.NETWORK_QUALITY, rep.quality);
        this.emit(EVENT.STATISTICS, rep.statistics);
      });
    }, STATS_INTERVAL_MS);
  }

  private async snapshot(): Promise<Snapshot> {
    const at = typeof performance !== 'undefined' ? performance.now() : Date.now();
    const pubNames = new Map<string, string>(this.pub.streamsByMid());
    const subNames = this.sub.keysByMidMap();
    const [a, b] = await Promise.all([
      this.pub.pc?.getStats().catch(() => null),
      this.sub.pc?.getStats().catch(() => null),
    ]);
    const sig = this.room?.signalBytes() ?? { sent: 0, received: 0 };
    return {
      at,
      pub: a ? readReport(a as any, pubNames) : null,
      sub: b ? readReport(b as any, subNames) : null,
      signalBytesSent: sig.sent,
      signalBytesReceived: sig.received,
    };
  }

  /**
   * rtcengine extension: what is being received from a user, read from the
   * browser's statistics now (framesDecoded, packetsReceived, …).
   */
  async getRemoteStreamStats(userId: string): Promise<{ audio?: InStat; video?: InStat; sub?: InStat }> {
    const s = await this.snapshot();
    const out: { audio?: InStat; video?: InStat; sub?: InStat } = {};
    for (const i of s.sub?.in ?? []) {
      const [u, stream] = i.key.split('/') as [string, 'audio' | 'video' | 'sub'];
      if (u === userId) out[stream] = i;
    }
    return out;
  }

  /** rtcengine extension: the connection states of the two PeerConnections. */
  getConnectionStates(): { signal: string; publisher: string; subscriber: string } {
    return {
      signal: this.room?.connectionState ?? 'DISCONNECTED',
      publisher: this.pub.connectionState,
      subscriber: this.sub.connectionState,
    };
  }

  /** The local camera track, or a remote user's video track (v5 getVideoTrack). */
  getVideoTrack(options?: { userId?: string; streamType?: StreamType }): MediaStreamTrack | null {
    const u = options?.userId ?? '';
    const st = options?.streamType ?? 'main';
    if (!u) return st === 'sub' ? (this.screen?.track ?? null) : (this.camera?.track ?? null);
    return this.sub.track(`${u}/${st === 'main' ? 'video' : 'sub'}`) ?? null;
  }

  /** The local microphone track, or a remote user's audio track (v5 getAudioTrack). */
  getAudioTrack(userId?: string): MediaStreamTrack | null {
    if (!userId) return this.mic?.track ?? null;
    return this.sub.track(`${userId}/audio`) ?? null;
  }

  // ---- connection health and browser events --------------------------

  private onPeerState(target: Target, state: RTCPeerConnectionState): void {
    const t = this.iceTimers.get(target);
    if (t) clearTimeout(t);
    this.iceTimers.delete(target);
    if (state === 'failed') void this.restartIce(target);
    else if (state === 'disconnected') {
      // Often recovers by itself within a second or two; restart if not.
      this.iceTimers.set(
        target,
        setTimeout(() => {
          this.iceTimers.delete(target);
          const side = target === 'pub' ? this.pub : this.sub;
          if (side.connectionState === 'disconnected' || side.connectionState === 'failed') void this.restartIce(target);
        }, ICE_GRACE_MS),
      );
    }
  }

  private async restartIce(target: Target): Promise<void> {
    if (!this.room?.connected) return; // done after recovery
    try {
      if (target === 'pub') await this.pub.restartIce();
      else await this.sub.restartIce();
    } catch (e) {
      this.report(
        new RtcError({
          code: ERROR_CODE.OPERATION_FAILED,
          extraCode: EXTRA_CODE.MEDIA_CONNECTION_FAILED,
          message: `media connection (${target}) could not be restarted: ${(e as Error)?.message ?? e}`,
        }),
      );
    }
  }

  /** The network changed: check signaling now and restart ICE on both connections. */
  private onNetworkChange = (): void => {
    const room = this.room;
    if (!room) return;
    room.checkAlive();
    if (room.connected) {
      void this.restartIce('pub');
      void this.restartIce('sub');
    }
  };

  private onVisibility = (): void => {
    if (typeof document === 'undefined' || document.hidden) return;
    for (const rv of this.remoteVideo.values()) rv.player.resumeIfPaused();
    for (const [u, p] of this.remoteAudio) if (this.audioWanted.get(u) !== false) p.resumeIfPaused();
    this.camera?.player?.resumeIfPaused();
    if (this.camera && this.camera.track.readyState === 'ended') void this.onDeviceLost('camera', this.camera.track);
    if (this.mic && this.mic.track.readyState === 'ended') void this.onDeviceLost('microphone', this.mic.track);
    this.room?.checkAlive();
  };

  private onDeviceChange = async (): Promise<void> => {
    const now = await enumerateAll().catch(() => [] as DeviceInfo[]);
    const events = diffDevices(this.devices, now);
    this.devices = now;
    for (const e of events) this.emit(EVENT.DEVICE_CHANGED, e);
  };

  private watchEnded(track: MediaStreamTrack, kind: 'camera' | 'microphone'): void {
    track.addEventListener('ended', () => void this.onDeviceLost(kind, track));
  }

  /**
   * The device of a local track went away (unplugged, or revoked): capture
   * the default device instead and keep publishing, or report DEVICE_ERROR.
   */
  private async onDeviceLost(kind: 'camera' | 'microphone', track: MediaStreamTrack): Promise<void> {
    const fn = kind === 'camera' ? 'startLocalVideo' : 'startLocalAudio';
    if (kind === 'camera' ? this.camera?.track !== track : this.mic?.track !== track) return;
    try {
      let t: MediaStreamTrack;
      if (kind === 'camera') {
        t = await captureCamera(this.camera!.profile, undefined, undefined, fn);
        if (this.camera?.track !== track) return t.stop();
        await this.swapCamera(t, undefined);
      } else {
        t = await captureMicrophone(this.mic!.profile, {}, fn);
        if (this.mic?.track !== track) return t.stop();
        await this.swapMic(t, undefined);
      }
      const id = t.getSettings?.().deviceId ?? '';
      const dev = (await enumerateAll().catch(() => [] as DeviceInfo[])).find(
        (d) => d.deviceId === id && d.kind === (kind === 'camera' ? 'videoinput' : 'audioinput'),
      );
      this.emit(EVENT.DEVICE_CHANGED, {
        type: kind,
        action: 'active',
        device: dev ?? { deviceId: id, groupId: '', kind: kind === 'camera' ? 'videoinput' : 'audioinput', label: t.label },
      });
    } catch (e) {
      if (kind === 'camera') this.stopCamera();
      else this.stopMic();
      await this.republish('reconnect');
      this.emit(
        EVENT.ERROR,
        new RtcError({
          code: ERROR_CODE.DEVICE_ERROR,
          extraCode: kind === 'camera' ? EXTRA_CODE.CAMERA_RECAPTURE_FAILED : EXTRA_CODE.MICROPHONE_RECAPTURE_FAILED,
          message: `the ${kind} stopped and no other could be opened: ${(e as Error)?.message ?? e}`,
          originError: e,
        }),
      );
    }
  }

  private listen(): void {
    if (typeof window !== 'undefined') {
      window.addEventListener('online', this.onNetworkChange);
      (navigator as any).connection?.addEventListener?.('change', this.onNetworkChange);
    }
    if (typeof document !== 'undefined') document.addEventListener('visibilitychange', this.onVisibility);
    if (typeof navigator !== 'undefined' && navigator.mediaDevices?.addEventListener) {
      navigator.mediaDevices.addEventListener('devicechange', this.onDeviceChange);
      void enumerateAll()
        .then((d) => (this.devices = d))
        .catch(() => {});
    }
  }

  private unlisten(): void {
    if (typeof window !== 'undefined') {
      window.removeEventListener('online', this.onNetworkChange);
      (navigator as any).connection?.removeEventListener?.('change', this.onNetworkChange);
    }
    if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', this.onVisibility);
    if (typeof navigator !== 'undefined' && navigator.mediaDevices?.removeEventListener) {
      navigator.mediaDevices.removeEventListener('devicechange', this.onDeviceChange);
    }
  }
}


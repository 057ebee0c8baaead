// The CDNStreaming plugin of TRTC Web v5 (trtc.startPlugin('CDNStreaming',
// options), updatePlugin, stopPlugin): the server relays this user's stream,
// or mixes the room, and pushes it to RTMP URLs (docs/cdn.md, docs/web-sdk.md).
// Options are checked here, mapped to the signaling messages
// start/update/stop_publish_media_stream (docs/protocol.md) and checked again
// by the server, which answers with TRTC codes.

import { EXTRA_CODE, invalidOperation, invalidParameter, serverError, type RtcError } from './errors.js';
import type { Message } from './signal.js';

/** TRTC.TYPE-like publish modes of the plugin (v5 PublishMode). */
export const PublishMode = {
  PublishMainStreamToCDN: 'PublishMainStreamToCDN',
  PublishSubStreamToCDN: 'PublishSubStreamToCDN',
  PublishMixStreamToCDN: 'PublishMixStreamToCDN',
} as const;

export type PublishModeValue = (typeof PublishMode)[keyof typeof PublishMode];

/** A user of a mix (v5 User). */
export interface CDNStreamingUser {
  userId: string;
  roomId?: number;
  strRoomId?: string;
}

/** One window of a mix (v5 VideoLayout). */
export interface CDNStreamingVideoLayout {
  fixedVideoUser: CDNStreamingUser;
  fixedVideoStreamType?: 'main' | 'sub';
  /** 0 fill (crop), 1 fit. */
  fillMode?: 0 | 1 | 2;
  width?: number;
  height?: number;
  locationX?: number;
  locationY?: number;
  zOrder?: number;
}

/** The plugin's options (v5 CDNStreamingOptions). */
export interface CDNStreamingOptions {
  target: {
    publishMode: PublishModeValue;
    /** The rtmp:// URL to push to (rtmpengine pushes to URLs, not Tencent stream ids). */
    url?: string;
    streamId?: string;
    appId?: number;
    bizId?: number;
  };
  encoding?: {
    videoWidth?: number;
    videoHeight?: number;
    videoBitrate?: number;
    videoFramerate?: number;
    videoGOP?: number;
    audioSampleRate?: number;
    audioBitrate?: number;
    audioChannels?: 1 | 2;
  };
  mix?: {
    backgroundColor?: number;
    backgroundImage?: string;
    audioMixUserList?: CDNStreamingUser[];
    videoLayoutList?: CDNStreamingVideoLayout[];
  };
}

const MODE_CODE: Record<PublishModeValue, number> = {
  PublishMainStreamToCDN: 1,
  PublishSubStreamToCDN: 2,
  PublishMixStreamToCDN: 3,
};

/** Limits checked before sending (the server checks them again). */
export const CDN_STREAMING_LIMITS = { maxUrlLength: 1024, maxLayouts: 16, maxSide: 1920 } as const;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(v: unknown, name: string, fn: string, lo: number, hi: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalidParameter(EXTRA_CODE.TYPE, `${name} must be an integer`, fn);
  if (v < lo || v > hi) throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, `${name} must be between ${lo} and ${hi}`, fn);
  return v;
}

function user(v: unknown, name: string, fn: string): { userId: string; intRoomId?: number; strRoomId?: string } {
  if (!isObj(v) || typeof v.userId !== 'string' || v.userId === '') {
    throw invalidParameter(EXTRA_CODE.REQUIRED, `${name}.userId is required`, fn);
  }
  const out: { userId: string; intRoomId?: number; strRoomId?: string } = { userId: v.userId };
  const room = num(v.roomId, `${name}.roomId`, fn, 1, 4294967294);
  if (room !== undefined) out.intRoomId = room;
  if (typeof v.strRoomId === 'string' && v.strRoomId !== '') out.strRoomId = v.strRoomId;
  return out;
}

/** The publish mode of options, checked. */
export function modeOf(options: unknown, fn: string): PublishModeValue {
  if (!isObj(options) || !isObj(options.target)) throw invalidParameter(EXTRA_CODE.REQUIRED, 'options.target is required', fn);
  const m = options.target.publishMode;
  if (typeof m !== 'string' || !(m in MODE_CODE)) {
    throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, `target.publishMode must be one of ${Object.keys(MODE_CODE).join(', ')}`, fn);
  }
  return m as PublishModeValue;
}

/** Maps options to the data of start/update_publish_media_stream. */
export function mediaStreamRequest(options: unknown, fn: string, taskId?: string): Record<string, unknown> {
  const mode = modeOf(options, fn);
  const o = options as CDNStreamingOptions;
  const url = o.target.url;
  if (typeof url !== 'string' || !url.startsWith('rtmp://') || url.length > CDN_STREAMING_LIMITS.maxUrlLength) {
    throw invalidParameter(EXTRA_CODE.REQUIRED, 'target.url must be an rtmp:// URL (Tencent stream ids are not supported)', fn);
  }
  const req: Record<string, unknown> = { target: { mode: MODE_CODE[mode], cdnUrlList: [{ rtmpUrl: url }] } };
  if (taskId) req.taskId = taskId;
  if (o.encoding !== undefined) {
    if (!isObj(o.encoding)) throw invalidParameter(EXTRA_CODE.TYPE, 'encoding must be an object', fn);
    const e = o.encoding;
    const side = CDN_STREAMING_LIMITS.maxSide;
    req.encoder = {
      videoEncodedWidth: num(e.videoWidth, 'encoding.videoWidth', fn, 0, side),
      videoEncodedHeight: num(e.videoHeight, 'encoding.videoHeight', fn, 0, side),
      videoEncodedKbps: num(e.videoBitrate, 'encoding.videoBitrate', fn, 0, 10000),
      videoEncodedFPS: num(e.videoFramerate, 'encoding.videoFramerate', fn, 0, 60),
      videoEncodedGOP: num(e.videoGOP, 'encoding.videoGOP', fn, 0, 5),
      audioEncodedSampleRate: num(e.audioSampleRate, 'encoding.audioSampleRate', fn, 0, 48000),
      audioEncodedKbps: num(e.audioBitrate, 'encoding.audioBitrate', fn, 0, 500),
      audioEncodedChannelNum: num(e.audioChannels, 'encoding.audioChannels', fn, 1, 2),
    };
  }
  if (o.mix !== undefined && mode === 'PublishMixStreamToCDN') {
    if (!isObj(o.mix)) throw invalidParameter(EXTRA_CODE.TYPE, 'mix must be an object', fn);
    const m = o.mix;
    const layouts = m.videoLayoutList ?? [];
    const audios = m.audioMixUserList ?? [];
    if (!Array.isArray(layouts) || !Array.isArray(audios)) {
      throw invalidParameter(EXTRA_CODE.TYPE, 'mix.videoLayoutList and mix.audioMixUserList must be arrays', fn);
    }
    if (layouts.length > CDN_STREAMING_LIMITS.maxLayouts || audios.length > CDN_STREAMING_LIMITS.maxLayouts) {
      throw invalidParameter(EXTRA_CODE.TOO_LARGE, `at most ${CDN_STREAMING_LIMITS.maxLayouts} layouts and audio users`, fn);
    }
    req.mix = {
      backgroundColor: num(m.backgroundColor, 'mix.backgroundColor', fn, 0, 0xffffff),
      backgroundImage: m.backgroundImage,
      audioMixUserList: audios.map((u, i) => user(u, `mix.audioMixUserList[${i}]`, fn)),
      videoLayoutList: layouts.map((l, i) => {
        const name = `mix.videoLayoutList[${i}]`;
        if (!isObj(l)) throw invalidParameter(EXTRA_CODE.TYPE, `${name} must be an object`, fn);
        const x = num(l.locationX, `${name}.locationX`, fn, 0, CDN_STREAMING_LIMITS.maxSide) ?? 0;
        const y = num(l.locationY, `${name}.locationY`, fn, 0, CDN_STREAMING_LIMITS.maxSide) ?? 0;
        const w = num(l.width, `${name}.width`, fn, 2, CDN_STREAMING_LIMITS.maxSide);
        const h = num(l.height, `${name}.height`, fn, 2, CDN_STREAMING_LIMITS.maxSide);
        if (w === undefined || h === undefined) throw invalidParameter(EXTRA_CODE.REQUIRED, `${name}.width and height are required`, fn);
        return {
          rect: { left: x, top: y, right: x + w, bottom: y + h },
          zOrder: num(l.zOrder, `${name}.zOrder`, fn, 0, 15) ?? 0,
          fillMode: l.fillMode === 1 || l.fillMode === 2 ? 1 : 0,
          fixedVideoUser: user(l.fixedVideoUser, `${name}.fixedVideoUser`, fn),
          fixedVideoStreamType: l.fixedVideoStreamType === 'sub' ? 2 : 0,
        };
      }),
    };
  }
  return req;
}

/** Sends requests on the current room connection. */
export type Requester = (type: string, data: unknown) => Promise<Message>;

/**
 * The plugin's state: one task per publish mode, as in v5 (starting a mode
 * that runs is an error; update and stop name the mode).
 */
export class CDNStreaming {
  private readonly tasks = new Map<PublishModeValue, string>();

  constructor(private readonly request: Requester) {}

  private check(resp: Message, fn: string): Record<string, unknown> {
    if (resp.code) throw serverError(resp.code, resp.msg ?? '', fn) as RtcError;
    return isObj(resp.data) ? resp.data : {};
  }

  async start(options: unknown): Promise<void> {
    const fn = 'startPlugin';
    const mode = modeOf(options, fn);
    if (this.tasks.has(mode)) throw invalidOperation(undefined, `CDNStreaming ${mode} already runs: updatePlugin or stopPlugin it`, fn);
    const data = this.check(await this.request('start_publish_media_stream', mediaStreamRequest(options, fn)), fn);
    if (typeof data.taskId === 'string' && data.taskId) this.tasks.set(mode, data.taskId);
  }

  async update(options: unknown): Promise<void> {
    const fn = 'updatePlugin';
    const mode = modeOf(options, fn);
    const task = this.tasks.get(mode);
    if (!task) throw invalidOperation(undefined, `CDNStreaming ${mode} is not running: startPlugin it first`, fn);
    this.check(await this.request('update_publish_media_stream', mediaStreamRequest(options, fn, task)), fn);
  }

  async stop(options: unknown): Promise<void> {
    const fn = 'stopPlugin';
    const mode = modeOf(options, fn);
    const task = this.tasks.get(mode);
    if (!task) return; // nothing runs: stopping is idempotent
    this.tasks.delete(mode);
    this.check(await this.request('stop_publish_media_stream', { taskId: task }), fn);
  }
}

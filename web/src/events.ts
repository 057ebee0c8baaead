// Event names (TRTC.EVENT) and the emitter behind trtc.on/off. Names and
// string values are TRTC Web SDK v5's.
import type { RtcError } from './errors.js';

export const EVENT = {
  ERROR: 'error',
  AUTOPLAY_FAILED: 'autoplay-failed',
  KICKED_OUT: 'kicked-out',
  REMOTE_USER_ENTER: 'remote-user-enter',
  REMOTE_USER_EXIT: 'remote-user-exit',
  REMOTE_AUDIO_AVAILABLE: 'remote-audio-available',
  REMOTE_AUDIO_UNAVAILABLE: 'remote-audio-unavailable',
  REMOTE_VIDEO_AVAILABLE: 'remote-video-available',
  REMOTE_VIDEO_UNAVAILABLE: 'remote-video-unavailable',
  AUDIO_VOLUME: 'audio-volume',
  NETWORK_QUALITY: 'network-quality',
  CONNECTION_STATE_CHANGED: 'connection-state-changed',
  SCREEN_SHARE_STOPPED: 'screen-share-stopped',
  DEVICE_CHANGED: 'device-changed',
  STATISTICS: 'statistics',
  CUSTOM_MESSAGE: 'custom-message',
  FIRST_VIDEO_FRAME: 'first-video-frame',
  PUBLISH_STATE_CHANGED: 'publish-state-changed',
  AUDIO_PLAY_STATE_CHANGED: 'audio-play-state-changed',
  VIDEO_PLAY_STATE_CHANGED: 'video-play-state-changed',
} as const;

export type EventName = (typeof EVENT)[keyof typeof EVENT];

export type StreamType = 'main' | 'sub';
export type ConnectionState = 'DISCONNECTED' | 'CONNECTING' | 'RECONNECTING' | 'CONNECTED';
export type KickReason = 'kick' | 'banned' | 'room_disband';

export interface RemoteUserEvent {
  userId: string;
}
export interface RemoteVideoEvent {
  userId: string;
  streamType: StreamType;
}
export interface AudioVolumeEvent {
  /** One entry per user with audio; the local user has userId ''. Volume 0..100. */
  result: { userId: string; volume: number }[];
}
export interface NetworkQualityEvent {
  /** 0 unknown, 1 excellent … 5 very bad, 6 disconnected. */
  uplinkNetworkQuality: number;
  downlinkNetworkQuality: number;
  uplinkRTT: number;
  uplinkLoss: number;
  downlinkRTT: number;
  downlinkLoss: number;
  /**
   * rtcengine extension (TRTC's native remoteQuality): the end-to-end
   * quality from each remote user we receive media from to us.
   */
  remoteQuality: { userId: string; quality: number }[];
}
export interface ConnectionStateEvent {
  prevState: ConnectionState;
  state: ConnectionState;
}
export interface KickedOutEvent {
  reason: KickReason;
  message: string;
}
export interface CustomMessageEvent {
  userId: string;
  cmdId: number;
  seq: number;
  data: ArrayBuffer;
}
export interface AutoplayFailedEvent {
  userId: string;
  mediaType: 'audio' | 'video' | 'screen';
  /** Tries playing again; call it from a user gesture (click). */
  resume: () => Promise<void>;
}
export interface DeviceChangedEvent {
  type: 'camera' | 'microphone' | 'speaker';
  action: 'add' | 'remove' | 'active';
  device: { deviceId: string; groupId: string; kind: string; label: string };
}
export interface PublishStateEvent {
  mediaType: 'audio' | 'video' | 'screen';
  state: 'starting' | 'started' | 'stopped';
  prevState: 'starting' | 'started' | 'stopped';
  reason?: string;
  error?: RtcError;
}
export interface PlayStateEvent {
  userId: string;
  streamType?: StreamType;
  state: 'PLAYING' | 'PAUSED' | 'STOPPED';
  reason: 'playing' | 'pause' | 'ended' | 'mute' | 'unmute';
}
export interface VideoStatistics {
  width: number;
  height: number;
  frameRate: number;
  /** kbps */
  bitrate: number;
  videoType: 'big' | 'small' | 'sub';
}
export interface AudioStatistics {
  /** kbps */
  bitrate: number;
  /** 0..1 */
  audioLevel: number;
}
export interface StatisticsEvent {
  /** ms */
  rtt: number;
  /** % */
  upLoss: number;
  /** % */
  downLoss: number;
  bytesSent: number;
  bytesReceived: number;
  localStatistics: { audio: AudioStatistics; video: VideoStatistics[] };
  remoteStatistics: { userId: string; audio: AudioStatistics; video: VideoStatistics[] }[];
}

export interface EventMap {
  'error': RtcError;
  'autoplay-failed': AutoplayFailedEvent;
  'kicked-out': KickedOutEvent;
  'remote-user-enter': RemoteUserEvent;
  'remote-user-exit': RemoteUserEvent;
  'remote-audio-available': RemoteUserEvent;
  'remote-audio-unavailable': RemoteUserEvent;
  'remote-video-available': RemoteVideoEvent;
  'remote-video-unavailable': RemoteVideoEvent;
  'audio-volume': AudioVolumeEvent;
  'network-quality': NetworkQualityEvent;
  'connection-state-changed': ConnectionStateEvent;
  'screen-share-stopped': void;
  'device-changed': DeviceChangedEvent;
  'statistics': StatisticsEvent;
  'custom-message': CustomMessageEvent;
  'first-video-frame': RemoteVideoEvent & { width: number; height: number };
  'publish-state-changed': PublishStateEvent;
  'audio-play-state-changed': PlayStateEvent;
  'video-play-state-changed': PlayStateEvent;
}

type Handler = (event: any) => void;

/**
 * A small emitter. A handler that throws does not stop the others or the
 * SDK: its error is reported on the console.
 */
export class Emitter {
  private handlers = new Map<string, { fn: Handler; ctx?: unknown; once: boolean }[]>();

  on<K extends keyof EventMap>(event: K, fn: (e: EventMap[K]) => void, context?: unknown): void {
    const list = this.handlers.get(event) ?? [];
    list.push({ fn, ctx: context, once: false });
    this.handlers.set(event, list);
  }

  once<K extends keyof EventMap>(event: K, fn: (e: EventMap[K]) => void, context?: unknown): void {
    const list = this.handlers.get(event) ?? [];
    list.push({ fn, ctx: context, once: true });
    this.handlers.set(event, list);
  }

  /** Removes one handler, every handler of an event (no fn), or all ('*'). */
  off(event: string, fn?: Handler, context?: unknown): void {
    if (event === '*') {
      this.handlers.clear();
      return;
    }
    if (!fn) {
      this.handlers.delete(event);
      return;
    }
    const list = this.handlers.get(event);
    if (!list) return;
    this.handlers.set(
      event,
      list.filter((h) => h.fn !== fn || (context !== undefined && h.ctx !== context)),
    );
  }

  emit<K extends keyof EventMap>(event: K, payload: EventMap[K]): void {
    const list = this.handlers.get(event);
    if (!list || list.length === 0) return;
    for (const h of [...list]) {
      if (h.once) this.off(event, h.fn, h.ctx);
      try {
        h.fn.call(h.ctx, payload);
      } catch (err) {
        console.error(`rtcengine: a handler of "${event}" threw`, err);
      }
    }
  }

  listenerCount(event: string): number {
    return this.handlers.get(event)?.length ?? 0;
  }
}

// Capture and encoding profiles by name (v5's tables) and their checks.
import { EXTRA_CODE, invalidParameter } from './errors.js';
import type { VideoProfileObject } from './types.js';

/** Camera profiles: width × height, frames per second, kbps. */
export const VIDEO_PROFILES: Record<string, VideoProfileObject> = {
  '120p': { width: 160, height: 120, frameRate: 15, bitrate: 200 },
  '120p_2': { width: 160, height: 120, frameRate: 15, bitrate: 100 },
  '180p': { width: 320, height: 180, frameRate: 15, bitrate: 350 },
  '180p_2': { width: 320, height: 180, frameRate: 15, bitrate: 150 },
  '240p': { width: 320, height: 240, frameRate: 15, bitrate: 400 },
  '240p_2': { width: 320, height: 240, frameRate: 15, bitrate: 200 },
  '360p': { width: 640, height: 360, frameRate: 15, bitrate: 800 },
  '360p_2': { width: 640, height: 360, frameRate: 15, bitrate: 400 },
  '480p': { width: 640, height: 480, frameRate: 15, bitrate: 900 },
  '480p_2': { width: 640, height: 480, frameRate: 15, bitrate: 500 },
  '720p': { width: 1280, height: 720, frameRate: 15, bitrate: 1500 },
  '1080p': { width: 1920, height: 1080, frameRate: 15, bitrate: 2000 },
  '1440p': { width: 2560, height: 1440, frameRate: 30, bitrate: 4860 },
  '4K': { width: 3840, height: 2160, frameRate: 30, bitrate: 9000 },
};
export const DEFAULT_VIDEO_PROFILE = '480p';

/** The small stream's default (v5): 160 × 120 at 15 fps, 100 kbps. */
export const DEFAULT_SMALL_PROFILE: VideoProfileObject = { width: 160, height: 120, frameRate: 15, bitrate: 100 };

/** Screen share profiles. */
export const SCREEN_PROFILES: Record<string, VideoProfileObject> = {
  '480p': { width: 640, height: 480, frameRate: 5, bitrate: 900 },
  '480p_2': { width: 640, height: 480, frameRate: 30, bitrate: 1000 },
  '720p': { width: 1280, height: 720, frameRate: 5, bitrate: 1200 },
  '720p_2': { width: 1280, height: 720, frameRate: 30, bitrate: 3000 },
  '1080p': { width: 1920, height: 1080, frameRate: 5, bitrate: 1600 },
  '1080p_2': { width: 1920, height: 1080, frameRate: 30, bitrate: 4000 },
};
export const DEFAULT_SCREEN_PROFILE = '1080p';

export interface AudioProfile {
  sampleRate: number;
  channelCount: number;
  /** kbps */
  bitrate: number;
}

export const AUDIO_PROFILES: Record<string, AudioProfile> = {
  speech: { sampleRate: 16000, channelCount: 1, bitrate: 24 },
  standard: { sampleRate: 48000, channelCount: 1, bitrate: 40 },
  'standard-stereo': { sampleRate: 48000, channelCount: 2, bitrate: 64 },
  high: { sampleRate: 48000, channelCount: 1, bitrate: 128 },
  'high-stereo': { sampleRate: 48000, channelCount: 2, bitrate: 192 },
};
export const DEFAULT_AUDIO_PROFILE = 'standard';

/** Limits of a custom profile object. */
export const PROFILE_LIMITS = { maxWidth: 4096, maxHeight: 4096, maxFrameRate: 60, maxBitrate: 20000 };

function checkNumber(v: unknown, name: string, max: number, fn: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw invalidParameter(EXTRA_CODE.TYPE, `${name} must be a number`, fn);
  }
  if (v <= 0 || v > max) {
    throw invalidParameter(EXTRA_CODE.OUT_OF_RANGE, `${name} must be in (0, ${max}], got ${v}`, fn);
  }
  return v;
}

/**
 * Resolves a profile given by name or as an object. Unknown names and
 * objects with missing or out-of-range fields are INVALID_PARAMETER.
 */
export function resolveVideoProfile(
  p: unknown,
  table: Record<string, VideoProfileObject>,
  fallback: string,
  fn: string,
  what = 'profile',
): VideoProfileObject {
  if (p === undefined || p === null) return { ...table[fallback]! };
  if (typeof p === 'string') {
    const found = table[p];
    if (!found) {
      throw invalidParameter(
        EXTRA_CODE.OUT_OF_RANGE,
        `${what} "${p}" is not one of ${Object.keys(table).join(', ')}`,
        fn,
      );
    }
    return { ...found };
  }
  if (typeof p !== 'object') {
    throw invalidParameter(EXTRA_CODE.TYPE, `${what} must be a profile name or {width, height, frameRate, bitrate}`, fn);
  }
  const o = p as Record<string, unknown>;
  return {
    width: checkNumber(o.width, `${what}.width`, PROFILE_LIMITS.maxWidth, fn),
    height: checkNumber(o.height, `${what}.height`, PROFILE_LIMITS.maxHeight, fn),
    frameRate: checkNumber(o.frameRate, `${what}.frameRate`, PROFILE_LIMITS.maxFrameRate, fn),
    bitrate: checkNumber(o.bitrate, `${what}.bitrate`, PROFILE_LIMITS.maxBitrate, fn),
  };
}

export function resolveAudioProfile(p: unknown, fn: string): AudioProfile {
  if (p === undefined || p === null) return { ...AUDIO_PROFILES[DEFAULT_AUDIO_PROFILE]! };
  if (typeof p !== 'string') throw invalidParameter(EXTRA_CODE.TYPE, 'audio profile must be a string', fn);
  const found = AUDIO_PROFILES[p];
  if (!found) {
    throw invalidParameter(
      EXTRA_CODE.OUT_OF_RANGE,
      `audio profile "${p}" is not one of ${Object.keys(AUDIO_PROFILES).join(', ')}`,
      fn,
    );
  }
  return { ...found };
}

/** getUserMedia constraints for a camera profile. */
export function cameraConstraints(p: VideoProfileObject, cameraId?: string, front?: boolean): MediaTrackConstraints {
  const c: MediaTrackConstraints = {
    width: { ideal: p.width },
    height: { ideal: p.height },
    frameRate: { ideal: p.frameRate },
  };
  if (cameraId) c.deviceId = { exact: cameraId };
  else if (front !== undefined) c.facingMode = front ? 'user' : 'environment';
  return c;
}

/** How much to scale a source down to fit a target size (≥ 1). */
export function scaleDownBy(srcW: number, srcH: number, dstW: number, dstH: number): number {
  if (!srcW || !srcH || !dstW || !dstH) return 1;
  return Math.max(1, Math.min(srcW / dstW, srcH / dstH));
}

import type { VideoProfileObject } from './types.js';
/** Camera profiles: width × height, frames per second, kbps. */
export declare const VIDEO_PROFILES: Record<string, VideoProfileObject>;
export declare const DEFAULT_VIDEO_PROFILE = "480p";
/** The small stream's default (v5): 160 × 120 at 15 fps, 100 kbps. */
export declare const DEFAULT_SMALL_PROFILE: VideoProfileObject;
/** Screen share profiles. */
export declare const SCREEN_PROFILES: Record<string, VideoProfileObject>;
export declare const DEFAULT_SCREEN_PROFILE = "1080p";
export interface AudioProfile {
    sampleRate: number;
    channelCount: number;
    /** kbps */
    bitrate: number;
}
export declare const AUDIO_PROFILES: Record<string, AudioProfile>;
export declare const DEFAULT_AUDIO_PROFILE = "standard";
/** Limits of a custom profile object. */
export declare const PROFILE_LIMITS: {
    maxWidth: number;
    maxHeight: number;
    maxFrameRate: number;
    maxBitrate: number;
};
/**
 * Resolves a profile given by name or as an object. Unknown names and
 * objects with missing or out-of-range fields are INVALID_PARAMETER.
 */
export declare function resolveVideoProfile(p: unknown, table: Record<string, VideoProfileObject>, fallback: string, fn: string, what?: string): VideoProfileObject;
export declare function resolveAudioProfile(p: unknown, fn: string): AudioProfile;
/** getUserMedia constraints for a camera profile. */
export declare function cameraConstraints(p: VideoProfileObject, cameraId?: string, front?: boolean): MediaTrackConstraints;
/** How much to scale a source down to fit a target size (≥ 1). */
export declare function scaleDownBy(srcW: number, srcH: number, dstW: number, dstH: number): number;

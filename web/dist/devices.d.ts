import { type AudioProfile } from './profiles.js';
import type { DeviceChangedEvent } from './events.js';
import type { VideoProfileObject } from './types.js';
export declare function captureCamera(profile: VideoProfileObject, cameraId: string | undefined, front: boolean | undefined, fn: string): Promise<MediaStreamTrack>;
export interface MicOptions {
    microphoneId?: string;
    echoCancellation?: boolean;
    noiseSuppression?: boolean;
    autoGainControl?: boolean;
}
export declare function captureMicrophone(profile: AudioProfile, o: MicOptions, fn: string): Promise<MediaStreamTrack>;
export declare function captureScreen(profile: VideoProfileObject, systemAudio: boolean, fn: string): Promise<{
    video: MediaStreamTrack;
    audio: MediaStreamTrack | null;
}>;
export type DeviceKind = 'camera' | 'microphone' | 'speaker';
export interface DeviceInfo {
    deviceId: string;
    groupId: string;
    kind: string;
    label: string;
}
/**
 * Lists devices of one kind. With requestPermission (the default, as in
 * v5) and no labels yet, it asks for the device once so that labels and
 * real ids are available.
 */
export declare function listDevices(kind: MediaDeviceKind, requestPermission?: boolean): Promise<DeviceInfo[]>;
/** DEVICE_CHANGED events between two device lists (add and remove). */
export declare function diffDevices(before: DeviceInfo[], after: DeviceInfo[]): DeviceChangedEvent[];
export declare function enumerateAll(): Promise<DeviceInfo[]>;

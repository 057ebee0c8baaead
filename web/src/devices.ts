// Capture (camera, microphone, screen) and device lists, with v5's
// DEVICE_ERROR and ENV_NOT_SUPPORTED codes, and the device-change diff
// behind DEVICE_CHANGED.
import { ERROR_CODE, EXTRA_CODE, RtcError, deviceError } from './errors.js';
import { cameraConstraints, type AudioProfile } from './profiles.js';
import type { DeviceChangedEvent } from './events.js';
import type { VideoProfileObject } from './types.js';

function mediaDevices(fn: string): MediaDevices {
  if (typeof navigator === 'undefined' || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw new RtcError({
      code: ERROR_CODE.ENV_NOT_SUPPORTED,
      extraCode: EXTRA_CODE.NO_MEDIA_DEVICES,
      message: 'this page cannot capture media: navigator.mediaDevices is missing (HTTPS or localhost is required)',
      functionName: fn,
    });
  }
  return navigator.mediaDevices;
}

export async function captureCamera(
  profile: VideoProfileObject,
  cameraId: string | undefined,
  front: boolean | undefined,
  fn: string,
): Promise<MediaStreamTrack> {
  const md = mediaDevices(fn);
  try {
    const s = await md.getUserMedia({ video: cameraConstraints(profile, cameraId, front), audio: false });
    return s.getVideoTracks()[0]!;
  } catch (e) {
    throw deviceError(e, 'camera', fn);
  }
}

export interface MicOptions {
  microphoneId?: string;
  echoCancellation?: boolean;
  noiseSuppression?: boolean;
  autoGainControl?: boolean;
}

export async function captureMicrophone(profile: AudioProfile, o: MicOptions, fn: string): Promise<MediaStreamTrack> {
  const md = mediaDevices(fn);
  const c: MediaTrackConstraints = {
    sampleRate: profile.sampleRate,
    channelCount: profile.channelCount,
    echoCancellation: o.echoCancellation ?? true,
    noiseSuppression: o.noiseSuppression ?? true,
    autoGainControl: o.autoGainControl ?? true,
  };
  if (o.microphoneId) c.deviceId = { exact: o.microphoneId };
  try {
    const s = await md.getUserMedia({ audio: c, video: false });
    return s.getAudioTracks()[0]!;
  } catch (e) {
    throw deviceError(e, 'microphone', fn);
  }
}

export async function captureScreen(
  profile: VideoProfileObject,
  systemAudio: boolean,
  fn: string,
): Promise<{ video: MediaStreamTrack; audio: MediaStreamTrack | null }> {
  const md = mediaDevices(fn);
  if (!md.getDisplayMedia) {
    throw new RtcError({
      code: ERROR_CODE.ENV_NOT_SUPPORTED,
      extraCode: EXTRA_CODE.NO_SCREEN_SHARE,
      message: 'this browser cannot share the screen (getDisplayMedia is missing)',
      functionName: fn,
    });
  }
  try {
    const s = await md.getDisplayMedia({
      video: { width: { max: profile.width }, height: { max: profile.height }, frameRate: { max: profile.frameRate } },
      audio: systemAudio,
    });
    return { video: s.getVideoTracks()[0]!, audio: s.getAudioTracks()[0] ?? null };
  } catch (e) {
    throw deviceError(e, 'screen share', fn);
  }
}

export type DeviceKind = 'camera' | 'microphone' | 'speaker';
const kindOf: Record<string, DeviceKind> = { videoinput: 'camera', audioinput: 'microphone', audiooutput: 'speaker' };

export interface DeviceInfo {
  deviceId: string;
  groupId: string;
  kind: string;
  label: string;
}

function plain(d: MediaDeviceInfo | DeviceInfo): DeviceInfo {
  return { deviceId: d.deviceId, groupId: d.groupId, kind: d.kind, label: d.label };
}

/**
 * Lists devices of one kind. With requestPermission (the default, as in
 * v5) and no labels yet, it asks for the device once so that labels and
 * real ids are available.
 */
export async function listDevices(kind: MediaDeviceKind, requestPermission = true): Promise<DeviceInfo[]> {
  const md = mediaDevices(`get${kind === 'videoinput' ? 'Camera' : kind === 'audioinput' ? 'Microphone' : 'Speaker'}List`);
  let all = (await md.enumerateDevices()).filter((d) => d.kind === kind);
  if (requestPermission && kind !== 'audiooutput' && all.length > 0 && all.every((d) => !d.label)) {
    try {
      const s = await md.getUserMedia(kind === 'videoinput' ? { video: true } : { audio: true });
      s.getTracks().forEach((t) => t.stop());
      all = (await md.enumerateDevices()).filter((d) => d.kind === kind);
    } catch {
      // Without permission the list keeps empty labels.
    }
  }
  return all.map(plain);
}

/** DEVICE_CHANGED events between two device lists (add and remove). */
export function diffDevices(before: DeviceInfo[], after: DeviceInfo[]): DeviceChangedEvent[] {
  const key = (d: DeviceInfo) => `${d.kind}|${d.deviceId}`;
  const old = new Map(before.map((d) => [key(d), d]));
  const now = new Map(after.map((d) => [key(d), d]));
  const out: DeviceChangedEvent[] = [];
  for (const [k, d] of old) {
    const type = kindOf[d.kind];
    if (type && !now.has(k)) out.push({ type, action: 'remove', device: plain(d) });
  }
  for (const [k, d] of now) {
    const type = kindOf[d.kind];
    if (type && !old.has(k)) out.push({ type, action: 'add', device: plain(d) });
  }
  return out;
}

export async function enumerateAll(): Promise<DeviceInfo[]> {
  if (typeof navigator === 'undefined' || !navigator.mediaDevices?.enumerateDevices) return [];
  return (await navigator.mediaDevices.enumerateDevices()).map(plain);
}

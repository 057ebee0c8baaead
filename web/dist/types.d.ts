import type { StreamType } from './events.js';
export declare const TYPE: {
    readonly SCENE_RTC: "rtc";
    readonly SCENE_LIVE: "live";
    readonly ROLE_ANCHOR: "anchor";
    readonly ROLE_AUDIENCE: "audience";
    readonly STREAM_TYPE_MAIN: "main";
    readonly STREAM_TYPE_SUB: "sub";
    readonly AUDIO_PROFILE_SPEECH: "speech";
    readonly AUDIO_PROFILE_STANDARD: "standard";
    readonly AUDIO_PROFILE_STANDARD_STEREO: "standard-stereo";
    readonly AUDIO_PROFILE_HIGH: "high";
    readonly AUDIO_PROFILE_HIGH_STEREO: "high-stereo";
    readonly QOS_PREFERENCE_SMOOTH: "smooth";
    readonly QOS_PREFERENCE_CLEAR: "clear";
};
export type Scene = 'rtc' | 'live';
export type Role = 'anchor' | 'audience';
/** A view: an element id, an element, or null for no rendering. */
export type View = string | HTMLElement | null;
export interface CreateOptions {
    /**
     * rtcengine server, e.g. 'wss://rtc.example.com' or 'ws://127.0.0.1:7880'
     * (the /signal path is added when missing). Default: the server the SDK
     * was loaded from.
     */
    server?: string;
    /** v5 options accepted and ignored (no plugins in rtcengine). */
    plugins?: unknown[];
    assetsPath?: string;
    enableSEI?: boolean;
    userDefineRecordId?: string;
}
export interface EnterRoomOptions {
    sdkAppId: number;
    userId: string;
    userSig: string;
    roomId?: number;
    strRoomId?: string;
    scene?: Scene;
    role?: Role;
    privateMapKey?: string;
    /** Play remote audio as soon as it is available (default true). */
    autoReceiveAudio?: boolean;
    /** Receive remote video before startRemoteVideo (default false). */
    autoReceiveVideo?: boolean;
    /** v5 option; rtcengine never shows a dialog (listen to AUTOPLAY_FAILED). */
    enableAutoPlayDialog?: boolean;
    userDefineRecordId?: string;
    streamId?: string;
    businessInfo?: string;
}
export interface VideoProfileObject {
    width: number;
    height: number;
    frameRate: number;
    /** kbps */
    bitrate: number;
}
export interface LocalVideoOption {
    cameraId?: string;
    useFrontCamera?: boolean;
    profile?: string | VideoProfileObject;
    /** Also publish a small stream: true (default small profile), a profile name or object. */
    small?: boolean | string | VideoProfileObject;
    /** Mirror the local preview (default true). */
    mirror?: boolean;
    fillMode?: 'contain' | 'cover' | 'fill';
    /** Publish this track instead of capturing the camera. */
    videoTrack?: MediaStreamTrack;
    qosPreference?: 'smooth' | 'clear';
}
export interface StartLocalVideoOptions {
    view?: View;
    publish?: boolean;
    mute?: boolean;
    option?: LocalVideoOption;
}
export interface LocalAudioOption {
    microphoneId?: string;
    profile?: string;
    audioTrack?: MediaStreamTrack;
    echoCancellation?: boolean;
    noiseSuppression?: boolean;
    autoGainControl?: boolean;
}
export interface StartLocalAudioOptions {
    publish?: boolean;
    mute?: boolean;
    option?: LocalAudioOption;
}
export interface ScreenShareOption {
    profile?: string | VideoProfileObject;
    systemAudio?: boolean;
    fillMode?: 'contain' | 'cover' | 'fill';
    videoTrack?: MediaStreamTrack;
}
export interface StartScreenShareOptions {
    view?: View;
    publish?: boolean;
    option?: ScreenShareOption;
}
export interface RemoteVideoOptions {
    userId: string;
    streamType: StreamType;
    view?: View;
    option?: {
        /** Receive the small stream (default: the server picks big or small by bandwidth). */
        small?: boolean;
        fillMode?: 'contain' | 'cover' | 'fill';
        mirror?: boolean;
    };
}
export interface CustomMessage {
    /** 1..10 */
    cmdId: number;
    /** At most 1,000 bytes (TRTC's 1 KB). */
    data: ArrayBuffer | ArrayBufferView;
}
/** TRTC.startSpeedTest's parameters (TRTCSpeedTestParams; docs/web-sdk.md). */
export interface SpeedTestParams {
    sdkAppId: number;
    userId: string;
    userSig: string;
    /** kbps to send up: 10..5000 (10..1000 for scene 3); 0 or absent skips the upload. */
    expectedUpBandwidth?: number;
    /** kbps to receive: 10..5000 (10..1000 for scene 3); 0 or absent skips the download. */
    expectedDownBandwidth?: number;
    /** 1 delay only, 2 delay and bandwidth (default), 3 online chorus. */
    scene?: 1 | 2 | 3;
    /** rtcengine: the server to test, as TRTC.create's option (default: the one the SDK was loaded from). */
    server?: string;
}
/** TRTC.startSpeedTest's result (TRTCSpeedTestResult). Unmeasured values are -1. */
export interface SpeedTestResult {
    success: boolean;
    errMsg: string;
    /** The server address tested. */
    ip: string;
    /** 0 unknown, 1 excellent … 5 very bad (as NETWORK_QUALITY). */
    quality: number;
    /** 0..1 */
    upLostRate: number;
    /** 0..1 */
    downLostRate: number;
    /** ms */
    rtt: number;
    /** kbps */
    availableUpBandwidth: number;
    /** kbps */
    availableDownBandwidth: number;
    /** ms */
    upJitter: number;
    /** ms */
    downJitter: number;
}

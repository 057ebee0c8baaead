import { type DeviceInfo } from './devices.js';
import { type EventMap, type StreamType } from './events.js';
import { type RoomTimings } from './room.js';
import { type SocketFactory } from './signal.js';
import { type InStat } from './stats.js';
import { type CreateOptions, type SpeedTestParams, type SpeedTestResult } from './types.js';
/** Turns TRTC.create's server option into the signaling URL. */
export declare function signalUrl(server?: unknown): string;
/** Test hooks: a WebSocket and PeerConnection factory, shorter timers. */
export interface InternalOptions {
    socketFactory?: SocketFactory;
    createPC?: () => RTCPeerConnection;
    timings?: Partial<RoomTimings>;
}
export declare class TRTC {
    private serverUrl;
    static readonly EVENT: {
        readonly ERROR: "error";
        readonly AUTOPLAY_FAILED: "autoplay-failed";
        readonly KICKED_OUT: "kicked-out";
        readonly REMOTE_USER_ENTER: "remote-user-enter";
        readonly REMOTE_USER_EXIT: "remote-user-exit";
        readonly REMOTE_AUDIO_AVAILABLE: "remote-audio-available";
        readonly REMOTE_AUDIO_UNAVAILABLE: "remote-audio-unavailable";
        readonly REMOTE_VIDEO_AVAILABLE: "remote-video-available";
        readonly REMOTE_VIDEO_UNAVAILABLE: "remote-video-unavailable";
        readonly AUDIO_VOLUME: "audio-volume";
        readonly NETWORK_QUALITY: "network-quality";
        readonly CONNECTION_STATE_CHANGED: "connection-state-changed";
        readonly SCREEN_SHARE_STOPPED: "screen-share-stopped";
        readonly DEVICE_CHANGED: "device-changed";
        readonly STATISTICS: "statistics";
        readonly CUSTOM_MESSAGE: "custom-message";
        readonly FIRST_VIDEO_FRAME: "first-video-frame";
        readonly PUBLISH_STATE_CHANGED: "publish-state-changed";
        readonly AUDIO_PLAY_STATE_CHANGED: "audio-play-state-changed";
        readonly VIDEO_PLAY_STATE_CHANGED: "video-play-state-changed";
    };
    static readonly ERROR_CODE: {
        readonly INVALID_PARAMETER: 5000;
        readonly INVALID_OPERATION: 5100;
        readonly ENV_NOT_SUPPORTED: 5200;
        readonly DEVICE_ERROR: 5300;
        readonly SERVER_ERROR: 5400;
        readonly OPERATION_FAILED: 5500;
        readonly OPERATION_ABORT: 5998;
        readonly UNKNOWN_ERROR: 5999;
    };
    static readonly TYPE: {
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
    static readonly VERSION = "0.1.0";
    /** Creates an instance: one user in at most one room at a time. */
    static create(options?: CreateOptions, internal?: InternalOptions): TRTC;
    static getCameraList(requestPermission?: boolean): Promise<DeviceInfo[]>;
    static getMicrophoneList(requestPermission?: boolean): Promise<DeviceInfo[]>;
    static getSpeakerList(requestPermission?: boolean): Promise<DeviceInfo[]>;
    /** Routes every instance's remote audio to a speaker. */
    static setCurrentSpeaker(speakerId: string): Promise<void>;
    static isSupported(): Promise<{
        result: boolean;
        detail: Record<string, boolean>;
    }>;
    static setLogLevel(_level: number): void;
    /**
     * Measures the network to the server before entering a room (TRTC's
     * startSpeedTest): round trip, loss, jitter and available bandwidth each
     * way. See docs/web-sdk.md.
     */
    static startSpeedTest(params: SpeedTestParams, internal?: InternalOptions): Promise<SpeedTestResult>;
    private emitter;
    private room;
    private pub;
    private sub;
    private announced;
    private camera;
    private mic;
    private screen;
    private busy;
    private remoteVideo;
    private remoteAudio;
    private audioWanted;
    private audioVolume;
    private limiter;
    private statsTimer;
    private volumeTimer;
    private volumeInterval;
    private volumeInBackground;
    private prevSnapshot;
    private iceTimers;
    private devices;
    private destroyed;
    private socketFactory;
    private keepCandidate;
    private timings;
    private constructor();
    /** The signaling URL this instance connects to. */
    get server(): string;
    on<K extends keyof EventMap>(event: K, handler: (e: EventMap[K]) => void, context?: unknown): this;
    once<K extends keyof EventMap>(event: K, handler: (e: EventMap[K]) => void, context?: unknown): this;
    off(event: keyof EventMap | '*', handler?: (e: any) => void, context?: unknown): this;
    private emit;
    private alive;
    private requireRoom;
    private isAudience;
    private request;
    /** Enters a room (v5 enterRoom). */
    enterRoom(options: unknown): Promise<void>;
    private hooks;
    /** Leaves the room (v5 exitRoom). Local capture keeps running. */
    exitRoom(): Promise<void>;
    /** Changes role in the live scene (v5 switchRole). */
    switchRole(role: unknown, option?: {
        privateMapKey?: string;
    }): Promise<void>;
    /** Releases everything; the instance cannot be used again. */
    destroy(): Promise<void>;
    private onRoomEvents;
    private onSignalEvent;
    /** Back after a connection loss: media is kept (resumed) or renegotiated. */
    private onRecovered;
    private resetMedia;
    /** Tears down room media (exit, kick, failure); local capture stays. */
    private leaveMedia;
    private desiredStreams;
    /** Tells the server a stream is (not) available; refusals reject. */
    private announce;
    private cameraEncodings;
    /** Puts the wanted local tracks on the publisher connection (no announcing). */
    private setPubTracks;
    /**
     * Publishes what is captured and unpublishes what is not, announcing
     * streams first (the server may refuse, e.g. a second screen sharer).
     * Used on enter, recovery and switching to anchor; errors become ERROR
     * events unless fn is an API that should reject.
     */
    private republish;
    private report;
    /** Opens the camera, previews it in view and publishes it (v5 startLocalVideo). */
    startLocalVideo(options?: unknown): Promise<void>;
    /** Changes the camera's view, device, profile, mute or publishing (v5 updateLocalVideo). */
    updateLocalVideo(options?: unknown): Promise<void>;
    /** Stops the camera and unpublishes it (v5 stopLocalVideo). */
    stopLocalVideo(): Promise<void>;
    private stopCamera;
    private swapCamera;
    private smallProfile;
    private fillMode;
    private checkTrack;
    /** Opens the microphone and publishes it (v5 startLocalAudio). */
    startLocalAudio(options?: unknown): Promise<void>;
    /** Mutes, switches or (un)publishes the microphone (v5 updateLocalAudio). */
    updateLocalAudio(options?: unknown): Promise<void>;
    /** Stops the microphone and unpublishes it (v5 stopLocalAudio). */
    stopLocalAudio(): Promise<void>;
    private stopMic;
    private swapMic;
    /** Shares the screen as the sub stream (v5 startScreenShare). */
    startScreenShare(options?: unknown): Promise<void>;
    /** Stops sharing the screen (v5 stopScreenShare). */
    stopScreenShare(): Promise<void>;
    private stopScreen;
    private remoteUser;
    /** Plays a remote user's camera or screen in view (v5 startRemoteVideo). */
    startRemoteVideo(options?: unknown): Promise<void>;
    /** Moves a remote video to another view or changes its layer (v5 updateRemoteVideo). */
    updateRemoteVideo(options?: unknown): Promise<void>;
    /** Stops playing remote video; userId '*' stops all (v5 stopRemoteVideo). */
    stopRemoteVideo(options?: unknown): Promise<void>;
    private dropRemoteVideo;
    /** Stops or resumes receiving a remote user's audio; '*' for all (v5 muteRemoteAudio). */
    muteRemoteAudio(userId: unknown, mute: unknown): Promise<void>;
    /** Sets a remote user's playback volume 0..100; '*' for all (v5 setRemoteAudioVolume). */
    setRemoteAudioVolume(userId: unknown, volume: unknown): void;
    private onRemoteTracks;
    private applySpeaker;
    private cdn;
    private plugin;
    /** Starts a plugin (v5 startPlugin); 'CDNStreaming' relays or mixes to an RTMP URL. */
    startPlugin(name: unknown, options: unknown): Promise<void>;
    /** Updates a running plugin (v5 updatePlugin). */
    updatePlugin(name: unknown, options: unknown): Promise<void>;
    /** Stops a plugin (v5 stopPlugin); stopping what does not run does nothing. */
    stopPlugin(name: unknown, options: unknown): Promise<void>;
    /**
     * Sends a custom message to everyone in the room (v5 sendCustomMessage).
     * Bad input throws at once; the returned promise settles when the server
     * has accepted the message.
     */
    sendCustomMessage(message: unknown): Promise<void>;
    /** Reports AUDIO_VOLUME every interval ms (≤ 0 stops; at least 100 ms). */
    enableAudioVolumeEvaluation(interval?: unknown, enableInBackground?: unknown): void;
    private startVolume;
    private startStats;
    private snapshot;
    /**
     * rtcengine extension: what is being received from a user, read from the
     * browser's statistics now (framesDecoded, packetsReceived, …).
     */
    getRemoteStreamStats(userId: string): Promise<{
        audio?: InStat;
        video?: InStat;
        sub?: InStat;
    }>;
    /** rtcengine extension: the connection states of the two PeerConnections. */
    getConnectionStates(): {
        signal: string;
        publisher: string;
        subscriber: string;
    };
    /** The local camera track, or a remote user's video track (v5 getVideoTrack). */
    getVideoTrack(options?: {
        userId?: string;
        streamType?: StreamType;
    }): MediaStreamTrack | null;
    /** The local microphone track, or a remote user's audio track (v5 getAudioTrack). */
    getAudioTrack(userId?: string): MediaStreamTrack | null;
    private onPeerState;
    private restartIce;
    /** The network changed: check signaling now and restart ICE on both connections. */
    private onNetworkChange;
    private onVisibility;
    private onDeviceChange;
    private watchEnded;
    /**
     * The device of a local track went away (unplugged, or revoked): capture
     * the default device instead and keep publishing, or report DEVICE_ERROR.
     */
    private onDeviceLost;
    private listen;
    private unlisten;
}

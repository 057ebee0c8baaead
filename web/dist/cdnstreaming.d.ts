import type { Message } from './signal.js';
/** TRTC.TYPE-like publish modes of the plugin (v5 PublishMode). */
export declare const PublishMode: {
    readonly PublishMainStreamToCDN: "PublishMainStreamToCDN";
    readonly PublishSubStreamToCDN: "PublishSubStreamToCDN";
    readonly PublishMixStreamToCDN: "PublishMixStreamToCDN";
};
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
/** Limits checked before sending (the server checks them again). */
export declare const CDN_STREAMING_LIMITS: {
    readonly maxUrlLength: 1024;
    readonly maxLayouts: 16;
    readonly maxSide: 1920;
};
/** The publish mode of options, checked. */
export declare function modeOf(options: unknown, fn: string): PublishModeValue;
/** Maps options to the data of start/update_publish_media_stream. */
export declare function mediaStreamRequest(options: unknown, fn: string, taskId?: string): Record<string, unknown>;
/** Sends requests on the current room connection. */
export type Requester = (type: string, data: unknown) => Promise<Message>;
/**
 * The plugin's state: one task per publish mode, as in v5 (starting a mode
 * that runs is an error; update and stop name the mode).
 */
export declare class CDNStreaming {
    private readonly request;
    private readonly tasks;
    constructor(request: Requester);
    private check;
    start(options: unknown): Promise<void>;
    update(options: unknown): Promise<void>;
    stop(options: unknown): Promise<void>;
}

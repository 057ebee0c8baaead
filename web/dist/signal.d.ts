export declare const SUBPROTOCOL = "rtcengine.v1";
/** Codes the SDK synthesizes for requests that get no answer. */
export declare const CODE_DISCONNECTED = -8;
export declare const CODE_TIMEOUT = -3308;
export interface Message {
    type: string;
    id?: number;
    code?: number;
    msg?: string;
    data?: any;
}
/** The part of WebSocket the SDK uses (a fake in unit tests). */
export interface SocketLike {
    readonly readyState: number;
    readonly protocol: string;
    onopen: ((ev: any) => void) | null;
    onclose: ((ev: any) => void) | null;
    onerror: ((ev: any) => void) | null;
    onmessage: ((ev: {
        data: any;
    }) => void) | null;
    send(data: string): void;
    close(code?: number, reason?: string): void;
}
export type SocketFactory = (url: string, protocols: string[]) => SocketLike;
export declare const browserSocket: SocketFactory;
export interface SignalOptions {
    heartbeatMs: number;
    timeoutMs: number;
    onEvent: (m: Message) => void;
    /** Called once when the connection ends for any reason but close(). */
    onLost: (reason: string) => void;
    now?: () => number;
}
export declare class Signal {
    private factory;
    private opts;
    private ws;
    private nextId;
    private pending;
    private ticker;
    private closed;
    private now;
    /** When the last frame arrived (ms, for liveness checks). */
    lastFrameAt: number;
    bytesSent: number;
    bytesReceived: number;
    constructor(factory: SocketFactory, opts: SignalOptions);
    /** Connects; rejects with a reason if the socket does not open in time. */
    open(url: string, timeoutMs: number): Promise<void>;
    get isOpen(): boolean;
    setHeartbeat(heartbeatMs: number, timeoutMs: number): void;
    /**
     * Sends a request. It resolves with the response, or with a synthesized
     * one carrying CODE_TIMEOUT (no answer in time) or CODE_DISCONNECTED (the
     * connection ended first). It never rejects.
     */
    request(type: string, data: unknown, timeoutMs: number): Promise<Message>;
    /** Sends a frame that gets no response. */
    send(type: string, data?: unknown): boolean;
    private write;
    private onFrame;
    private startTicker;
    /** Sends a heartbeat and declares the connection lost after a silent timeout. */
    tick(): void;
    /** Checks liveness now (after a network change or when the tab shows again). */
    checkAlive(): boolean;
    private lost;
    private teardown;
    /** Closes without reporting the loss. */
    close(): void;
}

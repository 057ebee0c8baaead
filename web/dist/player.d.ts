export type FillMode = 'contain' | 'cover' | 'fill';
export interface PlayerOptions {
    kind: 'video' | 'audio';
    userId: string;
    mediaType: 'audio' | 'video' | 'screen';
    container?: HTMLElement | null;
    mirror?: boolean;
    fillMode?: FillMode;
    onAutoplayFailed?: (resume: () => Promise<void>) => void;
    onFirstFrame?: (width: number, height: number) => void;
    onPlayState?: (state: 'PLAYING' | 'PAUSED' | 'STOPPED', reason: 'playing' | 'pause' | 'ended') => void;
}
/** Players blocked by the autoplay policy, resumed by the next gesture. */
declare class AutoplayGuard {
    private blocked;
    private armed;
    add(p: Player): void;
    remove(p: Player): void;
    private onGesture;
}
export declare const autoplayGuard: AutoplayGuard;
export declare class Player {
    private o;
    readonly el: HTMLVideoElement | HTMLAudioElement;
    private wrapper;
    private track;
    private reported;
    private firstFrameSeen;
    private destroyed;
    private volume;
    constructor(o: PlayerOptions);
    get container(): HTMLElement | null;
    /** Moves a video player into another view (null: off the page). */
    move(container: HTMLElement | null): void;
    setMirror(m: boolean): void;
    setFillMode(f: FillMode): void;
    setTrack(track: MediaStreamTrack | null): void;
    hasTrack(): boolean;
    /** 0..1 */
    setVolume(v: number): void;
    setSink(deviceId: string): Promise<void>;
    /** Plays; an autoplay refusal is reported and retried on the next gesture. */
    play(): Promise<void>;
    /** Resumes a paused player (tab back in the foreground). */
    resumeIfPaused(): void;
    private watchFirstFrame;
    destroy(): void;
}
export {};

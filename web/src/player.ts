// Playing tracks in the page: a <video> inside the application's view, or
// an <audio> element kept by the SDK. Autoplay refusals are reported once
// per player and retried on the next user gesture (v5's behaviour without
// its dialog); tabs coming back to the foreground resume paused players.

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
class AutoplayGuard {
  private blocked = new Set<Player>();
  private armed = false;

  add(p: Player): void {
    this.blocked.add(p);
    if (this.armed || typeof document === 'undefined') return;
    this.armed = true;
    for (const ev of ['click', 'touchstart', 'keydown', 'pointerdown']) {
      document.addEventListener(ev, this.onGesture, { capture: true });
    }
  }

  remove(p: Player): void {
    this.blocked.delete(p);
  }

  private onGesture = (): void => {
    const all = [...this.blocked];
    this.blocked.clear();
    for (const ev of ['click', 'touchstart', 'keydown', 'pointerdown']) {
      document.removeEventListener(ev, this.onGesture, { capture: true });
    }
    this.armed = false;
    for (const p of all) void p.play();
  };
}

export const autoplayGuard = new AutoplayGuard();

export class Player {
  readonly el: HTMLVideoElement | HTMLAudioElement;
  private wrapper: HTMLDivElement | null = null;
  private track: MediaStreamTrack | null = null;
  private reported = false;
  private firstFrameSeen = false;
  private destroyed = false;
  private volume = 1;

  constructor(private o: PlayerOptions) {
    if (o.kind === 'video') {
      const v = document.createElement('video');
      v.autoplay = true;
      v.playsInline = true;
      v.muted = true; // sound comes from the audio player
      v.setAttribute('playsinline', '');
      v.style.cssText = `width:100%;height:100%;object-fit:${o.fillMode ?? 'cover'};background:#000;display:block;`;
      if (o.mirror) v.style.transform = 'scaleX(-1)';
      this.el = v;
      this.wrapper = document.createElement('div');
      this.wrapper.className = 'rtcengine-player';
      this.wrapper.dataset.userId = o.userId;
      this.wrapper.dataset.mediaType = o.mediaType;
      this.wrapper.style.cssText = 'width:100%;height:100%;position:relative;overflow:hidden;';
      this.wrapper.appendChild(v);
      if (o.container) o.container.appendChild(this.wrapper);
    } else {
      const a = document.createElement('audio');
      a.autoplay = true;
      this.el = a;
    }
    this.el.addEventListener('playing', () => this.o.onPlayState?.('PLAYING', 'playing'));
    this.el.addEventListener('pause', () => {
      if (!this.destroyed) this.o.onPlayState?.('PAUSED', 'pause');
    });
  }

  get container(): HTMLElement | null {
    return this.wrapper?.parentElement ?? null;
  }

  /** Moves a video player into another view (null: off the page). */
  move(container: HTMLElement | null): void {
    if (!this.wrapper) return;
    if (container) container.appendChild(this.wrapper);
    else this.wrapper.remove();
  }

  setMirror(m: boolean): void {
    if (this.o.kind === 'video') this.el.style.transform = m ? 'scaleX(-1)' : '';
  }

  setFillMode(f: FillMode): void {
    if (this.o.kind === 'video') this.el.style.objectFit = f;
  }

  setTrack(track: MediaStreamTrack | null): void {
    if (this.destroyed || track === this.track) return;
    this.track = track;
    this.firstFrameSeen = false;
    this.el.srcObject = track ? new MediaStream([track]) : null;
    if (track) {
      this.watchFirstFrame();
      void this.play();
    }
  }

  hasTrack(): boolean {
    return this.track !== null;
  }

  /** 0..1 */
  setVolume(v: number): void {
    this.volume = v;
    this.el.volume = v;
  }

  setSink(deviceId: string): Promise<void> {
    const el = this.el as HTMLMediaElement & { setSinkId?: (id: string) => Promise<void> };
    return el.setSinkId ? el.setSinkId(deviceId) : Promise.resolve();
  }

  /** Plays; an autoplay refusal is reported and retried on the next gesture. */
  async play(): Promise<void> {
    if (this.destroyed || !this.track) return;
    this.el.volume = this.volume;
    try {
      await this.el.play();
      this.reported = false;
      autoplayGuard.remove(this);
    } catch (e) {
      const name = (e as { name?: string })?.name;
      if (name !== 'NotAllowedError' || this.destroyed) return; // AbortError: a newer srcObject took over
      autoplayGuard.add(this);
      if (!this.reported) {
        this.reported = true;
        this.o.onAutoplayFailed?.(() => this.play());
      }
    }
  }

  /** Resumes a paused player (tab back in the foreground). */
  resumeIfPaused(): void {
    if (this.track && this.el.paused) void this.play();
  }

  private watchFirstFrame(): void {
    if (this.o.kind !== 'video' || !this.o.onFirstFrame) return;
    const v = this.el as HTMLVideoElement & {
      requestVideoFrameCallback?: (cb: (now: number, meta: { width: number; height: number }) => void) => number;
    };
    const track = this.track;
    const report = (w: number, h: number) => {
      if (this.destroyed || this.firstFrameSeen || this.track !== track) return;
      this.firstFrameSeen = true;
      this.o.onFirstFrame?.(w, h);
    };
    if (v.requestVideoFrameCallback) {
      v.requestVideoFrameCallback((_now, meta) => report(meta.width, meta.height));
    } else {
      v.addEventListener('loadeddata', () => report(v.videoWidth, v.videoHeight), { once: true });
    }
  }

  destroy(): void {
    if (this.destroyed) return;
    const wasPlaying = this.track !== null && !this.el.paused;
    this.destroyed = true;
    if (wasPlaying) this.o.onPlayState?.('STOPPED', 'ended');
    autoplayGuard.remove(this);
    this.el.pause();
    this.el.srcObject = null;
    this.wrapper?.remove();
    this.track = null;
  }
}

// Helpers the Go browser tests (test/browser) install in a page served by
// the server under test. They use only the public SDK, loaded from
// /sdk/rtcengine.js, and record every event the SDK emits.
(() => {
  const events = [];

  // Events as plain JSON (ArrayBuffers as text, RtcErrors as their fields).
  function summarize(e) {
    if (e === undefined || e === null) return null;
    if (e instanceof Error) return { code: e.code, extraCode: e.extraCode, message: e.message };
    const out = {};
    for (const [k, v] of Object.entries(e)) {
      if (typeof v === 'function') continue;
      if (v instanceof ArrayBuffer) out[k] = new TextDecoder().decode(v);
      else out[k] = v;
    }
    return out;
  }

  const rt = {
    TRTC: null,
    t: null,
    events,
    autoPlayVideo: true,
    autoplayResume: null,

    async load() {
      rt.TRTC = (await import('/sdk/rtcengine.js')).default;
      return typeof rt.TRTC.create === 'function';
    },

    /** Creates the page's TRTC instance and records its events. */
    init(createOptions) {
      const t = rt.TRTC.create(createOptions);
      rt.t = t;
      for (const name of Object.values(rt.TRTC.EVENT)) {
        t.on(name, (e) => {
          events.push({ name, at: performance.now(), e: summarize(e) });
          if (name === 'autoplay-failed') rt.autoplayResume = e.resume;
        });
      }
      t.on(rt.TRTC.EVENT.REMOTE_VIDEO_AVAILABLE, ({ userId, streamType }) => {
        if (!rt.autoPlayVideo) return;
        t.startRemoteVideo({ userId, streamType, view: rt.view(`${userId}_${streamType}`) }).catch((err) =>
          events.push({ name: 'test-error', e: summarize(err) }),
        );
      });
      return true;
    },

    view(id) {
      let d = document.getElementById(id);
      if (!d) {
        d = document.createElement('div');
        d.id = id;
        d.style.cssText = 'width:320px;height:180px;display:inline-block;background:#111;margin:2px';
        document.body.append(d);
      }
      return d;
    },

    /** Whether an event has been seen whose payload has every field of match. */
    seen(name, match) {
      return events.some(
        (x) => x.name === name && (!match || Object.entries(match).every(([k, v]) => x.e && x.e[k] === v)),
      );
    },

    count(name, match) {
      return events.filter(
        (x) => x.name === name && (!match || Object.entries(match).every(([k, v]) => x.e && x.e[k] === v)),
      ).length;
    },

    /** Polls pred until it returns a truthy value (or throws after ms). */
    async until(pred, ms = 15000, what = '') {
      const end = performance.now() + ms;
      for (;;) {
        const v = await pred();
        if (v) return v;
        if (performance.now() > end) throw new Error(`timed out waiting for ${what || pred.toString()}`);
        await new Promise((r) => setTimeout(r, 40));
      }
    },

    /** Runs f and returns its RtcError's fields, or null when it succeeds. */
    async error(f) {
      try {
        await f();
        return null;
      } catch (e) {
        return { code: e.code ?? null, extraCode: e.extraCode ?? null, message: String(e.message ?? e) };
      }
    },

    async stats(userId) {
      return rt.t ? await rt.t.getRemoteStreamStats(userId) : {};
    },

    async frames(userId, stream = 'video') {
      const s = await rt.stats(userId);
      return s[stream]?.framesDecoded ?? 0;
    },

    async audioSamples(userId) {
      const s = await rt.stats(userId);
      return s.audio?.totalSamplesReceived ?? 0;
    },

    /** Waits until framesDecoded of a remote stream grows by n. */
    async framesGrow(userId, stream = 'video', n = 10, ms = 15000) {
      const start = await rt.frames(userId, stream);
      await rt.until(async () => (await rt.frames(userId, stream)) >= start + n, ms, `${n} more frames of ${userId}/${stream}`);
      return await rt.frames(userId, stream);
    },

    async audioGrows(userId, ms = 15000) {
      const start = await rt.audioSamples(userId);
      await rt.until(async () => (await rt.audioSamples(userId)) > start + 4800, ms, `audio from ${userId}`);
      return await rt.audioSamples(userId);
    },
  };
  window.rt = rt;
})();

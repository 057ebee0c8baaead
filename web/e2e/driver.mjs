// A long-lived headless Chromium for the Go browser tests (test/browser).
//
// It reads one JSON command per line on stdin and writes one JSON reply per
// line on stdout: {"id", "ok": true, "value"} or {"id", "ok": false,
// "error"}. Commands:
//
//	{"id":1,"op":"open","page":"alice","url":"http://127.0.0.1:7880/"}
//	{"id":2,"op":"eval","page":"alice","expr":"async (arg) => ...","arg":{...}}
//	{"id":3,"op":"wait","page":"alice","expr":"(arg) => cond","arg":{},"timeoutMs":15000}
//	{"id":4,"op":"screenshot","page":"alice","path":"/tmp/x.png","width":1280,"height":800}
//	{"id":5,"op":"click","page":"alice","x":10,"y":10}
//	{"id":6,"op":"init","page":"alice","script":"…"}   (before the next navigation)
//	{"id":7,"op":"close","page":"alice"}
//	{"id":8,"op":"quit"}
//
// "eval" runs a function in the page and returns its (awaited) result;
// "wait" polls a function on every animation frame until it returns a
// truthy value (playwright's waitForFunction), so tests wait on the page's
// state, never on a clock. Console messages and page errors go to stderr,
// prefixed with the page name. Commands run concurrently; replies carry
// their id.
//
// Chromium is the Debian package (/usr/bin/chromium, or $CHROMIUM); this
// script never downloads a browser. The flags below give fake camera,
// microphone and screen, and make WebRTC gather 127.0.0.1 candidates, which
// loopback ICE needs.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const args = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--auto-select-desktop-capture-source=Entire screen',
];

const profile = mkdtempSync(join(tmpdir(), 'rtcengine-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  args,
  viewport: { width: 1280, height: 800 },
});
const pages = new Map();

function log(line) {
  process.stderr.write(line + '\n');
}

function reply(msg) {
  process.stdout.write(JSON.stringify(msg) + '\n');
}

function page(name) {
  const p = pages.get(name);
  if (!p) throw new Error(`no page named ${name}`);
  return p;
}

// Functions arrive as source text; the page compiles them.
function pageFunction(expr) {
  return `(${expr})`;
}

const ops = {
  async open(cmd) {
    let p = pages.get(cmd.page);
    if (!p) {
      p = await context.newPage();
      pages.set(cmd.page, p);
      p.on('console', (m) => log(`[${cmd.page}] ${m.type()}: ${m.text()}`));
      p.on('pageerror', (e) => log(`[${cmd.page}] pageerror: ${e.message}`));
    }
    if (cmd.width && cmd.height) await p.setViewportSize({ width: cmd.width, height: cmd.height });
    if (cmd.url) await p.goto(cmd.url, { waitUntil: 'load' });
    return true;
  },
  async eval(cmd) {
    const p = page(cmd.page);
    return await p.evaluate(
      ({ src, arg }) => (0, eval)(src)(arg),
      { src: pageFunction(cmd.expr), arg: cmd.arg ?? null },
    );
  },
  async wait(cmd) {
    const p = page(cmd.page);
    const handle = await p.waitForFunction(
      ({ src, arg }) => (0, eval)(src)(arg),
      { src: pageFunction(cmd.expr), arg: cmd.arg ?? null },
      { timeout: cmd.timeoutMs ?? 15000, polling: 'raf' },
    );
    const value = await handle.jsonValue();
    await handle.dispose();
    return value;
  },
  async screenshot(cmd) {
    const p = page(cmd.page);
    if (cmd.width && cmd.height) await p.setViewportSize({ width: cmd.width, height: cmd.height });
    await p.screenshot({ path: cmd.path, fullPage: false });
    return cmd.path;
  },
  async click(cmd) {
    // A real input event: it gives the page user activation (autoplay).
    const p = page(cmd.page);
    await p.mouse.click(cmd.x ?? 5, cmd.y ?? 5);
    return true;
  },
  async init(cmd) {
    // A script that runs before any of the page's own scripts.
    await page(cmd.page).addInitScript({ content: cmd.script });
    return true;
  },
  async close(cmd) {
    const p = pages.get(cmd.page);
    if (p) {
      pages.delete(cmd.page);
      await p.close();
    }
    return true;
  },
};

async function quit() {
  try {
    await context.close();
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
  process.exit(0);
}

const rl = createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  if (!line.trim()) return;
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch (e) {
    reply({ id: 0, ok: false, error: 'bad command: ' + e.message });
    return;
  }
  if (cmd.op === 'quit') {
    reply({ id: cmd.id, ok: true, value: true });
    await quit();
    return;
  }
  const op = ops[cmd.op];
  if (!op) {
    reply({ id: cmd.id, ok: false, error: `unknown op ${cmd.op}` });
    return;
  }
  try {
    const value = await op(cmd);
    reply({ id: cmd.id, ok: true, value: value ?? null });
  } catch (e) {
    reply({ id: cmd.id, ok: false, error: String(e && e.message ? e.message : e) });
  }
});
// The test process going away ends the browser too.
rl.on('close', quit);
process.on('SIGTERM', quit);
reply({ id: 0, ok: true, value: 'ready' });

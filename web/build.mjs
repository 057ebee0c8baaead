// Builds the Web SDK: src/*.ts → dist/rtcengine.js (one ES module, esbuild)
// and dist/*.d.ts (tsc). The dist folder is committed so that the server
// embeds a working SDK without node; `node build.mjs --check` rebuilds into
// a temporary folder and fails if the committed files differ.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const check = process.argv.includes('--check');

async function buildInto(out) {
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [join(here, 'src/index.ts')],
    outfile: join(out, 'rtcengine.js'),
    bundle: true,
    format: 'esm',
    target: 'es2020',
    platform: 'browser',
    legalComments: 'none',
    banner: { js: '// rtcengine Web SDK. Generated from web/src by web/build.mjs: do not edit.' },
    logLevel: 'warning',
  });
  execFileSync(join(here, 'node_modules/.bin/tsc'), ['-p', join(here, 'tsconfig.json'), '--outDir', out], {
    stdio: 'inherit',
  });
}

function files(dir) {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'))
    .sort();
}

if (!check) {
  const out = join(here, 'dist');
  rmSync(out, { recursive: true, force: true });
  await buildInto(out);
  console.log(`built ${files(out).join(', ')}`);
} else {
  const tmp = mkdtempSync(join(tmpdir(), 'rtcengine-web-'));
  try {
    await buildInto(tmp);
    const dist = join(here, 'dist');
    const want = files(tmp);
    const have = existsSync(dist) ? files(dist) : [];
    const stale = [];
    for (const f of new Set([...want, ...have])) {
      const a = want.includes(f) ? readFileSync(join(tmp, f), 'utf8') : null;
      const b = have.includes(f) ? readFileSync(join(dist, f), 'utf8') : null;
      if (a !== b) stale.push(f);
    }
    if (stale.length) {
      console.error(`web/dist is not built from the current sources (${stale.join(', ')}): run make web and commit web/dist`);
      process.exit(1);
    }
    console.log('web/dist matches web/src');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

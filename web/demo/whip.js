// WHIP publisher and WHEP player pages (/demo/whip.html, /demo/whep.html):
// a plain RTCPeerConnection and fetch, no SDK — what OBS or any WHIP/WHEP
// tool does, in a page. docs/whip-whep.md describes the endpoints.
//
// URL parameters prefill the form: room, user, token, anchor (WHEP),
// screen=1 (WHIP: share the screen as the sub stream), autostart=1.
// window.whipPage is the page's API (the browser tests drive it):
//   start({endpoint, token})  → {status, location, error}
//   stop()                    → DELETE status
//   stats()                   → {connection, framesSent|framesDecoded, audio}

const $ = (id) => document.getElementById(id);
const role = document.body.dataset.role; // "whip" or "whep"
const params = new URLSearchParams(location.search);

const page = {
  pc: null,
  resource: null,
  token: '',
  state: 'idle',
  error: '',
};

function status(text, kind = '') {
  page.state = text;
  const el = $('status');
  el.textContent = text;
  el.className = `status ${kind}`;
}

function isLoopback(host) {
  host = host.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

// A server reached over loopback listens for media on loopback only:
// candidates elsewhere could not reach it, and are dropped from the offer.
function keepReachable(sdp, endpoint) {
  if (!isLoopback(new URL(endpoint, location.href).hostname)) return sdp;
  return sdp
    .split('\r\n')
    .filter((l) => !l.startsWith('a=candidate:') || isLoopback(l.split(' ')[4]))
    .join('\r\n');
}

// Non-trickle: the offer carries every candidate (gathering complete, at
// most 3 s), so one POST is enough.
function gathered(pc) {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    const done = () => {
      if (pc.iceGatheringState === 'complete') resolve();
    };
    pc.addEventListener('icegatheringstatechange', done);
    setTimeout(resolve, 3000);
  });
}

async function capture(screen) {
  if (screen) {
    const display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
    return new MediaStream([...display.getVideoTracks(), ...mic.getAudioTracks()]);
  }
  return navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360 }, audio: true });
}

async function start({ endpoint, token, screen = false }) {
  if (page.pc) await stop();
  page.error = '';
  page.token = token;
  $('endpoint').textContent = endpoint;
  status('connecting…');
  const pc = new RTCPeerConnection();
  page.pc = pc;
  pc.addEventListener('connectionstatechange', () => {
    const s = pc.connectionState;
    status(s === 'connected' ? (role === 'whip' ? 'publishing' : 'playing') : s, s === 'failed' ? 'bad' : '');
  });
  if (role === 'whip') {
    const stream = await capture(screen);
    $('video').srcObject = stream;
    for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
  } else {
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addTransceiver('video', { direction: 'recvonly' });
    const remote = new MediaStream();
    pc.addEventListener('track', (e) => {
      remote.addTrack(e.track);
      $('video').srcObject = remote;
    });
  }
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token}` },
    body: keepReachable(pc.localDescription.sdp, endpoint),
  });
  const body = await res.text();
  if (res.status !== 201) {
    page.error = body.trim();
    status(`refused: ${res.status} ${page.error}`, 'bad');
    pc.close();
    page.pc = null;
    return { status: res.status, error: page.error };
  }
  page.resource = new URL(res.headers.get('Location'), new URL(endpoint, location.href)).href;
  await pc.setRemoteDescription({ type: 'answer', sdp: body });
  return { status: res.status, location: page.resource };
}

async function stop() {
  let code = 0;
  if (page.resource) {
    const res = await fetch(page.resource, { method: 'DELETE', headers: { Authorization: `Bearer ${page.token}` } });
    code = res.status;
    page.resource = null;
  }
  if (page.pc) {
    for (const s of page.pc.getSenders()) s.track?.stop();
    page.pc.close();
    page.pc = null;
  }
  status('stopped');
  return code;
}

async function stats() {
  const out = { connection: page.pc?.connectionState ?? 'closed', framesSent: 0, framesDecoded: 0, audio: 0 };
  if (!page.pc) return out;
  for (const r of (await page.pc.getStats()).values()) {
    if (r.type === 'outbound-rtp' && r.kind === 'video') out.framesSent += r.framesSent ?? 0;
    if (r.type === 'outbound-rtp' && r.kind === 'audio') out.audio += r.packetsSent ?? 0;
    if (r.type === 'inbound-rtp' && r.kind === 'video') out.framesDecoded += r.framesDecoded ?? 0;
    if (r.type === 'inbound-rtp' && r.kind === 'audio') out.audio += r.totalSamplesReceived ?? 0;
  }
  return out;
}

// Development servers hand out tokens (GET /dev/privatemapkey).
async function devToken() {
  const room = $('room').value.trim();
  const q = new URLSearchParams({ userId: $('user').value.trim() });
  q.set(/^\d+$/.test(room) ? 'roomId' : 'strRoomId', room);
  const res = await fetch(`/dev/privatemapkey?${q}`);
  const j = await res.json();
  if (!res.ok) throw new Error(j.message || res.statusText);
  return j.privateMapKey;
}

function endpointFromForm() {
  const q = new URLSearchParams();
  if (role === 'whip' && $('screen').checked) q.set('stream', 'sub');
  if (role === 'whep' && $('anchor').value.trim()) q.set('anchor', $('anchor').value.trim());
  const s = q.toString();
  return `${location.origin}/${role}${s ? `?${s}` : ''}`;
}

async function onStart(ev) {
  ev.preventDefault();
  try {
    let token = $('token').value.trim();
    if (!token) {
      token = await devToken();
      $('token').value = token;
    }
    const endpoint = endpointFromForm();
    await start({ endpoint, token, screen: role === 'whip' && $('screen').checked });
  } catch (err) {
    page.error = String(err.message || err);
    status(page.error, 'bad');
  }
}

window.whipPage = { start, stop, stats, page };

for (const id of ['room', 'user', 'token', 'anchor']) {
  if ($(id) && params.get(id)) $(id).value = params.get(id);
}
if (role === 'whip' && params.get('screen') === '1') $('screen').checked = true;
$('form').addEventListener('submit', onStart);
$('stop').addEventListener('click', () => stop());
$('endpoint').textContent = endpointFromForm();
if (params.get('autostart') === '1') $('form').requestSubmit();

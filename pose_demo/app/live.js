// The live webcam's page side (see live.py), run once by gr.HTML(js_on_load=...): `element` is the block.
// poseLive.start(ticket) opens the camera and /live-webcam/{ticket}; each camera frame is sent as JPEG
// (its number first) while fewer than MAX_IN_FLIGHT await their results, the others are skipped; each
// result is shown as it comes. Without a ticket, a camera or a socket, Gradio's own stream is started.
// While live, the live elements carry the ids #webcam-input and #webcam-output (Gradio's stream's own
// carry them otherwise), so that outside harnesses find the camera and the shown result either way.
// Once a live session ends (Stop, time up), its last result stays shown, with those ids, until the next start.
const MAX_IN_FLIGHT = __MAX_IN_FLIGHT__;
// Gradio's webcam prompt is written in English in every language: shown in the browser's language, as
// Gradio's own translated texts are (its other texts follow its i18n).
const PROMPTS = __WEBCAM_PROMPTS__;
const GRADIO_PROMPT = 'Click to Access Webcam';
const CONNECT_MS = 4000;
const REPORT_MS = 1000;
const camera = element.querySelector('.pose-live-camera');
const result = element.querySelector('.pose-live-result');
const video = camera.querySelector('video');
const img = result.querySelector('img');
const note = element.querySelector('.pose-live-note');
const canvas = document.createElement('canvas');
let live = null;

const ids = (on) => {
  const stream = document.querySelector('#webcam-stream');
  const pairs = [['webcam-input', camera], ['webcam-output', result]];
  for (const [id, mine] of pairs) {
    const gradio = document.getElementById(on ? id : `${id}-stream`);
    if (gradio && gradio !== mine) gradio.id = on ? `${id}-stream` : id;
    mine.id = on ? id : `${id}-live`;
  }
  if (stream) stream.style.display = on ? 'none' : '';
  element.querySelector('.pose-live').hidden = !on;
  camera.style.visibility = '';
};

// Gradio's stream: its camera asks for access, then its record button (the circle) is pressed.
const fallback = async () => {
  ids(false);
  const gradio = document.querySelector('#webcam-input');
  if (!gradio) return;
  if (!gradio.querySelector('video')?.srcObject) {
    gradio.querySelector('video ~ div > button:not(.capture-button)')?.click();
  }
  for (let i = 0; i < 100; i++) {
    const record = gradio.querySelector('button.capture-button');
    if (record) {
      if (record.querySelector('svg.feather-circle')) record.click();
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

const connect = (ticket) => new Promise((resolve) => {
  const url = new URL(`live-webcam/${encodeURIComponent(ticket)}`, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = '';
  const socket = new WebSocket(url);
  socket.binaryType = 'arraybuffer';
  const timer = setTimeout(() => { socket.close(); resolve(null); }, CONNECT_MS);
  socket.onopen = () => { clearTimeout(timer); resolve(socket); };
  socket.onerror = socket.onclose = () => { clearTimeout(timer); resolve(null); };
});

// Gradio's stream, when it is the one running: its record button shows a square while recording.
const stopFallback = () => {
  const record = document.querySelector('#webcam-input button.capture-button');
  if (record && !record.querySelector('svg.feather-circle')) record.click();
};

const end = () => {
  if (!live) return;
  const session = live;
  live = null;
  clearInterval(session.reporter);
  session.stream.getTracks().forEach((track) => track.stop());
  if (session.socket.readyState <= WebSocket.OPEN) session.socket.close();
  video.srcObject = null;
  if (session.shownUrl) camera.style.visibility = 'hidden';  // the last result stays, the camera is off
  else ids(false);
};

// The Stop button: the live session, or else Gradio's stream.
const stop = () => (live ? end() : stopFallback());

const send = (session, now) => {
  if (live !== session || session.socket.readyState !== WebSocket.OPEN) return;
  if (session.sent.size >= MAX_IN_FLIGHT) {
    session.skipped += 1;
  } else if (video.videoWidth) {
    const number = session.next++;
    session.sent.set(number, now);
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext('2d').drawImage(video, 0, 0);
    canvas.toBlob(async (blob) => {
      if (!blob || live !== session) { session.sent.delete(number); return; }
      const frame = new Uint8Array(4 + blob.size);
      new DataView(frame.buffer).setUint32(0, number, true);
      frame.set(new Uint8Array(await blob.arrayBuffer()), 4);
      if (session.socket.readyState === WebSocket.OPEN) session.socket.send(frame);
    }, 'image/jpeg', 0.8);
  }
  video.requestVideoFrameCallback((t) => send(session, t));
};

const show = (session, data) => {
  const number = new DataView(data).getUint32(0, true);
  const taken = session.sent.get(number);
  for (const k of session.sent.keys()) if (k <= number) session.sent.delete(k);  // older: dropped there
  const url = URL.createObjectURL(new Blob([new Uint8Array(data, 4)], {type: 'image/jpeg'}));
  img.onload = () => {
    if (session.shownUrl) URL.revokeObjectURL(session.shownUrl);
    session.shownUrl = url;
    if (taken !== undefined) session.shown.push([performance.now(), performance.now() - taken]);
  };
  img.src = url;
};

const report = (session) => {
  const now = performance.now();
  session.shown = session.shown.filter(([t]) => now - t < 3000);
  if (session.shown.length < 2) return;
  const latencies = session.shown.map(([, l]) => l).sort((a, b) => a - b);
  const fps = (session.shown.length - 1) / ((now - session.shown[0][0]) / 1000);
  const latency = latencies[Math.floor(latencies.length / 2)];
  session.socket.send(JSON.stringify({fps, latency_ms: latency, skipped: session.skipped}));
};

const start = async (ticket) => {
  end();
  note.textContent = '';
  if (!ticket || !window.WebSocket || !navigator.mediaDevices?.getUserMedia
      || !('requestVideoFrameCallback' in HTMLVideoElement.prototype)) return fallback();
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia(
      {video: {width: {ideal: 640}, height: {ideal: 480}}, audio: false});
  } catch (e) {
    return fallback();  // Gradio's camera says what is wrong with the camera
  }
  const socket = await connect(ticket);
  if (!socket) {
    stream.getTracks().forEach((track) => track.stop());
    return fallback();
  }
  const session = {socket, stream, next: 0, sent: new Map(), shown: [], skipped: 0, shownUrl: null};
  live = session;
  socket.onmessage = (event) => {
    if (typeof event.data === 'string') {
      const message = JSON.parse(event.data);
      if (message.end) note.textContent = message.end;
    } else if (live === session) {
      show(session, event.data);
    }
  };
  socket.onclose = () => {
    if (live !== session) return;
    end();
    if (!session.shownUrl && !note.textContent) fallback();  // dropped before any result: not live here
  };
  session.reporter = setInterval(() => report(session), REPORT_MS);
  video.srcObject = stream;
  await video.play();
  ids(true);
  video.requestVideoFrameCallback((t) => send(session, t));
};

window.poseLive = {start, stop};

const prompt = PROMPTS[(navigator.language || '').toLowerCase().startsWith('zh') ? 'zh-CN' : 'en'];
const translatePrompt = () => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.nodeValue.trim() === GRADIO_PROMPT && prompt !== GRADIO_PROMPT) node.nodeValue = ` ${prompt}`;
  }
};
new MutationObserver(translatePrompt).observe(document.body, { childList: true, subtree: true });
translatePrompt();

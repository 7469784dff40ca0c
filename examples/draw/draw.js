// The drawing pad: Pointer Events (mouse, touch and pen alike) draw round
// strokes; while drawing, the pixels are sent to the server (debounced),
// which answers with the network's output and the 28 × 28 input it saw,
// and for a convolutional network its first layer's feature maps.
"use strict";

const pad = document.getElementById("pad");
const ctx = pad.getContext("2d", { willReadFrequently: true });
const seen = document.getElementById("seen").getContext("2d");
const digit = document.getElementById("digit");
const confidence = document.getElementById("confidence");
const statusLine = document.getElementById("status");
const bars = document.getElementById("bars");
const mapsSection = document.getElementById("maps");
const mapsGrid = document.getElementById("maps-grid");

// A pen about a thirteenth of the pad wide draws strokes as thick, relative
// to a digit filling most of the pad, as MNIST's.
const PEN = pad.width / 13;

const rows = [];
for (let d = 0; d < 10; d++) {
  const li = document.createElement("li");
  li.innerHTML = `<span>${d}</span><span class="track"><span class="fill"></span></span><span class="value">0.000</span>`;
  bars.appendChild(li);
  rows.push({ li, fill: li.querySelector(".fill"), value: li.querySelector(".value") });
}

function clearPad() {
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, pad.width, pad.height);
  seen.fillStyle = "#000";
  seen.fillRect(0, 0, 28, 28);
  digit.textContent = "?";
  digit.dataset.state = "empty";
  confidence.innerHTML = "&nbsp;";
  statusLine.textContent = "Draw a digit 0 to 9.";
  for (const r of rows) {
    r.fill.style.width = "0";
    r.value.textContent = "0.000";
    r.li.classList.remove("best");
  }
  for (const c of mapCanvases) {
    const g = c.getContext("2d");
    g.fillStyle = "#000";
    g.fillRect(0, 0, c.width, c.height);
  }
}

// The feature maps: one small canvas each, made when the first answer
// with maps comes (a dense network's answers have none: the section stays
// hidden).
let mapCanvases = [];
let mapsShape = "";

function showMaps(maps) {
  if (!maps) {
    mapsSection.hidden = true;
    return;
  }
  const { count, height, width, values } = maps;
  const shape = `${count} ${height} ${width}`;
  if (shape !== mapsShape) {
    mapsShape = shape;
    mapsGrid.replaceChildren();
    mapCanvases = [];
    for (let k = 0; k < count; k++) {
      const c = document.createElement("canvas");
      c.width = width;
      c.height = height;
      c.style.aspectRatio = `${width} / ${height}`;
      c.setAttribute("role", "img");
      c.setAttribute("aria-label", `Feature map ${k + 1} of ${count}`);
      mapsGrid.appendChild(c);
      mapCanvases.push(c);
    }
    document.getElementById("maps-count").textContent = String(count);
  }
  const [lo, hi] = maps.range.map((v) => (v === null ? "?" : +v.toPrecision(3)));
  document.getElementById("maps-note").textContent =
    `Each ${width} × ${height} map is one filter slid over the image the network sees, ` +
    `its ${maps.activation} neurons' activations in grey: black ${lo}, white ${hi}.`;
  const size = width * height;
  mapCanvases.forEach((c, k) => {
    const g = c.getContext("2d");
    const image = g.createImageData(width, height);
    for (let i = 0; i < size; i++) {
      const v = values[k * size + i];
      image.data.set([v, v, v, 255], 4 * i);
    }
    g.putImageData(image, 0, 0);
  });
  mapsSection.hidden = false;
}

let last = null;
let drawing = false;

function point(e) {
  const box = pad.getBoundingClientRect();
  return {
    x: ((e.clientX - box.left) * pad.width) / box.width,
    y: ((e.clientY - box.top) * pad.height) / box.height,
  };
}

function strokeTo(p) {
  ctx.strokeStyle = "#111";
  ctx.fillStyle = "#111";
  ctx.lineWidth = PEN;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  if (last) {
    ctx.beginPath();
    ctx.moveTo(last.x, last.y);
    ctx.lineTo(p.x, p.y);
    ctx.stroke();
  } else {
    ctx.beginPath();
    ctx.arc(p.x, p.y, PEN / 2, 0, 2 * Math.PI);
    ctx.fill();
  }
  last = p;
}

pad.addEventListener("pointerdown", (e) => {
  e.preventDefault();
  pad.setPointerCapture(e.pointerId);
  drawing = true;
  last = null;
  strokeTo(point(e));
  schedule();
});
pad.addEventListener("pointermove", (e) => {
  if (!drawing) return;
  const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
  for (const c of events.length ? events : [e]) strokeTo(point(c));
  schedule();
});
for (const type of ["pointerup", "pointercancel"]) {
  pad.addEventListener(type, () => {
    if (!drawing) return;
    drawing = false;
    last = null;
    predictNow();
  });
}
document.getElementById("clear").addEventListener("click", () => {
  pending = false;
  clearTimeout(timer);
  generation++;
  clearPad();
});

// At most one request in flight; a change while waiting asks once more.
let timer = 0;
let busy = false;
let pending = false;
let generation = 0;

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(predictNow, 120);
}

async function predictNow() {
  clearTimeout(timer);
  if (busy) {
    pending = true;
    return;
  }
  busy = true;
  pending = false;
  const asked = generation;
  try {
    const rgba = ctx.getImageData(0, 0, pad.width, pad.height).data;
    const grey = new Uint8Array(pad.width * pad.height);
    for (let i = 0; i < grey.length; i++) grey[i] = rgba[4 * i];
    const response = await fetch(`predict?width=${pad.width}&height=${pad.height}`, {
      method: "POST",
      headers: { "Content-Type": "application/octet-stream" },
      body: grey,
    });
    const answer = await response.json();
    if (asked === generation) show(response.ok, answer);
  } catch (err) {
    statusLine.textContent = `No answer from the server (${err.message}); is it still running?`;
  } finally {
    busy = false;
    if (pending) predictNow();
  }
}

function show(ok, answer) {
  if (!ok) {
    digit.textContent = "?";
    digit.dataset.state = "empty";
    statusLine.textContent = answer.error || "The server refused the drawing.";
    return;
  }
  const a = answer.activations;
  digit.textContent = String(answer.digit);
  digit.dataset.state = "answered";
  confidence.textContent = `output activation ${a[answer.digit].toFixed(3)}`;
  statusLine.textContent = "Keep drawing, or clear for another digit.";
  rows.forEach((r, d) => {
    r.fill.style.width = `${Math.max(0, Math.min(1, a[d])) * 100}%`;
    r.value.textContent = a[d].toFixed(3);
    r.li.classList.toggle("best", d === answer.digit);
  });
  const image = seen.createImageData(28, 28);
  answer.input.forEach((v, i) => {
    image.data.set([v, v, v, 255], 4 * i);
  });
  seen.putImageData(image, 0, 0);
  showMaps(answer.maps);
}

clearPad();

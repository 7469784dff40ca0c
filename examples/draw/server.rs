//! The page's server: a small synchronous HTTP server on 127.0.0.1
//! (`tiny_http`) with four worker threads, each with its own
//! [`Predictor`] of the one network.
//!
//! | request | answer |
//! |---|---|
//! | `GET /`, `/style.css`, `/draw.js` | the page, built into the program |
//! | `POST /predict?width=W&height=H[&channels=C]` with W·H·C bytes | JSON: `digit`, `activations` (10), `inverted` (whether the drawing was light on dark), `input` (784 bytes, the 28 × 28 image the network saw), and when the first layer is a convolution, `maps` (its feature maps, see below) |
//!
//! `maps` is `{"count": c, "height": h, "width": w, "activation": "sigmoid",
//! "range": [lo, hi], "values": [c·h·w bytes]}`: the first layer's c
//! feature maps for the drawing, read from the [`Predictor`]'s activations
//! ([`Predictor::activations`]), one after another, each row by row, every
//! activation a grey byte where 0 (black) stands for `lo` and 255 (white)
//! for `hi` (see `grey_range`). Bytes keep the answer small: Nielsen's 20
//! maps of 24 × 24 make some 35 kB of JSON, where five decimals a value
//! would make over 90 kB. A dense model's answer has no `maps`.
//!
//! Every failure is an answer with a 4xx status and a JSON `error` that says
//! what was wrong: bodies over 1 MiB (413), sizes that do not match the body
//! (400), a page without ink (422), unknown paths (404), other methods
//! (405), and requests for another host name (421, against DNS rebinding).
//! Nothing a browser sends can make it panic.
//!
//! Each answer leaves in one write to the socket ([`send`]), head and body
//! together: written in two pieces, on a keep-alive connection the body
//! waited for the client to acknowledge the head (Nagle's algorithm), which
//! the client delays by up to 40 ms, so every `/predict` after the first
//! took over 40 ms.

use std::io::{Cursor, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};

use std::fmt::Write as _;

use neuralnet::layer::Layer;
use neuralnet::mnist::{ImageView, preprocess_digit};
use neuralnet::{Activation, Network, Predictor};
use tiny_http::{Header, Method, Request, Response, Server};

/// The largest request body accepted: 1 MiB (the page sends 400 × 400
/// grey bytes, 160 kB).
pub const MAX_BODY: usize = 1 << 20;

const INDEX_HTML: &str = include_str!("index.html");
const STYLE_CSS: &str = include_str!("style.css");
const DRAW_JS: &str = include_str!("draw.js");

/// A bound server, not yet serving.
pub struct Bound {
    server: Server,
    address: SocketAddr,
}

/// Binds 127.0.0.1:`port`; without a port, `default` or, when that is taken,
/// a port the system picks.
pub fn bind(port: Option<u16>, default: u16) -> Result<Bound, Box<dyn std::error::Error>> {
    let listener = match port {
        Some(p) => TcpListener::bind((Ipv4Addr::LOCALHOST, p)).map_err(|e| {
            format!("cannot listen on 127.0.0.1:{p}: {e}; try another --port, or --port 0")
        })?,
        None => TcpListener::bind((Ipv4Addr::LOCALHOST, default))
            .or_else(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))?,
    };
    let address = listener.local_addr()?;
    let server = Server::from_listener(listener, None).map_err(|e| e.to_string())?;
    Ok(Bound { server, address })
}

impl Bound {
    /// The address served.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Answers requests until the process ends, on four threads, so that
    /// a client that is slow to send its body holds up no one else. Each
    /// thread has its own [`Predictor`], whose buffers the first request
    /// sizes and every later one reuses.
    pub fn serve(&self, net: &Network<f32>) {
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    let mut predictor = Predictor::new(net);
                    for request in self.server.incoming_requests() {
                        let parts = request_parts(&request);
                        // A browser that went away before the answer is no concern.
                        let _ = answer(&parts, request, &mut predictor, self.address.port());
                    }
                });
            }
        });
    }
}

struct Parts {
    method: Method,
    url: String,
    host: Option<String>,
    length: Option<usize>,
}

fn request_parts(request: &Request) -> Parts {
    Parts {
        method: request.method().clone(),
        url: request.url().to_string(),
        host: request
            .headers()
            .iter()
            .find(|h| h.field.equiv("Host"))
            .map(|h| h.value.as_str().to_ascii_lowercase()),
        length: request.body_length(),
    }
}

/// A reply: status, content type, body.
struct Reply(u16, &'static str, Vec<u8>);

fn error(status: u16, message: &str) -> Reply {
    Reply(
        status,
        "application/json",
        format!("{{\"error\":\"{}\"}}", json_escape(message)).into_bytes(),
    )
}

fn json_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| match c {
            '"' => "\\\"".chars().collect::<Vec<_>>(),
            '\\' => "\\\\".chars().collect(),
            c if (c as u32) < 0x20 => format!("\\u{:04x}", c as u32).chars().collect(),
            c => vec![c],
        })
        .collect()
}

/// Routes a request, reads its body (at most [`MAX_BODY`]) and responds.
fn answer(
    parts: &Parts,
    mut request: Request,
    predictor: &mut Predictor<'_, f32>,
    port: u16,
) -> std::io::Result<()> {
    let reply = route(parts, &mut request, predictor, port);
    let Reply(status, content_type, body) = reply;
    let mut response = Response::from_data(body).with_status_code(status);
    for (field, value) in [
        ("Content-Type", content_type),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
    ] {
        if let Ok(h) = Header::from_bytes(field.as_bytes(), value.as_bytes()) {
            response.add_header(h);
        }
    }
    send(request, response)
}

/// Sends `response` in one write: tiny_http formats it (status line,
/// `Date`, `Content-Length`, the body) into memory, and the whole of it goes
/// to the socket at once. `Request::respond` would write the head into
/// tiny_http's 1 KiB buffer, send it when the body does not fit, then send
/// the body: two segments, and with Nagle's algorithm on (tiny_http does
/// not set `TCP_NODELAY`, nor let us reach the socket to) the second waits
/// for the client's acknowledgement of the first.
fn send(request: Request, response: Response<Cursor<Vec<u8>>>) -> std::io::Result<()> {
    let mut bytes = Vec::with_capacity(response.data_length().unwrap_or(0) + 512);
    response.raw_print(
        &mut bytes,
        request.http_version().clone(),
        request.headers(),
        *request.method() == Method::Head,
        None,
    )?;
    let mut socket = request.into_writer();
    socket.write_all(&bytes)?;
    socket.flush()
}

fn route(
    parts: &Parts,
    request: &mut Request,
    predictor: &mut Predictor<'_, f32>,
    port: u16,
) -> Reply {
    let allowed = [format!("127.0.0.1:{port}"), format!("localhost:{port}")];
    if !parts.host.as_ref().is_some_and(|h| allowed.contains(h)) {
        return error(421, "this server answers only to 127.0.0.1 and localhost");
    }
    let (path, query) = parts.url.split_once('?').unwrap_or((&parts.url, ""));
    let page = |content_type, text: &str| Reply(200, content_type, text.as_bytes().to_vec());
    match (&parts.method, path) {
        (Method::Get, "/" | "/index.html") => page("text/html; charset=utf-8", INDEX_HTML),
        (Method::Get, "/style.css") => page("text/css; charset=utf-8", STYLE_CSS),
        (Method::Get, "/draw.js") => page("text/javascript; charset=utf-8", DRAW_JS),
        (Method::Post, "/predict") => match read_body(parts, request) {
            Ok(body) => predict(query, &body, predictor),
            Err(reply) => reply,
        },
        (_, "/" | "/index.html" | "/style.css" | "/draw.js" | "/predict") => {
            error(405, "method not allowed: GET the page, POST to /predict")
        }
        _ => error(404, "not found: the page is at /"),
    }
}

fn read_body(parts: &Parts, request: &mut Request) -> Result<Vec<u8>, Reply> {
    let too_large = || {
        error(
            413,
            &format!("the body is larger than {MAX_BODY} bytes; send a smaller image"),
        )
    };
    if parts.length.is_some_and(|n| n > MAX_BODY) {
        return Err(too_large());
    }
    let mut body = Vec::with_capacity(parts.length.unwrap_or(0));
    request
        .as_reader()
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| error(400, &format!("could not read the body: {e}")))?;
    if body.len() > MAX_BODY {
        return Err(too_large());
    }
    Ok(body)
}

/// The query's `name=value` as a number.
fn param(query: &str, name: &str) -> Option<Result<usize, String>> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| {
            v.parse()
                .map_err(|_| format!("{name}={v} is not a whole number"))
        })
}

fn predict(query: &str, body: &[u8], predictor: &mut Predictor<'_, f32>) -> Reply {
    let size = |name| match param(query, name) {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(e),
        None => Err(format!(
            "missing {name}: POST /predict?width=W&height=H with W × H grey bytes (add &channels=C for C bytes a pixel)"
        )),
    };
    let (width, height) = match (size("width"), size("height")) {
        (Ok(w), Ok(h)) => (w, h),
        (Err(e), _) | (_, Err(e)) => return error(400, &e),
    };
    let channels = match param(query, "channels").unwrap_or(Ok(1)) {
        Ok(c) => c,
        Err(e) => return error(400, &e),
    };
    let prepared = ImageView::new(width, height, channels, body).and_then(|v| preprocess_digit(&v));
    let digit = match prepared {
        Ok(d) => d,
        Err(e @ neuralnet::Error::NoInk { .. }) => return error(422, &e.to_string()),
        Err(e) => return error(400, &e.to_string()),
    };
    let out = match predictor.feedforward(&digit.to_vector::<f32>()) {
        Ok(out) => out,
        Err(e) => return error(500, &e.to_string()),
    };
    let best = Predictor::class_of(out);
    let activations: Vec<String> = out.iter().map(|a| format!("{a:.5}")).collect();
    let input: Vec<String> = digit.to_bytes().iter().map(u8::to_string).collect();
    let mut json = format!(
        "{{\"digit\":{best},\"activations\":[{}],\"inverted\":{},\"input\":[{}]",
        activations.join(","),
        digit.inverted(),
        input.join(",")
    );
    feature_maps(predictor, &mut json);
    json.push('}');
    Reply(200, "application/json", json.into_bytes())
}

/// Appends `,"maps":{…}` to `json`, the first layer's feature maps in the
/// predictor's last call as grey bytes (see the module docs), when that
/// layer is a convolution; appends nothing for any other network.
fn feature_maps(predictor: &Predictor<'_, f32>, json: &mut String) {
    let Some(Layer::Conv2d(conv)) = predictor.network().layers().first() else {
        return;
    };
    let Some(a) = predictor.activations(1) else {
        return;
    };
    let shape = conv.output_shape();
    let f = conv.activation();
    let (lo, hi) = grey_range(f, a.iter().copied());
    let scale = if hi > lo { 255.0 / (hi - lo) } else { 0.0 };
    // Writing to a String cannot fail.
    let _ = write!(
        json,
        ",\"maps\":{{\"count\":{},\"height\":{},\"width\":{},\"activation\":\"{f}\",\"range\":[{},{}],\"values\":[",
        shape.channels,
        shape.height,
        shape.width,
        json_number(lo),
        json_number(hi),
    );
    for (i, &v) in a.iter().enumerate() {
        let grey = ((v - lo) * scale).round().clamp(0.0, 255.0) as u8;
        let _ = write!(json, "{}{grey}", if i == 0 { "" } else { "," });
    }
    json.push_str("]}");
}

/// The activations that black and white stand for in the maps' grey bytes.
///
/// A sigmoid's whole range (0 to 1) and a tanh's (−1 to 1): a grey then
/// means the same activation in every map and every drawing, black a
/// neuron that stays silent, white one that fires. A ReLU's 0 to the
/// largest activation of this drawing over all the maps, and for any other
/// activation the drawing's lowest to highest: one scale for all the maps,
/// so that a map that hardly responds looks dark beside one that does,
/// rather than each map being stretched to full contrast.
fn grey_range(f: Activation, a: impl Iterator<Item = f32>) -> (f32, f32) {
    let (min, max) = a.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    match f {
        Activation::Sigmoid => (0.0, 1.0),
        Activation::Tanh => (-1.0, 1.0),
        Activation::Relu => (0.0, max.max(0.0)),
        _ if min <= max => (min, max),
        _ => (0.0, 0.0),
    }
}

/// `v` as a JSON number (JSON has no infinities or NaN: those are `null`).
fn json_number(v: f32) -> String {
    if v.is_finite() {
        v.to_string()
    } else {
        "null".to_string()
    }
}

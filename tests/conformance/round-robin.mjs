// A round-robin front for several replicas of the server, as a load balancer
// without affinity would be: each HTTP request goes to the next backend in turn,
// its body and the response streamed through as they come (an event stream is
// passed on event by event). Used by .ci/conformance so that a question sent on
// one replica's event stream is answered through another.
//
//   node round-robin.mjs LISTEN_PORT BACKEND_URL...
//
// Prints "round-robin listening on PORT" once it accepts connections.
import http from "node:http";

const [port, ...backends] = process.argv.slice(2);
if (!port || backends.length === 0) {
  console.error("usage: node round-robin.mjs LISTEN_PORT BACKEND_URL...");
  process.exit(2);
}
const targets = backends.map((b) => new URL(b));
let next = 0;

const server = http.createServer((req, res) => {
  const target = targets[next];
  next = (next + 1) % targets.length;
  const upstream = http.request(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      // The Host header stays the client's: the replicas check it.
      headers: req.headers,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      res.flushHeaders();
      answer.pipe(res);
    },
  );
  upstream.on("error", (e) => {
    if (!res.headersSent) {
      res.writeHead(502, { "content-type": "text/plain" });
    }
    res.end(`round-robin: ${target.host}: ${e.message}\n`);
  });
  // A client that goes away closes the upstream request too, so the replica
  // sees its stream closed.
  res.on("close", () => upstream.destroy());
  req.pipe(upstream);
});
server.listen(Number(port), "127.0.0.1", () => {
  console.log(`round-robin listening on ${port} -> ${backends.join(", ")}`);
});

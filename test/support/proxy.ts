import net from 'node:net';

/**
 * A TCP proxy in front of PostgreSQL that a test can take down (connections cut and refused, as
 * when the server stops), bring back, slow down, black-hole (connections accepted and never
 * answered, as when the server's host is gone), or cut at a chosen message, without touching the
 * shared server itself.
 */
export class FaultyProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private latencyMs = 0;
  private stalled = false;
  private cut: { pattern: Buffer; forward: boolean; resolve: () => void } | undefined;
  private readonly watches = new Set<{ pattern: Buffer; resolve: () => void }>();

  private constructor(
    private readonly target: { host: string; port: number },
    public port = 0,
  ) {}

  static async start(target: { host: string; port: number }): Promise<FaultyProxy> {
    const proxy = new FaultyProxy(target);
    await proxy.up();
    return proxy;
  }

  /** Accepts connections again, on the same port, and forwards what they send. */
  async up(): Promise<void> {
    if (this.stalled) {
      // Connections left waiting in the black hole fail now rather than at their timeout.
      this.stalled = false;
      for (const socket of this.sockets) socket.destroy();
      this.sockets.clear();
    }
    if (this.server) return;
    const server = net.createServer((client) => this.connect(client));
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Cuts every open connection and refuses new ones. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.stalled = false;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * Black-holes the database, as when its host is gone without a word: open connections are cut,
   * and new ones are accepted but never answered (a client waits for its connect timeout) until
   * `up()`.
   */
  stall(): void {
    this.stalled = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /** Delays what clients send by this many milliseconds. */
  delay(ms: number): void {
    this.latencyMs = ms;
  }

  /**
   * Cuts the connection that next sends a message containing `text` (a statement, say COMMIT),
   * once: after passing the message on to the database (`forward`: the statement runs, its answer
   * never reaches the client) or without it (the database never sees it). Resolves when it has.
   */
  cutAt(text: string, forward: boolean): Promise<void> {
    return new Promise((resolve) => (this.cut = { pattern: Buffer.from(text), forward, resolve }));
  }

  /**
   * Resolves when a client next sends a message containing `text` (before any delay): a statement
   * is then on its way, and a test may do something to the database meanwhile.
   */
  seen(text: string): Promise<void> {
    return new Promise((resolve) => this.watches.add({ pattern: Buffer.from(text), resolve }));
  }

  url(base: string): string {
    const url = new URL(base);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  private connect(client: net.Socket): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => undefined);
    let upstream: net.Socket | undefined;
    // Cut at a message passed on: the database's answer is dropped, and its side of the connection
    // closed only once it has had the time to run the message (a reset might discard it unread).
    let severed = false;
    const open = () => {
      if (upstream || client.destroyed) return upstream;
      const socket = (upstream = net.connect(this.target.port, this.target.host));
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      socket.on('data', (chunk) => {
        if (!severed) client.write(chunk);
      });
      client.on('close', () => (severed ? setTimeout(() => socket.destroy(), 500) : socket.destroy()));
      socket.on('close', () => client.destroy());
      return socket;
    };
    // A black-holed database is not even connected to: a connection opened while stalled waits.
    if (!this.stalled) open();
    client.on('data', (chunk) => {
      if (this.stalled) return;
      const to = open();
      if (!to) return;
      for (const watch of this.watches) {
        if (!chunk.includes(watch.pattern)) continue;
        this.watches.delete(watch);
        watch.resolve();
      }
      const cut = this.cut;
      if (cut && chunk.includes(cut.pattern)) {
        this.cut = undefined;
        severed = cut.forward;
        if (cut.forward) to.write(chunk);
        client.destroy();
        cut.resolve();
        return;
      }
      if (this.latencyMs === 0) to.write(chunk);
      else setTimeout(() => to.writable && to.write(chunk), this.latencyMs);
    });
  }
}

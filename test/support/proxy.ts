import net from 'node:net';

/**
 * A TCP proxy in front of PostgreSQL that a test can take down (connections cut and refused, as
 * when the server stops), bring back, or slow down, without touching the shared server itself.
 */
export class FaultyProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private latencyMs = 0;

  private constructor(
    private readonly target: { host: string; port: number },
    public port = 0,
  ) {}

  static async start(target: { host: string; port: number }): Promise<FaultyProxy> {
    const proxy = new FaultyProxy(target);
    await proxy.up();
    return proxy;
  }

  /** Accepts connections again, on the same port. */
  async up(): Promise<void> {
    const server = net.createServer((client) => this.connect(client));
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Cuts every open connection and refuses new ones. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Delays what clients send by this many milliseconds. */
  delay(ms: number): void {
    this.latencyMs = ms;
  }

  url(base: string): string {
    const url = new URL(base);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  private connect(client: net.Socket): void {
    const upstream = net.connect(this.target.port, this.target.host);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.on('data', (chunk) => {
      if (this.latencyMs === 0) upstream.write(chunk);
      else setTimeout(() => upstream.writable && upstream.write(chunk), this.latencyMs);
    });
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}

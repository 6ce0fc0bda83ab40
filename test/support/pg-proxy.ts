// A TCP proxy in front of a real PostgreSQL that fails connections at chosen moments, for the driver's
// failure paths that a real server reaches only by chance: a server dying while a connection is
// starting (postgres.js fetches the array types as the first statement of every new connection).
import net from 'node:net';

export type ProxyMode =
  /** bytes pass both ways */
  | 'pass'
  /** a connection is reset (RST) when its array-type query passes: the server died while it started */
  | 'reset-at-types'
  /** a connection gets the FATAL 57P01 a terminated backend sends, then is closed (FIN), when its array-type query passes */
  | 'fatal-at-types'
  /** a new connection is reset at once: nothing listens any more */
  | 'refuse'
  /** what clients send is dropped, nothing is answered, nothing closed: a network path that lost the server */
  | 'blackhole';

/** postgres.js's array-type query reads pg_catalog.pg_type; no statement of ours does. */
const TYPES_QUERY = Buffer.from('pg_catalog.pg_type');

export class PgProxy {
  mode: ProxyMode = 'pass';
  /** connections failed by a mode so far */
  failed = 0;
  /** fail at most this many connections, then pass (default: no limit) */
  failLimit = Infinity;
  /** chunks the clients sent that were passed on (a query is one, on a connection already open) */
  clientWrites = 0;
  private readonly pairs = new Set<{ client: net.Socket; server: net.Socket }>();

  private constructor(private readonly listener: net.Server, readonly port: number, private readonly target: { host: string; port: number }) {}

  static async start(targetUrl: string): Promise<PgProxy> {
    const u = new URL(targetUrl);
    const target = { host: u.hostname, port: Number(u.port || 5432) };
    const listener = net.createServer();
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const proxy = new PgProxy(listener, (listener.address() as net.AddressInfo).port, target);
    listener.on('connection', (client: net.Socket) => proxy.accept(client));
    return proxy;
  }

  /** targetUrl with the proxy's host and port. */
  url(targetUrl: string): string {
    const u = new URL(targetUrl);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  /** Resets every open connection, as a killed server's do. */
  cutAll(): void {
    for (const p of this.pairs) this.fail(p, 'reset');
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((r) => this.listener.close(() => r()));
  }

  private accept(client: net.Socket): void {
    client.on('error', () => {});
    if (this.mode === 'refuse' && this.failed < this.failLimit) {
      this.failed++;
      client.resetAndDestroy();
      return;
    }
    const server = net.connect(this.target.port, this.target.host);
    server.on('error', () => client.destroy());
    const pair = { client, server };
    this.pairs.add(pair);
    const forget = () => this.pairs.delete(pair);
    client.on('close', () => { forget(); server.destroy(); });
    server.on('close', () => { forget(); client.destroy(); });
    server.on('data', (d: Buffer) => client.write(d));
    client.on('data', (d: Buffer) => {
      if (this.mode === 'blackhole') return;
      if ((this.mode === 'reset-at-types' || this.mode === 'fatal-at-types') && this.failed < this.failLimit && d.includes(TYPES_QUERY)) {
        this.failed++;
        this.fail(pair, this.mode === 'reset-at-types' ? 'reset' : 'fatal');
        return;
      }
      this.clientWrites++;
      server.write(d);
    });
  }

  private fail(p: { client: net.Socket; server: net.Socket }, how: 'reset' | 'fatal'): void {
    this.pairs.delete(p);
    p.server.destroy();
    if (how === 'reset') p.client.resetAndDestroy();
    else p.client.end(fatal57P01());
  }
}

/** The ErrorResponse a backend sends when it is terminated (pg_terminate_backend, a fast shutdown). */
function fatal57P01(): Buffer {
  const fields = Buffer.from('SFATAL\0VFATAL\0C57P01\0Mterminating connection due to administrator command\0\0', 'latin1');
  const head = Buffer.alloc(5);
  head.write('E', 0, 'latin1');
  head.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([head, fields]);
}

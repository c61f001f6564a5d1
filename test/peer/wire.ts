// A test's own end of a handoff connection in the fake world: sends frames (or raw lines) and
// collects what comes back, waiting on the fake clock.
import { FrameConn } from '../../src/peer/conn.ts';
import type { Decoded } from '../../src/protocol/framing.ts';
import type { Frame, Outgoing } from '../../src/protocol/frames.ts';
import type { FakeWorld } from './fake-os.ts';

/** A raw protocol client in the fake world. */
export class WireClient {
  /** Everything received and not yet taken, in order. */
  readonly inbox: Decoded[] = [];
  private constructor(
    private readonly world: FakeWorld,
    readonly conn: FrameConn,
  ) {}

  /** Connects as process `pid` to `socketPath`. */
  static async connect(world: FakeWorld, pid: number, socketPath: string): Promise<WireClient> {
    const os = world.os(pid);
    const stream = await os.net.connect(socketPath);
    let c: WireClient | null = null;
    const early: Decoded[] = [];
    const conn = new FrameConn(stream, (d) => (c ? c.inbox.push(d) : early.push(d)), os.after);
    c = new WireClient(world, conn);
    c.inbox.push(...early);
    return c;
  }

  /** Sends one frame. */
  send(frame: Outgoing): void {
    this.conn.send(frame);
  }

  /** Writes raw bytes. */
  write(raw: string | Buffer): void {
    this.conn.stream.write(raw);
  }

  /** True once the connection closed. */
  get closed(): boolean {
    return this.conn.isClosed;
  }

  /** Takes the first received frame of `type` (waiting up to `maxMs` of fake time); frames before it stay. */
  async take<T extends Frame['type']>(type: T, maxMs = 10_000): Promise<Extract<Frame, { type: T }>> {
    const find = () => this.inbox.findIndex((d) => d.ok && d.frame.type === type);
    await this.world.until(() => find() >= 0, maxMs, `a ${type} frame`);
    const [d] = this.inbox.splice(find(), 1);
    return (d as { ok: true; frame: Frame }).frame as Extract<Frame, { type: T }>;
  }

  /** Every frame received so far, taken. */
  drain(): Frame[] {
    return this.inbox.splice(0).flatMap((d) => (d.ok ? [d.frame] : []));
  }

  /** Waits until the connection is closed. */
  async closedWithin(maxMs: number): Promise<void> {
    await this.world.until(() => this.closed, maxMs, 'the connection to close');
  }

  /** Closes the connection. */
  close(): void {
    this.conn.destroy();
  }
}

// Hosts in network namespaces for the cluster tests (issue 16): a coordinator namespace and N
// worker namespaces, each worker joined to the coordinator by its own veth pair on
// 10.231.<k>.0/24 (the coordinator is 10.231.<k>.1, worker k is 10.231.<k>.2), every link
// shaped on both ends: tc netem (delay, loss, rate) where the kernel has it, else tbf (rate
// only). Links can be cut (set down) and restored. Needs root and iproute2; make() says why
// not instead of throwing, and destroy() deletes every namespace it made (also on exit).
import { execFileSync } from 'node:child_process';

export interface Shaping {
  delayMs: number;
  lossPercent: number;
  rateMbit: number;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

export class Hosts {
  /** what the links got: 'netem …' or 'tbf …' (netem missing from the kernel) */
  shaping = '';
  private readonly made: string[] = [];
  private readonly onExit = () => this.destroy();

  private constructor(
    private readonly prefix: string,
    readonly workers: number,
  ) {
    process.on('exit', this.onExit);
  }

  /** The coordinator's namespace, or worker k's (1-based). */
  ns(k = 0): string {
    return k === 0 ? `${this.prefix}c` : `${this.prefix}w${k}`;
  }

  /** The coordinator's address as worker k sees it. */
  coordinatorAddress(k: number): string {
    return `10.231.${k}.1`;
  }

  /** `ip netns exec <namespace>`: run a command on host k (0: the coordinator). */
  exec(k = 0): string[] {
    return ['ip', 'netns', 'exec', this.ns(k)];
  }

  /** Makes the hosts, or returns why it cannot (not root, no iproute2, no namespaces). */
  static make(prefix: string, workers: number, shaping: Shaping): Hosts | string {
    const hosts = new Hosts(prefix, workers);
    try {
      hosts.build(shaping);
      return hosts;
    } catch (error) {
      hosts.destroy();
      const e = error as { stderr?: Buffer; message: string };
      return `network namespaces cannot be made here: ${e.stderr?.toString().trim() || e.message}`;
    }
  }

  /** Cuts worker k's link (k = 0: every link: the coordinator's host is cut off). */
  cut(k: number): void {
    for (const j of k === 0 ? this.all() : [k])
      ip('-n', this.ns(j), 'link', 'set', `${this.prefix}w${j}`, 'down');
  }

  /** Restores what cut(k) cut. */
  restore(k: number): void {
    for (const j of k === 0 ? this.all() : [k])
      ip('-n', this.ns(j), 'link', 'set', `${this.prefix}w${j}`, 'up');
  }

  /** Deletes every namespace made (their veth pairs go with them). */
  destroy(): void {
    process.removeListener('exit', this.onExit);
    for (const ns of this.made.splice(0).reverse()) {
      try {
        ip('netns', 'del', ns);
      } catch {
        // already gone
      }
    }
  }

  private all(): number[] {
    return Array.from({ length: this.workers }, (_, i) => i + 1);
  }

  private build(shaping: Shaping): void {
    this.namespace(this.ns(0));
    for (const k of this.all()) {
      const worker = this.ns(k);
      this.namespace(worker);
      const [here, there] = [`${this.prefix}c${k}`, `${this.prefix}w${k}`];
      ip('link', 'add', here, 'type', 'veth', 'peer', 'name', there);
      ip('link', 'set', here, 'netns', this.ns(0));
      ip('link', 'set', there, 'netns', worker);
      ip('-n', this.ns(0), 'addr', 'add', `10.231.${k}.1/24`, 'dev', here);
      ip('-n', worker, 'addr', 'add', `10.231.${k}.2/24`, 'dev', there);
      ip('-n', this.ns(0), 'link', 'set', here, 'up');
      ip('-n', worker, 'link', 'set', there, 'up');
      this.shape(this.ns(0), here, shaping);
      this.shape(worker, there, shaping);
    }
  }

  private namespace(name: string): void {
    ip('netns', 'add', name);
    this.made.push(name);
    ip('-n', name, 'link', 'set', 'lo', 'up');
  }

  private shape(ns: string, dev: string, s: Shaping): void {
    const tc = (...args: string[]) =>
      execFileSync('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', dev, 'root', ...args], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    const netem = [
      'netem',
      'delay',
      `${s.delayMs}ms`,
      'loss',
      `${s.lossPercent}%`,
      'rate',
      `${s.rateMbit}mbit`,
    ];
    try {
      tc(...netem);
      this.shaping = netem.join(' ');
    } catch {
      const tbf = ['tbf', 'rate', `${s.rateMbit}mbit`, 'burst', '64kb', 'latency', '400ms'];
      tc(...tbf);
      this.shaping = `${tbf.join(' ')} (netem is not in this kernel: no delay, no loss)`;
    }
  }
}

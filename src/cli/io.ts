import { createInterface } from "node:readline/promises";

/** The terminal a command talks to: output lines, a progress line, a yes/no question, Ctrl-C. */
export class Io {
  readonly stdoutIsTTY = process.stdout.isTTY === true;
  readonly stderrIsTTY = process.stderr.isTTY === true;
  readonly stdinIsTTY = process.stdin.isTTY === true;
  readonly env = process.env;
  /** Fires on Ctrl-C (SIGINT) or SIGTERM. */
  readonly signal: AbortSignal;
  #progressShown = false;

  constructor(signal: AbortSignal) {
    this.signal = signal;
  }

  /** Writes one line to standard output, waiting when the pipe is full. */
  async out(line: string): Promise<void> {
    this.clearProgress();
    if (!process.stdout.write(line + "\n")) await new Promise((resolve) => process.stdout.once("drain", resolve));
  }

  /** Writes one line to standard error. */
  err(line: string): void {
    this.clearProgress();
    process.stderr.write(line + "\n");
  }

  /** Shows a transient status line on a terminal's standard error; nothing elsewhere. */
  progress(text: string): void {
    if (!this.stderrIsTTY) return;
    process.stderr.write(`\r\x1b[K${text}`);
    this.#progressShown = true;
  }

  clearProgress(): void {
    if (!this.#progressShown) return;
    process.stderr.write("\r\x1b[K");
    this.#progressShown = false;
  }

  /** Clears a terminal screen (for redraws). */
  clearScreen(): void {
    if (this.stdoutIsTTY) process.stdout.write("\x1b[H\x1b[2J");
  }

  /** Asks a yes/no question on the terminal; false unless the answer starts with y. */
  async confirm(question: string): Promise<boolean> {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = await rl.question(`${question} [y/N] `, { signal: this.signal });
      return /^y/i.test(answer.trim());
    } catch {
      return false;
    } finally {
      rl.close();
    }
  }

  /** Resolves when Ctrl-C or SIGTERM arrives. */
  interrupted(): Promise<void> {
    return new Promise((resolve) => (this.signal.aborted ? resolve() : this.signal.addEventListener("abort", () => resolve(), { once: true })));
  }
}

// Waiting for a long-running command to be told to stop.

/** Resolves when `signal` aborts, keeping the process alive meanwhile (signal listeners do not). */
export async function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  const keepAlive = setInterval(() => undefined, 1 << 30);
  try {
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  } finally {
    clearInterval(keepAlive);
  }
}

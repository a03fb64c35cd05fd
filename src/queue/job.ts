/** Backoff between queue retries of a job: 5 s, 10 s, 20 s… up to 10 minutes. */
function retryDelaySeconds(attempts: number): number {
  return Math.min(5 * 2 ** Math.max(0, attempts - 1), 600);
}

/**
 * The skeleton every background job shares: `work` runs once for its messages; they are all acked
 * when it succeeds, or each retried with backoff when it throws, after `logFailure` has said why
 * (with the first message's delay). Past max_retries (wrangler.toml) the queue moves a message to
 * the dead-letter queue, whose consumer logs it.
 */
export async function runQueueJob(
  messages: readonly Message<unknown>[],
  work: () => Promise<void>,
  logFailure: (err: unknown, delaySeconds: number) => void,
): Promise<void> {
  try {
    await work();
    for (const message of messages) message.ack();
  } catch (err) {
    logFailure(err, retryDelaySeconds(messages[0]?.attempts ?? 1));
    for (const message of messages) message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
  }
}

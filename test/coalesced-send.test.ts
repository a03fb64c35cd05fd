import { afterEach, describe, expect, it, vi } from "vitest";
import { sendCoalesced } from "../src/queue/coalesced-send";
import type { BackgroundMessage } from "../src/queue/messages";

const message = (n: number): BackgroundMessage => ({ kind: "team.purge", teamId: `team_${n}` });

/** A queue that records each call; `refuse` decides which sends (or whole batches) it throws on. */
function recordingQueue(refuse: { batch?: boolean; ids?: string[] } = {}) {
  const calls: { kind: "send" | "sendBatch"; bodies: BackgroundMessage[] }[] = [];
  const teamOf = (body: BackgroundMessage) => ("teamId" in body ? body.teamId : "");
  const queue = {
    send: async (body: BackgroundMessage) => {
      if (refuse.ids?.includes(teamOf(body))) throw new Error(`refused ${teamOf(body)}`);
      calls.push({ kind: "send", bodies: [body] });
    },
    sendBatch: async (batch: Iterable<MessageSendRequest<BackgroundMessage>>) => {
      if (refuse.batch) throw new Error("batch refused");
      calls.push({ kind: "sendBatch", bodies: [...batch].map((m) => m.body) });
    },
  } as unknown as Queue<BackgroundMessage>;
  const delivered = () => calls.flatMap((c) => c.bodies.map(teamOf)).sort();
  return { queue, calls, delivered };
}

afterEach(() => vi.useRealTimers());

describe("sendCoalesced", () => {
  it("sends messages that come close together in one batch, each once", async () => {
    const { queue, calls, delivered } = recordingQueue();
    const failures: unknown[] = [];
    const sending = Array.from({ length: 10 }, (_, i) => sendCoalesced(queue, message(i), (err) => failures.push(err)));
    // Only the first caller's promise waits for the batch; it settles once all ten are on the queue.
    await sending[0];
    await Promise.all(sending);
    expect(calls.map((c) => c.kind)).toEqual(["sendBatch"]);
    expect(delivered()).toEqual(Array.from({ length: 10 }, (_, i) => `team_${i}`).sort());
    expect(failures).toEqual([]);
  });

  it("starts a new batch once one is full, and loses none", async () => {
    const { queue, calls, delivered } = recordingQueue();
    await Promise.all(Array.from({ length: 120 }, (_, i) => sendCoalesced(queue, message(i), () => {})));
    expect(calls.every((c) => c.kind === "sendBatch" && c.bodies.length <= 50)).toBe(true);
    expect(calls.length).toBe(3);
    expect(delivered()).toEqual(Array.from({ length: 120 }, (_, i) => `team_${i}`).sort());
  });

  it("sends a refused batch again message by message, and reports only the messages that fail alone", async () => {
    const { queue, calls, delivered } = recordingQueue({ batch: true, ids: ["team_2"] });
    const failures: string[] = [];
    await Promise.all(Array.from({ length: 4 }, (_, i) => sendCoalesced(queue, message(i), (err) => failures.push(`${i}: ${(err as Error).message}`))));
    expect(calls.map((c) => c.kind)).toEqual(["send", "send", "send"]);
    expect(delivered()).toEqual(["team_0", "team_1", "team_3"]);
    expect(failures).toEqual(["2: refused team_2"]);
  });

  it("is not held by a test's fake clock", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "Date"] });
    const { queue, delivered } = recordingQueue();
    await Promise.all([sendCoalesced(queue, message(1), () => {}), sendCoalesced(queue, message(2), () => {})]);
    expect(delivered()).toEqual(["team_1", "team_2"]);
  });

  it("sends a batch its opener never sent (its request died) with the next message", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const { queue, delivered } = recordingQueue();
    const opener = sendCoalesced(queue, message(1), () => {});
    vi.setSystemTime(Date.now() + 1_000);
    await sendCoalesced(queue, message(2), () => {});
    // Both are on the queue before the opener's wait is over.
    expect(delivered()).toEqual(["team_1", "team_2"]);
    await opener;
    expect(delivered()).toEqual(["team_1", "team_2"]);
  });

  it("keeps one batch per queue", async () => {
    const first = recordingQueue();
    const second = recordingQueue();
    await Promise.all([sendCoalesced(first.queue, message(1), () => {}), sendCoalesced(second.queue, message(2), () => {}), sendCoalesced(first.queue, message(3), () => {})]);
    expect(first.delivered()).toEqual(["team_1", "team_3"]);
    expect(second.delivered()).toEqual(["team_2"]);
  });
});

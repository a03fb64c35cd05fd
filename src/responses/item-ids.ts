import { mintedAt, mintSignedId, mintTimeOrderedId } from "../ids";

// Ids of responses, conversations and the items the gateway stores. An item id carries the id of
// the response it belongs to (`msg_<response core>o1`), so that an `item_reference` finds its
// response with no lookup table: the response's body holds the item.

const CORE = "[0-9a-hjkmnp-tv-z]{26}";
const ITEM_ID = new RegExp(`^[a-z]+_(${CORE})([io])([0-9a-hjkmnp-tv-z]{1,4})$`);
const BASE32 = "0123456789abcdefghjkmnpqrstvwxyz";

/** A response id carries a MAC (keyed by ID_SECRET): a read of a fresh one waits for its write only then. */
export const mintResponseId = (idSecret: string) => mintSignedId("resp_", idSecret);
export const mintConversationId = () => mintTimeOrderedId("conv_");

const PREFIX_BY_TYPE: Record<string, string> = {
  message: "msg",
  function_call: "fc",
  function_call_output: "fco",
  custom_tool_call: "ctc",
  custom_tool_call_output: "ctco",
  reasoning: "rs",
};

/** The index in base32, as short as it can be: it ends the id, so its length needs no padding (and streams repeat it). */
const indexDigits = (n: number) => {
  let out = "";
  do {
    out = BASE32[n % 32] + out;
    n = Math.floor(n / 32);
  } while (n > 0);
  return out;
};

/**
 * The id of item `index` of a response's input (`i`) or output (`o`), or of a conversation's own
 * items (the conversation's core, `i`). Deterministic: the same item always gets the same id.
 */
export function itemId(ownerId: string, side: "i" | "o", index: number, type: unknown): string {
  const core = ownerId.slice(ownerId.indexOf("_") + 1);
  return `${PREFIX_BY_TYPE[String(type)] ?? "item"}_${core}${side}${indexDigits(index)}`;
}

/** The response an item id minted by itemId belongs to, or null for any other id. */
export function responseIdOfItem(id: string): string | null {
  const match = ITEM_ID.exec(id);
  if (!match) return null;
  const responseId = `resp_${match[1]}`;
  return mintedAt(responseId) === null ? null : responseId;
}

export const isResponseId = (id: string) => id.startsWith("resp_") && mintedAt(id) !== null;
export const isConversationId = (id: string) => id.startsWith("conv_") && mintedAt(id) !== null;

/**
 * A new tool is one file in the api, all the way to the page: its definition words its own
 * line ("Echoing your words…", "Echoed your words"), the capabilities document publishes the
 * wording, the agent streams it, and the answer stores it, so GET /state (what the page
 * shows after a reload) reads it with no edit in web/. The tool lives only in this test's
 * registry; the real agent and the offline model call it ("use the echo tool: …").
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { defineTool, loadTools } from "@trainer2/api/tools";
import { stateDto } from "@trainer2/shared/wire";
import { type ChatStack, openChat, startStack } from "@trainer2/testkit";
import { z } from "zod";

setDefaultTimeout(60_000);

const echo = defineTool({
  name: "echo_words",
  description: "Say the person's words back to them.",
  input: z.strictObject({ text: z.string().max(200) }),
  activity: {
    running: "Echoing your words…",
    done: "Echoed your words",
    failed: "Could not echo your words",
  },
  mutates: false,
  handler: async (_ctx, args) => ({ echoed: args.text }),
});

let stack: ChatStack;
beforeAll(async () => {
  stack = await startStack({ api: { tools: [...(await loadTools()), echo] } });
});
afterAll(async () => {
  await stack?.close();
});

describe("a tool added in a temporary registry", () => {
  test("shows its own wording live and in /state", async () => {
    const chat = await openChat(stack.api);
    const events = await chat.turn("use the echo_words tool: hello there");
    const lines = events.flatMap((e) => (e.type === "tool" ? [[e.status, e.summary]] : []));
    expect(lines).toEqual([
      ["started", "Echoing your words…"],
      ["ok", "Echoed your words"],
    ]);
    expect(events.at(-1)?.type).toBe("run.completed");

    const response = await fetch(`${stack.api.url}/state`, {
      headers: { authorization: `Bearer ${chat.idToken}` },
    });
    const state = stateDto.parse(await response.json());
    const answer = state.session?.messages.at(-1);
    expect(answer?.role).toBe("assistant");
    expect(answer?.tools).toEqual([
      { name: "echo_words", status: "ok", summary: "Echoed your words" },
    ]);
    chat.close();
  });
});

// A tool that lives only in this fixture folder: proves that a new file is all it takes.

import { defineTool } from "@trainer2/api/tools";
import { z } from "zod";

export default defineTool({
  name: "echo",
  description: "Echo the text back.",
  input: z.strictObject({ text: z.string() }),
  activity: {
    running: "Echoing your words…",
    done: "Echoed your words",
    failed: "Could not echo your words",
  },
  mutates: false,
  handler: async (_ctx, args) => ({ text: args.text }),
});

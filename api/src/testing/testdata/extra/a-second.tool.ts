import { defineTool } from "@trainer2/api/tools";
import { z } from "zod";

export default defineTool({
  name: "another",
  description: "Sorted by name, not by file name.",
  input: z.strictObject({}),
  activity: {
    running: "Doing another thing…",
    done: "Did another thing",
    failed: "Could not do another thing",
  },
  mutates: false,
  handler: async () => null,
});

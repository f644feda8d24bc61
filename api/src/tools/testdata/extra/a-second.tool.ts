import { z } from "zod";
import { defineTool } from "../../define-tool.ts";

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

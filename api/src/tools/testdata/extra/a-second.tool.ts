import { z } from "zod";
import { defineTool } from "../../define-tool.ts";

export default defineTool({
  name: "another",
  description: "Sorted by name, not by file name.",
  input: z.strictObject({}),
  mutates: false,
  handler: async () => null,
});

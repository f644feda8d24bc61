import { z } from "zod";

export default {
  name: "Bad Name",
  description: "",
  input: z.strictObject({}),
  mutates: false,
  handler: async () => null,
};

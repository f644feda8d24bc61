// Not named *.tool.ts: discovery ignores it.
export default { name: "ignored" };

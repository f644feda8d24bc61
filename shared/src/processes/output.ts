/** bun dev's output: every line behind its service's name, in a colour of its own on a terminal. */
const colours = ["\x1b[36m", "\x1b[35m", "\x1b[33m", "\x1b[32m", "\x1b[34m"];
const reset = "\x1b[0m";
let nextColour = 0;

export function prefixedPrinter(name: string): (line: string) => void {
  const colour = process.stdout.isTTY ? colours[nextColour++ % colours.length] : "";
  const label = `${colour}${name.padEnd(6)}|${colour ? reset : ""} `;
  return (line) => process.stdout.write(`${label}${line}\n`);
}

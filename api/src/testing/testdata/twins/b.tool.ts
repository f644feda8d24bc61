// The echo fixture again under another file name: discovery must refuse one name twice.
export { default } from "../extra/echo.tool.ts";

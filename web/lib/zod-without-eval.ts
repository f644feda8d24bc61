/**
 * Imported first by the page's client code, before any schema is made: zod compiles faster
 * parsers with `new Function` unless told not to, and under the page's Content Security
 * Policy (no 'unsafe-eval') even its probe for that is reported as a violation. Jitless
 * parsers accept and refuse exactly the same values.
 */
import { z } from "zod";

z.config({ jitless: true });

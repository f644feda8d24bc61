// Preloaded by bunfig.toml for every test file. Tests start real servers and databases on a
// shared 2-core machine; 5 s per test is too tight for that, so the default is raised.
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(60_000);

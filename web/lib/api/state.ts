/** GET /state from the browser: Bearer id_token, answer parsed with the shared contract. */
import { errorBody } from "@trainer2/shared/errors";
import type { FailureCode } from "@trainer2/shared/failures";
import { type State, stateDto } from "@trainer2/shared/wire";

export class StateError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: FailureCode,
  ) {
    super(message);
    this.name = "StateError";
  }
}

export type GetToken = (options: { fresh: boolean }) => Promise<string | null>;

async function fetchOnce(
  apiUrl: string,
  token: string,
  sessionId: string | null,
  fetchImpl: typeof fetch,
) {
  const url = new URL(`${apiUrl}/state`);
  if (sessionId) url.searchParams.set("sessionId", sessionId);
  return fetchImpl(url, { headers: { authorization: `Bearer ${token}` }, cache: "no-store" });
}

/** One retry with a refreshed token after a 401, as the socket does after 4401. */
export async function fetchState(
  apiUrl: string,
  sessionId: string | null,
  getToken: GetToken,
  fetchImpl: typeof fetch = fetch,
): Promise<State> {
  let response: Response | undefined;
  for (const fresh of [false, true]) {
    const token = await getToken({ fresh });
    if (!token) throw new StateError("You are signed out.", 401, "unauthorized");
    response = await fetchOnce(apiUrl, token, sessionId, fetchImpl);
    if (response.status !== 401) break;
  }
  const body: unknown = await response!.json().catch(() => null);
  if (!response!.ok) {
    // The api's one error shape; anything else (a proxy's page) by its status.
    const error = errorBody.safeParse(body);
    if (error.success)
      throw new StateError(error.data.error.message, response!.status, error.data.error.code);
    const code = response!.status >= 500 ? "unavailable" : "internal";
    throw new StateError("Could not load your chat.", response!.status, code);
  }
  const parsed = stateDto.safeParse(body);
  if (!parsed.success)
    throw new StateError("The server answered in an unexpected shape.", 502, "internal");
  return parsed.data;
}

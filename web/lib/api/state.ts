/** GET /state from the browser: Bearer id_token, answer parsed with the shared contract. */
import { type State, stateDto } from "@trainer2/shared/wire";
import { ApiError, apiFetch, type GetToken } from "./request";

export { ApiError as StateError, type GetToken } from "./request";

/** One retry with a refreshed token after a 401, as the socket does after 4401. */
export async function fetchState(
  apiUrl: string,
  sessionId: string | null,
  getToken: GetToken,
  fetchImpl: typeof fetch = fetch,
): Promise<State> {
  const query = sessionId ? `?sessionId=${encodeURIComponent(sessionId)}` : "";
  const response = await apiFetch(
    { apiUrl, getToken, fetch: fetchImpl },
    `/state${query}`,
    {},
    "Could not load your chat.",
  );
  const parsed = stateDto.safeParse(await response.json().catch(() => null));
  if (!parsed.success)
    throw new ApiError("The server answered in an unexpected shape.", 502, "internal");
  return parsed.data;
}

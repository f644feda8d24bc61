/**
 * The browser's HTTP calls to the api: Bearer id_token (one retry with a refreshed token
 * after a 401, as the socket does after 4401), errors read from the one error shape.
 */
import { errorBody } from "@trainer2/shared/errors";
import type { FailureCode } from "@trainer2/shared/failures";

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: FailureCode,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export type GetToken = (options: { fresh: boolean }) => Promise<string | null>;

export type ApiCall = {
  apiUrl: string;
  getToken: GetToken;
  fetch?: typeof fetch;
};

/**
 * The response once signed in (a 401 is retried once with a fresh token); an error answer
 * throws an ApiError with the api's message, or `fallback` when the answer is not the api's.
 */
export async function apiFetch(
  call: ApiCall,
  path: string,
  init: RequestInit = {},
  fallback = "The server could not do that just now.",
) {
  const fetchImpl = call.fetch ?? fetch;
  let response: Response | undefined;
  for (const fresh of [false, true]) {
    const token = await call.getToken({ fresh });
    if (!token) throw new ApiError("You are signed out.", 401, "unauthorized");
    response = await fetchImpl(`${call.apiUrl}${path}`, {
      ...init,
      headers: {
        ...(init.body === undefined ? {} : { "content-type": "application/json" }),
        authorization: `Bearer ${token}`,
      },
      cache: "no-store",
    });
    if (response.status !== 401) break;
  }
  if (!response!.ok) throw await errorOf(response!, fallback);
  return response!;
}

/** The api's one error shape; anything else (a proxy's page) by its status. */
async function errorOf(response: Response, fallback: string): Promise<ApiError> {
  const body: unknown = await response.json().catch(() => null);
  const error = errorBody.safeParse(body);
  if (error.success)
    return new ApiError(error.data.error.message, response.status, error.data.error.code);
  const code = response.status >= 500 ? "unavailable" : "internal";
  return new ApiError(fallback, response.status, code);
}

// What trainer2 keeps in next-auth's session JWT and hands to the browser.
import "next-auth";
import "next-auth/jwt";

declare module "next-auth" {
  interface Session {
    /** The id_token the api verifies (Google's, the OpenID provider's, or the dev login's). */
    idToken?: string;
    idTokenExpiresAt?: number;
    provider?: string;
    /** RefreshFailed: sign in again. RefreshUnavailable: the provider is down, try again. */
    error?: "RefreshFailed" | "RefreshUnavailable";
  }
  interface User {
    idToken?: string;
    idTokenExpiresAt?: number;
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    provider?: "google" | "oidc" | "dev-login";
    idToken?: string;
    idTokenExpiresAt?: number;
    refreshToken?: string;
    error?: "RefreshFailed" | "RefreshUnavailable";
  }
}

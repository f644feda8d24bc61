/**
 * The providers a person signs in with by redirect: Google, and any one OpenID provider found
 * by discovery (Keycloak, Auth0, Entra ID, Okta…). One description per provider feeds both
 * next-auth (where to send the person, how to check the answer) and the refresh (where the
 * token endpoint is, how the client authenticates there), so the two never disagree.
 */
import {
  cachedDiscovery,
  discoveryUrlOf,
  googleDiscoveryUrl,
  googleIssuer,
} from "@trainer2/shared/oidc";
import GoogleProvider from "next-auth/providers/google";
import type { Provider } from "next-auth/providers/index";
import type { OAuthConfig } from "next-auth/providers/oauth";
import type { WebEnv } from "../env";
import type { OAuthProviderId } from "./session-token";
import { singleFlight } from "./single-flight";
import { type OAuthClient, type RefreshedIdToken, refreshIdToken } from "./token-refresh";

export type OAuthSettings = {
  id: OAuthProviderId;
  /** What the button says after "Sign in with". */
  name: string;
  /** The issuer its id_tokens name; its discovery document must name it too. */
  issuer: string;
  discoveryUrl: string;
  client: Required<OAuthClient>;
  /** Authorization request parameters (scope and the provider's own). */
  params: Record<string, string>;
};

export function oauthSettings(env: WebEnv): OAuthSettings[] {
  const list: OAuthSettings[] = [];
  if (env.GOOGLE_CLIENT_ID && env.GOOGLE_CLIENT_SECRET)
    list.push({
      id: "google",
      name: "Google",
      issuer: googleIssuer,
      discoveryUrl: env.GOOGLE_DISCOVERY_URL ?? googleDiscoveryUrl,
      client: {
        clientId: env.GOOGLE_CLIENT_ID,
        clientSecret: env.GOOGLE_CLIENT_SECRET,
        authMethod: "client_secret_post",
      },
      // offline + consent: Google returns a refresh token every time, so sessions outlive
      // the one-hour id_token.
      params: { access_type: "offline", prompt: "consent", scope: "openid email profile" },
    });
  if (env.OIDC_ISSUER && env.OIDC_CLIENT_ID && env.OIDC_CLIENT_SECRET)
    list.push({
      id: "oidc",
      name: env.OIDC_NAME,
      issuer: env.OIDC_ISSUER,
      discoveryUrl: discoveryUrlOf(env.OIDC_ISSUER),
      client: {
        clientId: env.OIDC_CLIENT_ID,
        clientSecret: env.OIDC_CLIENT_SECRET,
        authMethod: env.OIDC_TOKEN_AUTH_METHOD,
      },
      // offline_access: most providers (Auth0, Okta, Entra ID) issue a refresh token only then.
      params: { scope: env.OIDC_SCOPES },
    });
  return list;
}

type Profile = {
  sub: string;
  name?: string;
  preferred_username?: string;
  email?: string;
  email_verified?: boolean | string;
  picture?: string;
};

/** next-auth's provider: authorization code with PKCE and state, the id_token checked. */
export function nextAuthProvider(settings: OAuthSettings): Provider {
  const { clientId, clientSecret, authMethod } = settings.client;
  const common = {
    clientId,
    clientSecret,
    wellKnown: settings.discoveryUrl,
    authorization: { params: settings.params },
    client: { token_endpoint_auth_method: authMethod },
    checks: ["pkce", "state"] as ("pkce" | "state")[],
  };
  if (settings.id === "google") return GoogleProvider(common);
  const generic: OAuthConfig<Profile> = {
    id: settings.id,
    name: settings.name,
    type: "oauth",
    idToken: true,
    ...common,
    profile: (profile) => ({
      id: profile.sub,
      name: profile.name ?? profile.preferred_username ?? profile.email ?? null,
      // As the api does: an address the provider did not verify is not the person's email.
      email:
        profile.email_verified === true || profile.email_verified === "true"
          ? (profile.email ?? null)
          : null,
      image: profile.picture ?? null,
    }),
  };
  return generic;
}

/**
 * The provider's refresh: its token endpoint by discovery (kept an hour), one refresh per
 * refresh token at a time, the answer shared with requests that still carry the spent one.
 */
export function refresherFor(
  settings: OAuthSettings,
  stillGood: (refreshed: RefreshedIdToken) => boolean,
): (refreshToken: string) => Promise<RefreshedIdToken> {
  const discover = cachedDiscovery(settings.discoveryUrl, { expectIssuer: settings.issuer });
  return singleFlight(
    async (refreshToken) => {
      const { token_endpoint } = await discover();
      return refreshIdToken(refreshToken, settings.client, { tokenUrl: token_endpoint });
    },
    { stillGood },
  );
}

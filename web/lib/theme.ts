/** The person's choice of theme, kept in a cookie the server reads (no inline script needed). */
export type Theme = "light" | "dark";

export const themeCookie = "trainer2-theme";

export const themeOf = (value: string | undefined): Theme | null =>
  value === "light" || value === "dark" ? value : null;

"use client";

import { useEffect, useState } from "react";
import { type Theme, themeCookie } from "@/lib/theme";

/**
 * Dark or light: follows the system (prefers-color-scheme) until the person picks one,
 * which is kept in a cookie so the server renders the page in it (no flash, no inline script).
 */
export function ThemeToggle({ initial }: { initial: Theme | null }) {
  const [chosen, setChosen] = useState<Theme | null>(initial);
  const [systemDark, setSystemDark] = useState(false);

  useEffect(() => {
    const query = window.matchMedia("(prefers-color-scheme: dark)");
    setSystemDark(query.matches);
    const onChange = (event: MediaQueryListEvent) => setSystemDark(event.matches);
    query.addEventListener("change", onChange);
    return () => query.removeEventListener("change", onChange);
  }, []);

  const dark = (chosen ?? (systemDark ? "dark" : "light")) === "dark";

  const toggle = () => {
    const next: Theme = dark ? "light" : "dark";
    setChosen(next);
    document.documentElement.dataset.theme = next;
    // biome-ignore lint/suspicious/noDocumentCookie: a fixed name and value; not every browser has cookieStore
    document.cookie = `${themeCookie}=${next}; path=/; max-age=31536000; samesite=lax`;
  };

  return (
    <button
      type="button"
      className="button ghost theme-toggle"
      aria-pressed={dark}
      onClick={toggle}
      title={dark ? "Switch to light mode" : "Switch to dark mode"}
    >
      <span aria-hidden="true">{dark ? "☾" : "☀"}</span>
      <span className="visually-hidden">Dark mode</span>
    </button>
  );
}

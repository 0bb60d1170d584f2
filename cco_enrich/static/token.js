// The API token (CCO_API_TOKEN), shared by the curator's page and the admin page: asked for once,
// the first time the API answers 401, and kept in sessionStorage (this tab only, gone when it closes).
// The dialog is built with DOM calls, never markup, like everything else on these pages.

const TOKEN_KEY = "cco_enrich:api_token";

let tokenInMemory = ""; // for a browser that refuses sessionStorage (some privacy modes)
let question = null; // one dialog at a time, however many calls were refused

export function storedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || tokenInMemory;
  } catch {
    return tokenInMemory;
  }
}

function keep(token) {
  tokenInMemory = token;
  try {
    sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Storage refused: the token lives in memory until the page reloads.
  }
}

export function authHeaders() {
  const token = storedToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

// EventSource cannot send headers: the event stream takes the token as ?token= instead.
export function withToken(path) {
  const token = storedToken();
  return token ? `${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}` : path;
}

function node(tag, props = {}, children = []) {
  const element = Object.assign(document.createElement(tag), props);
  element.append(...children);
  return element;
}

function buildDialog() {
  const input = node("input", { id: "token-input", name: "token", type: "password", required: true });
  input.autocomplete = "current-password";
  const error = node("p", { id: "token-error", className: "alert", hidden: true }, [
    "That token was not accepted; check it and try again.",
  ]);
  error.setAttribute("role", "alert");
  const hint = node("p", { className: "hint" }, [
    "This server asks for a token (",
    node("code", {}, ["CCO_API_TOKEN"]),
    "). It is kept in this tab only, until you close it.",
  ]);
  const use = node("button", { type: "submit", value: "ok", className: "primary" }, ["Use this token"]);
  const cancel = node("button", { type: "submit", value: "cancel", formNoValidate: true }, ["Cancel"]);
  const form = node("form", { method: "dialog", className: "login" }, [
    node("h2", { id: "token-heading" }, ["API token"]),
    hint,
    error,
    node("label", { htmlFor: "token-input" }, ["Token"]),
    input,
    node("div", { className: "form-actions" }, [use, cancel]),
  ]);
  const dialog = node("dialog", { id: "token-dialog", className: "panel token-dialog" }, [form]);
  dialog.setAttribute("aria-labelledby", "token-heading");
  document.body.append(dialog);
  return dialog;
}

// Shows the dialog; resolves to the token given, or "" when the user cancels.
export function askForToken() {
  if (question) return question;
  const dialog = document.getElementById("token-dialog") || buildDialog();
  const input = dialog.querySelector("#token-input");
  dialog.querySelector("#token-error").hidden = !storedToken();
  input.value = "";
  question = new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => {
        const token = dialog.returnValue === "ok" ? input.value.trim() : "";
        if (token) keep(token);
        question = null;
        resolve(token);
      },
      { once: true },
    );
    dialog.returnValue = ""; // Escape keeps the last value: start from "not given"
    dialog.showModal();
    input.focus();
  });
  return question;
}

// fetch(), sending the token; on a 401 asks for the token and tries again until the user cancels.
export async function authorisedFetch(path, init = {}) {
  for (;;) {
    const response = await fetch(path, { ...init, headers: { ...init.headers, ...authHeaders() } });
    if (response.status !== 401 || !(await askForToken())) return response;
  }
}

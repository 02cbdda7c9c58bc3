// The API client: nicstack's CloudStack endpoint, a UI session, and async jobs.
//
// `login` answers a session key and sets two cookies: JSESSIONID (HttpOnly, the session's
// CSRF token) and sessionkey (readable here, so that a reload or a new tab stays signed in).
// Every call sends the key as a parameter, by POST so that it never lands in a URL; a request
// forged by another site carries the cookie but cannot know the key, and the server refuses
// session requests that the browser marks as cross-site.

const ENDPOINT = "/client/api";
const USER_KEY = "nicstack.user";

export class ApiError extends Error {
  constructor(status, text, command) {
    super(text);
    this.status = status;
    this.command = command;
  }

  get sessionEnded() {
    return this.status === 401;
  }

  // An unknown id and another account's id answer alike (431): "nothing you can see".
  get notFound() {
    return this.status === 431 && /entity does not exist/.test(this.message);
  }
}

function cookie(name) {
  for (const part of document.cookie.split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === name) return decodeURIComponent(part.slice(at + 1));
  }
  return null;
}

async function post(params) {
  const body = new URLSearchParams({ ...params, response: "json" });
  let reply;
  try {
    reply = await fetch(ENDPOINT, { method: "POST", body, credentials: "same-origin" });
  } catch (error) {
    throw new ApiError(0, `The server cannot be reached (${error.message}); is nicstack serve running?`,
      params.command);
  }
  let data;
  try {
    data = await reply.json();
  } catch {
    throw new ApiError(reply.status, `The server answered HTTP ${reply.status} without a JSON body`, params.command);
  }
  const inner = Object.values(data)[0] ?? {};
  if (!reply.ok) throw new ApiError(reply.status, inner.errortext || `HTTP ${reply.status}`, params.command);
  return inner;
}

export function signedIn() {
  return cookie("sessionkey") !== null;
}

export function user() {
  try {
    return JSON.parse(localStorage.getItem(USER_KEY) ?? "null");
  } catch {
    return null;
  }
}

export function isAdmin() {
  const who = user();
  return who !== null && who.type !== "0";
}

export async function login(username, password, domain) {
  const answer = await post({ command: "login", username, password, domain: domain || "/" });
  const who = { username: answer.username, account: answer.account, type: answer.type, domainid: answer.domainid };
  localStorage.setItem(USER_KEY, JSON.stringify(who));
  return who;
}

// Drop what this browser keeps of a session (the server clears the cookie on logout too).
export function forget() {
  localStorage.removeItem(USER_KEY);
  document.cookie = "sessionkey=; Max-Age=0; Path=/; SameSite=Strict";
}

export async function logout() {
  try {
    if (signedIn()) await call("logout");
  } finally {
    forget();
  }
}

// One command; `params` values that are undefined, null or "" are left out.
export async function call(command, params = {}) {
  const key = cookie("sessionkey");
  if (key === null) throw new ApiError(401, "You are not signed in", command);
  const given = Object.entries(params).filter(([, value]) => value !== undefined && value !== null && value !== "");
  return post({ command, ...Object.fromEntries(given), sessionkey: key });
}

// Every item of a list command, page by page (500 a page, as the cs client does).
export async function list(command, key, params = {}) {
  const pagesize = 500;
  const items = [];
  for (let page = 1; ; page += 1) {
    const answer = await call(command, { ...params, page, pagesize });
    const found = answer[key] ?? [];
    items.push(...found);
    if (found.length < pagesize || items.length >= (answer.count ?? 0)) return items;
  }
}

// One page of a list command: { items, count }.
export async function page(command, key, params, number, pagesize) {
  const answer = await call(command, { ...params, page: number, pagesize });
  return { items: answer[key] ?? [], count: answer.count ?? 0 };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Wait for an async job; its result, or an ApiError with the job's error code and text.
async function wait(jobid, command) {
  let delay = 40;
  for (;;) {
    const job = await call("queryAsyncJobResult", { jobid });
    if (job.jobstatus === 1) return job.jobresult ?? {};
    if (job.jobstatus === 2) {
      throw new ApiError(job.jobresultcode, job.jobresult?.errortext ?? `${command} failed`, command);
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 1000);
  }
}

// An async command from start to end: refusals of the request and of the job alike throw.
export async function run(command, params = {}) {
  const started = await call(command, params);
  return wait(started.jobid, command);
}

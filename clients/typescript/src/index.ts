/**
 * Ferrule's typed API client: the paths, bodies and answers of the command API and the query
 * API, generated from the OpenAPI documents the services serve (`./generate` regenerates them),
 * over `openapi-fetch`. Nothing here types an API shape by hand.
 */
import createClient, { type Client, type ClientOptions, type Middleware } from "openapi-fetch";

import type { components as CommandComponents, paths as CommandPaths } from "./generated/command-api.ts";
import type { components as QueryComponents, paths as QueryPaths } from "./generated/query-api.ts";

export type { CommandPaths, QueryPaths };
/** The command API's schemas by name, e.g. `CommandSchema<"Problem">`. */
export type CommandSchema<Name extends keyof CommandComponents["schemas"]> = CommandComponents["schemas"][Name];
/** The query API's schemas by name, e.g. `QuerySchema<"SearchResult">`. */
export type QuerySchema<Name extends keyof QueryComponents["schemas"]> = QueryComponents["schemas"][Name];
/** An error answer of either API (`application/problem+json`). */
export type Problem = CommandComponents["schemas"]["Problem"];

export type CommandClient = Client<CommandPaths>;
export type QueryClient = Client<QueryPaths>;

/** How a client authenticates and reads its own writes. */
export interface FerruleOptions extends Omit<ClientOptions, "baseUrl"> {
  /** The service's base URL, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** The access token, or a function giving the current one (called per request). */
  token?: string | (() => string | undefined | Promise<string | undefined>);
}

/** A client of the command API (writes, login, imports). */
export function commandClient(options: FerruleOptions): CommandClient {
  return withAuth(createClient<CommandPaths>(clientOptions(options)), options.token);
}

/**
 * A client of the query API (browse, search, orders). Pass `minPosition` (a command answer's
 * `position`) in `headers: { "X-Min-Position": … }` to read your own write.
 */
export function queryClient(options: FerruleOptions): QueryClient {
  return withAuth(createClient<QueryPaths>(clientOptions(options)), options.token);
}

/** The `position` a command answered with (body or `X-Position` header), for `X-Min-Position`. */
export function positionOf(response: Response, body?: unknown): number | undefined {
  const header = response.headers.get("x-position");
  if (header !== null && /^\d+$/.test(header)) return Number(header);
  if (body !== null && typeof body === "object" && "position" in body) {
    const position = (body as { position: unknown }).position;
    if (typeof position === "number") return position;
  }
  return undefined;
}

function clientOptions({ token: _token, ...options }: FerruleOptions): ClientOptions {
  return { ...options, baseUrl: options.baseUrl.replace(/\/+$/, "") };
}

function withAuth<C extends { use(...middleware: Middleware[]): void }>(client: C, token: FerruleOptions["token"]): C {
  if (token !== undefined) {
    client.use({
      async onRequest({ request }) {
        const current = typeof token === "function" ? await token() : token;
        if (current) request.headers.set("Authorization", `Bearer ${current}`);
        return request;
      },
    });
  }
  return client;
}

/**
 * The README's example, type-checked with the client (`npm run typecheck`): create a brand through
 * the command API, then find it through the query API as soon as the read model has it.
 */
import { commandClient, positionOf, queryClient } from "../src/index.ts";

export async function createAndFind(accessToken: string, name: string) {
  const command = commandClient({ baseUrl: "http://127.0.0.1:8080", token: () => accessToken });
  const query = queryClient({ baseUrl: "http://127.0.0.1:8081" });
  const { data, error, response } = await command.POST("/v1/brands", { body: { name } });
  if (error) throw new Error(error.title); // a typed problem+json body
  const found = await query.GET("/v1/search", {
    params: { query: { q: name }, header: { "X-Min-Position": positionOf(response, data) } },
  });
  return found.data?.hits ?? [];
}

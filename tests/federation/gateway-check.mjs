// Compose govgraph's subgraph SDL with the national-ID subgraph (@apollo/composition), then serve the supergraph
// with @apollo/gateway and run the job's operations through it, each with its caller's Authorization header
// forwarded to both subgraphs. Prints one JSON object; exits 2 on composition errors, 1 on any other failure.
//
//   node gateway-check.mjs job.json
//
// job.json: {"govgraphUrl": ".../graphql", "sdlToken": "<token allowed to read _service>",
//            "cards": {"<personalId>": {"number": "...", "status": "VALID"}},
//            "operations": [{"name": "...", "query": "...", "variables": {}, "authorization": "Bearer ..."}]}
import { readFile } from "node:fs/promises";
import { composeServices } from "@apollo/composition";
import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { parse } from "graphql";
import { startNationalIdSubgraph } from "./national-id.mjs";

// The user's credentials go to every subgraph: each one authorises the read itself.
class ForwardAuthorization extends RemoteGraphQLDataSource {
  willSendRequest({ request, context }) {
    if (context.authorization) request.http.headers.set("authorization", context.authorization);
    if (context.purpose) request.http.headers.set("x-purpose", context.purpose);
  }
}

async function govgraphSdl(url, token) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: "{ _service { sdl } }" }),
  });
  const body = await response.json();
  if (!response.ok || body.errors || !body.data?._service?.sdl) {
    throw new Error(`govgraph's _service { sdl } failed (${response.status}): ${JSON.stringify(body)}`);
  }
  return body.data._service.sdl;
}

async function main() {
  const job = JSON.parse(await readFile(process.argv[2], "utf8"));
  const sdl = await govgraphSdl(job.govgraphUrl, job.sdlToken);
  const nationalId = await startNationalIdSubgraph(job.cards);
  try {
    const composed = composeServices([
      { name: "govgraph", url: job.govgraphUrl, typeDefs: parse(sdl) },
      { name: "nationalid", url: nationalId.url, typeDefs: nationalId.typeDefs },
    ]);
    if (composed.errors) {
      console.log(JSON.stringify({ composed: false, errors: composed.errors.map((e) => e.toString()) }));
      process.exitCode = 2;
      return;
    }
    const gateway = new ApolloGateway({
      supergraphSdl: composed.supergraphSdl,
      buildService: ({ url }) => new ForwardAuthorization({ url }),
    });
    const server = new ApolloServer({ gateway });
    await server.start();
    const results = {};
    try {
      for (const op of job.operations) {
        const response = await server.executeOperation(
          { query: op.query, variables: op.variables ?? {} },
          { contextValue: { authorization: op.authorization, purpose: op.purpose } },
        );
        if (response.body.kind !== "single") throw new Error(`${op.name}: not a single result`);
        const { data, errors } = response.body.singleResult;
        // What the national-ID subgraph was asked about for this operation alone.
        const nationalIdAskedAbout = nationalId.askedAbout.splice(0);
        results[op.name] = { data: data ?? null, errors: errors ?? [], nationalIdAskedAbout };
      }
    } finally {
      await server.stop();
    }
    console.log(
      JSON.stringify({
        composed: true,
        hints: composed.hints.map((h) => h.toString()),
        supergraphSdl: composed.supergraphSdl,
        results,
      }),
    );
  } finally {
    await nationalId.stop();
  }
}

main().catch((error) => {
  console.error(error?.stack ?? String(error));
  process.exitCode = 1;
});

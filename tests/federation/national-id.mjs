// A small national-ID subgraph (another agency's service): it extends govgraph's Citizen, keyed by personalId,
// with the status of the citizen's ID card, and points from a card back to its holder in govgraph.
// Cards live in an in-memory map given by the caller. It records every personal ID it is asked about, so the
// test can check what govgraph let through the gateway (a masked key must never arrive unmasked).
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginInlineTraceDisabled } from "@apollo/server/plugin/disabled";
import { startStandaloneServer } from "@apollo/server/standalone";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";

export const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  # govgraph's Citizen (described there), as the national ID service knows it: by personal ID.
  type Citizen @key(fields: "personalId") {
    personalId: String!
    "Status of the citizen's ID card (thẻ căn cước) in the national ID service: VALID, EXPIRED or REVOKED."
    nationalIdStatus: String
  }

  "An ID card issued by the national ID service."
  type IdCard {
    number: String!
    status: String!
    "The card holder: the rest of their record comes from govgraph."
    holder: Citizen
  }

  type Query {
    "One card by its number."
    idCard(number: String!): IdCard
  }
`);

/**
 * Start the subgraph on a free loopback port.
 * @param {Record<string, {number: string, status: string}>} cards personal ID -> card
 */
export async function startNationalIdSubgraph(cards) {
  const byPid = new Map(Object.entries(cards));
  const byNumber = new Map(Object.entries(cards).map(([pid, card]) => [card.number, { ...card, pid }]));
  const askedAbout = [];
  const resolvers = {
    Query: {
      idCard: (_root, { number }) => byNumber.get(number) ?? null,
    },
    IdCard: {
      holder: (card) => ({ personalId: card.pid }),
    },
    Citizen: {
      __resolveReference(ref) {
        askedAbout.push(ref.personalId);
        return { personalId: ref.personalId };
      },
      nationalIdStatus: (citizen) => byPid.get(citizen.personalId)?.status ?? null,
    },
  };
  const server = new ApolloServer({
    schema: buildSubgraphSchema([{ typeDefs, resolvers }]),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  const { url } = await startStandaloneServer(server, { listen: { host: "127.0.0.1", port: 0 } });
  return { url, typeDefs, askedAbout, stop: () => server.stop() };
}

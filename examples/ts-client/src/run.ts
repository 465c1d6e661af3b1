// Runs one operation of each user group against a live gateway, by persisted hash only,
// and prints each typed result as a JSON line: {"operation", "variables", "data"}.
// Exits 1 on any GraphQL error (its codes on stderr as JSON) or failed check, 2 on bad setup.
import { configFromEnv, execute, GatewayError, type GatewayConfig } from "./client.js";
import {
  CoordinationBriefDocument,
  FindByAddressDocument,
  Household360Document,
  HouseholdsPageDocument,
  PartnersDocument,
  type Household360Query,
} from "./gql/graphql.js";

const PAGE_SIZE = 5;

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`check failed: ${message}`);
}

function show(operation: string, variables: object, data: object): void {
  console.log(JSON.stringify({ operation, variables, data }));
}

/** The period of the brief: JUHELI_PERIOD_FROM/TO, else the 365 days ending today. */
function period(env: NodeJS.ProcessEnv): { from: string; to: string } {
  const today = new Date();
  const yearAgo = new Date(today.getTime() - 364 * 86_400_000);
  const day = (d: Date) => d.toISOString().slice(0, 10);
  return { from: env.JUHELI_PERIOD_FROM ?? day(yearAgo), to: env.JUHELI_PERIOD_TO ?? day(today) };
}

async function partners(config: GatewayConfig): Promise<void> {
  const data = await execute(config, "Partners", PartnersDocument, {});
  check(data.partners.length > 0, "the gateway knows no partner");
  show("Partners", {}, data);
}

/** Two pages of households; the first household of the first page. */
async function householdsPages(config: GatewayConfig): Promise<string> {
  const first = { community: null, first: PAGE_SIZE, after: null };
  const one = await execute(config, "HouseholdsPage", HouseholdsPageDocument, first);
  show("HouseholdsPage", first, one);
  const ids = one.households.edges.map((edge) => edge.node.id);
  check(ids.length > 0 && ids.length <= PAGE_SIZE, `a page of 1..${PAGE_SIZE} households`);
  const after = one.households.pageInfo.endCursor;
  if (one.households.pageInfo.hasNextPage && after) {
    const next = { ...first, after };
    const two = await execute(config, "HouseholdsPage", HouseholdsPageDocument, next);
    show("HouseholdsPage", next, two);
    check(two.households.edges.every((e) => !ids.includes(e.node.id)), "pages overlap");
  }
  return ids[0] as string;
}

async function household360(config: GatewayConfig, id: string): Promise<Household360Query> {
  const data = await execute(config, "Household360", Household360Document, { id });
  check(data.household?.id === id, `household ${id} came back as ${data.household?.id}`);
  show("Household360", { id }, data);
  return data;
}

async function findByAddress(config: GatewayConfig, address: string, id: string): Promise<void> {
  const data = await execute(config, "FindByAddress", FindByAddressDocument, { address });
  const found = data.findHouseholds.map((match) => match.household.id);
  check(found.includes(id), `finding "${address}" misses household ${id}`);
  show("FindByAddress", { address }, data);
}

async function coordinationBrief(config: GatewayConfig, community: string): Promise<void> {
  const variables = { community, period: period(process.env) };
  const data = await execute(config, "CoordinationBrief", CoordinationBriefDocument, variables);
  check(data.coordinationBrief.community.length > 0, "a brief names its community");
  show("CoordinationBrief", variables, data);
}

async function main(): Promise<number> {
  let config: GatewayConfig;
  try {
    config = configFromEnv(process.env);
  } catch (error) {
    console.error(String(error));
    return 2;
  }
  try {
    await partners(config);
    const id = await householdsPages(config);
    const { household } = await household360(config, id);
    check(household !== null, "the household vanished");
    await findByAddress(config, household.address.normalized, id);
    await coordinationBrief(config, household.community.id);
    return 0;
  } catch (error) {
    if (error instanceof GatewayError) {
      const { operation, status, errors } = error;
      console.error(JSON.stringify({ operation, status, errors }));
    } else {
      console.error(String(error));
    }
    return 1;
  }
}

process.exitCode = await main();

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { COSMOS_CONTAINERS } from '../shared/store/cosmosSchema';

/** Where Bicep reads the containers from (`loadJsonContent` in infra/app/cosmos.bicep). */
export const CONTAINERS_JSON = path.join('infra', 'app', 'cosmos-containers.json');

/**
 * The containers of shared/store/cosmosSchema.ts as the Cosmos DB resource provider takes them
 * (`Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers` `properties.resource`), so the
 * templates create exactly what the code defines. A unit test checks the committed file is current.
 */
export function cosmosContainersJson(): string {
  const containers = COSMOS_CONTAINERS.map((spec) => ({
    id: spec.id,
    partitionKey: { paths: [spec.partitionKeyPath], kind: 'Hash', version: 2 },
    uniqueKeyPolicy: { uniqueKeys: spec.uniqueKeyPaths.map((paths) => ({ paths: [...paths] })) },
    indexingPolicy: spec.indexingPolicy,
    ...(spec.defaultTtl === undefined ? {} : { defaultTtl: spec.defaultTtl }),
  }));
  return `${JSON.stringify(containers, null, 2)}\n`;
}

/** `npm run infra:generate`: rewrites infra/app/cosmos-containers.json from the schema. */
if (require.main === module) {
  const file = path.resolve(__dirname, '..', '..', CONTAINERS_JSON);
  writeFileSync(file, cosmosContainersJson());
  process.stdout.write(`wrote ${CONTAINERS_JSON}\n`);
}

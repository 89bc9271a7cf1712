import { COSMOS_CONTAINERS } from '../../../shared/store/cosmosSchema';
import { CONTAINERS_JSON, cosmosContainersJson } from '../../../scripts/cosmosContainers';
import { read } from './support';

interface ContainerResource {
  id: string;
  partitionKey: { paths: string[] };
  uniqueKeyPolicy: { uniqueKeys: { paths: string[] }[] };
  indexingPolicy: unknown;
  defaultTtl?: number;
}

describe('Cosmos DB containers: the Bicep templates create what shared/store/cosmosSchema.ts defines', () => {
  const committed = read(CONTAINERS_JSON);
  const containers = JSON.parse(committed) as ContainerResource[];

  it(`${CONTAINERS_JSON} is what the schema generates (run npm run infra:generate after changing the schema)`, () => {
    expect(committed).toBe(cosmosContainersJson());
  });

  it.each(COSMOS_CONTAINERS.map((spec) => [spec.id, spec] as const))(
    'container %s: partition key, unique keys, indexing and TTL',
    (id, spec) => {
      const container = containers.find((candidate) => candidate.id === id);
      expect(container).toBeDefined();
      expect(container?.partitionKey.paths).toEqual([spec.partitionKeyPath]);
      expect(container?.uniqueKeyPolicy.uniqueKeys.map((key) => key.paths)).toEqual(
        spec.uniqueKeyPaths.map((paths) => [...paths]),
      );
      expect(container?.indexingPolicy).toEqual(spec.indexingPolicy);
      expect(container?.defaultTtl).toBe(spec.defaultTtl);
    },
  );

  it('declares no container the code does not use', () => {
    expect(containers.map((container) => container.id).sort()).toEqual(COSMOS_CONTAINERS.map((spec) => spec.id).sort());
  });

  it('cosmos.bicep creates every container from that file, serverless with local auth disabled', () => {
    const bicep = read('infra/app/cosmos.bicep');
    expect(bicep).toContain("loadJsonContent('cosmos-containers.json')");
    expect(bicep).toMatch(/for spec in containers: \{[\s\S]*?name: spec\.id[\s\S]*?properties: \{ resource: spec \}/);
    expect(bicep).toContain("'EnableServerless'");
    expect(bicep).toMatch(/disableLocalAuth: true/);
    expect(bicep).toContain("'00000000-0000-0000-0000-000000000002'");
  });
});

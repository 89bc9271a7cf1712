import { openApiDocument } from '../../../shared/api/openapi';

/** The JSON schema the OpenAPI document gives the body of `method path`. */
function bodySchema(method: string, path: string): Record<string, unknown> {
  const paths = openApiDocument('test').paths as Record<string, Record<string, any>>;
  return paths[path]![method]!.requestBody.content['application/json'].schema;
}

describe('the OpenAPI document of the policy changes', () => {
  it.each([
    ['post', '/policies'],
    ['put', '/policies/{id}'],
    ['delete', '/policies/{id}'],
  ])('describes the %s %s body as strictly as the handler reads it (no other properties)', (method, path) => {
    const schema = bodySchema(method, path);

    expect(schema).toMatchObject({ type: 'object', additionalProperties: false });
    expect(schema.required).toContain('justification');
  });
});

describe('the OpenAPI document', () => {
  it('resolves every $ref within itself (recursive schemas live under components.schemas)', () => {
    const document = openApiDocument('test');
    const text = JSON.stringify(document);
    const refs = [...new Set([...text.matchAll(/"\$ref":"([^"]+)"/g)].map(([, ref]) => ref!))];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(ref.startsWith('#/')).toBe(true);
      const target = ref
        .slice(2)
        .split('/')
        .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], document);
      expect([ref, typeof target]).toEqual([ref, 'object']);
    }
    expect(text).not.toContain('$defs');
  });
});
